import Foundation
import Storage
import Testing

@testable import Population

/// The shipped populations load and generate exactly (the way argument-parser runs its examples).
@Suite("Shipped populations")
struct ScenarioTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios/populations").path

    @Test("us-adults.json has at least 40 attributes and 10 rules and meets its targets exactly")
    func usAdults() async throws {
        let spec = try PopulationSpec.load(file: Self.root + "/us-adults.json")
        #expect(spec.taxonomy.attributes.count >= 40)
        #expect(spec.rules.count >= 10)
        #expect(spec.targets.map(\.id) == ["age_sex", "education", "region"])
        #expect(spec.associationSeed != nil)
        let (personas, summary) = try await PersonaFactory.personas(spec: spec, count: 600, seed: 7)
        #expect(summary.plan.method == "flow")
        let report = PopulationReport(personas: personas, spec: spec)
        for target in report.targets { #expect(target.tae == 0, "\(target.id)") }
        #expect(report.hardViolations == 0)
        #expect(report.uniqueHashFraction == 1)
        #expect(report.hashMismatches == 0)
    }

    @Test("students.json (HACHIMI's schema) meets its 96-cell and academic-level targets exactly")
    func students() async throws {
        let spec = try PopulationSpec.load(file: Self.root + "/students.json")
        let (personas, _) = try await PersonaFactory.personas(spec: spec, count: 192, seed: 3)
        let report = PopulationReport(personas: personas, spec: spec)
        #expect(report.targets.count == 2)
        #expect(report.targets[0].cells.count == 96)
        for target in report.targets { #expect(target.tae == 0, "\(target.id)") }
        #expect(report.hardViolations == 0)
    }

    @Test("TinyTroupe percentages import as a quota source; a group off 100% is renormalised with a warning")
    func tinyTroupeGroups() throws {
        let regions = try TinyTroupe.group(
            file: Self.root + "/data/tinytroupe/usa.json", path: ["Demographics", "Geographic Distribution", "Regions"])
        #expect(regions.shares.map(\.0) == ["Northeast", "Midwest", "South", "West"])
        #expect(abs(regions.shares[2].1 - 0.383) < 1e-9)
        #expect(regions.warnings.isEmpty)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tt-\(UUID().uuidString).json")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #"{"content": {"Politics": {"Left": "43%", "Right": "45.1%", "Centre": "36.0%"}}}"#.write(
            toFile: directory, atomically: true, encoding: .utf8)
        let politics = try TinyTroupe.group(file: directory, path: ["Politics"])
        #expect(abs(politics.shares.reduce(0) { $0 + $1.1 } - 1) < 1e-12)
        #expect(politics.warnings.count == 1)
        #expect(politics.warnings[0].contains("124.1%"))
    }
}
