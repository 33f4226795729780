import AgoraTesting
import Environments
import Experiments
import Foundation
import Runs
import Storage
import Testing

@Suite("Shipped experiments")
struct ShippedExperimentTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios/experiments")

    static func load(_ name: String) async throws -> any RunKind {
        let file = folder.appendingPathComponent("\(name).json").path
        return try await Launcher.registry.load(
            RunSource(
                document: try Launcher.readScenario(file: file), file: file,
                models: FixedModels(ExperimentFixtures.plantedModel)))
    }

    @Test(
        "each shipped experiment loads and plans: arms, units and a balanced assignment",
        arguments: [("ad-copy-ab", 2, 200), ("price-factorial", 6, 240), ("kettle-conjoint", 1, 150)])
    func plans(name: String, arms: Int, units: Int) async throws {
        let kind = try await Self.load(name)
        #expect(kind.name == "experiment")
        let experiment = try #require(kind as? ExperimentRunKind)
        #expect(experiment.design.arms.count == arms)
        let plan = try await kind.plan()
        #expect(plan.units.count == units)
        var counts = [Int](repeating: 0, count: arms)
        for unit in plan.units { counts[Int(unit.input["arm"]?.intValue ?? 0)] += 1 }
        #expect((counts.max() ?? 0) - (counts.min() ?? 0) <= 1)
    }

    @Test("--limit runs a slice of every arm (units interleave the arms)")
    func limitedSlice() async throws {
        let file = Self.folder.appendingPathComponent("ad-copy-ab.json").path
        var options = RunOptions(outDirectory: try ExperimentFixtures.folder())
        options.limit = 8
        options.concurrency = 2
        let summary = try await Launcher.run(
            file: file, options: options, models: FixedModels(ExperimentFixtures.plantedModel))
        #expect(summary.unitsDone == 8)
        let arms = summary.results["experiment"]?["arms"]?.arrayValue?.compactMap { $0["n"]?.intValue } ?? []
        #expect(arms.count == 2 && arms.allSatisfy { $0 >= 2 }, "\(arms)")
        let warnings = summary.results["experiment"]?["warnings"]?.arrayValue ?? []
        #expect(warnings.contains { ($0.stringValue ?? "").hasPrefix("small sample: plain (n = ") })
    }
}
