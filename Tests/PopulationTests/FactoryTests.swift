import Foundation
import Storage
import Testing

@testable import Population

@Suite("Persona factory")
struct FactoryTests {
    static func realisedCounts(_ personas: [Persona], plan: QuotaPlan, target t: Int) -> [Int] {
        var realised = [Int](repeating: 0, count: plan.targetCounts[t].count)
        for persona in personas {
            var index = 0
            for d in plan.targets[t].dimensions {
                let dimension = plan.dimensions[d]
                let value = persona.attributes[dimension.name.replacingOccurrences(of: "#bins", with: "")]
                let category: Int
                if dimension.binned {
                    let number = value?.doubleValue ?? -1
                    category =
                        plan.dimensions[d].categories.indices.first {
                            let bin = (try? DemoFixture.taxonomyValue())?.attributes[dimension.attribute].bins[$0]
                            return bin.map { number >= $0.lo && number <= $0.hi } ?? false
                        } ?? -1
                } else {
                    category = dimension.categories.firstIndex(of: value?.stringValue ?? "") ?? -1
                }
                index = index * dimension.categories.count + category
            }
            realised[index] += 1
        }
        return realised
    }

    /// N = 100,003 takes minutes in a debug build (debug SHA-256 and JSON parsing), so it runs with
    /// AGORA_LONG_TESTS=1 (e.g. in a release test build); the default run uses 10,007 instead.
    static let sizes =
        ProcessInfo.processInfo.environment["AGORA_LONG_TESTS"] == nil
        ? [1, 13, 1000, 10_007] : [1, 13, 1000, 100_003]

    @Test("Test 10: realised counts equal integerised targets, no hard violations, unique hashes", arguments: sizes)
    func exactness(count: Int) async throws {
        let spec = try DemoFixture.spec()
        let (personas, summary) = try await PersonaFactory.personas(spec: spec, count: count, seed: 7, workers: 2)
        #expect(personas.count == count)
        let report = PopulationReport(personas: personas, spec: spec)
        for target in report.targets { #expect(target.tae == 0, "target \(target.id)") }
        #expect(report.hardViolations == 0)
        #expect(report.uniqueHashFraction == 1)
        #expect(Set(personas.map(\.hash)).count == count)
        #expect(summary.plan.method == "flow")
        if count == 1000 {
            for t in summary.plan.targets.indices {
                #expect(Self.realisedCounts(personas, plan: summary.plan, target: t) == summary.plan.targetCounts[t])
            }
        }
    }

    @Test("Test 11: the same seed gives byte-identical JSONL for 1 and 8 workers and a pinned digest")
    func determinism() async throws {
        let spec = try DemoFixture.spec()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pop-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await PersonaFactory.generate(spec: spec, count: 2000, seed: 7, out: directory + "/a.jsonl", workers: 1)
        _ = try await PersonaFactory.generate(spec: spec, count: 2000, seed: 7, out: directory + "/b.jsonl", workers: 8)
        _ = try await PersonaFactory.generate(spec: spec, count: 2000, seed: 8, out: directory + "/c.jsonl", workers: 2)
        let a = try Data(contentsOf: URL(fileURLWithPath: directory + "/a.jsonl"))
        let b = try Data(contentsOf: URL(fileURLWithPath: directory + "/b.jsonl"))
        let c = try Data(contentsOf: URL(fileURLWithPath: directory + "/c.jsonl"))
        #expect(a == b)
        #expect(a != c)
        // A pinned digest: every process must produce exactly these bytes (catches Dictionary/Set order, hashValue).
        #expect(SHA256.hex(SHA256.digest(a)) == DemoFixture.pinnedDigest)
        let first = try Persona.readJSONL(file: directory + "/a.jsonl")
        let other = try Persona.readJSONL(file: directory + "/c.jsonl")
        let reportA = PopulationReport(personas: first, spec: spec)
        let reportC = PopulationReport(personas: other, spec: spec)
        for (x, y) in zip(reportA.targets, reportC.targets) { #expect(x.realised == y.realised) }
    }

    static func tinySpec(slots: Int) throws -> PopulationSpec {
        let text = #"""
            {"id": "tiny", "population": \#(slots), "seed": 3,
             "taxonomy": {"id": "tiny", "nodes": [
               {"id": "cell", "kind": "enum", "values": ["only"]},
               {"id": "a", "kind": "bool"}, {"id": "b", "kind": "bool"}]},
             "targets": [{"id": "cell", "dims": ["cell"], "kind": "counts", "table": [["only", \#(slots)]]}]}
            """#
        return try PopulationSpec.load(json: try JSONValue.parse(text), file: "tiny.json", baseDirectory: nil)
    }

    @Test("Test 12: slot retries keep quotas; a fifth slot in a 4-persona cell is cellExhausted")
    func retries() async throws {
        let four = try await PersonaFactory.personas(spec: try Self.tinySpec(slots: 4), workers: 2).personas
        #expect(four.count == 4)
        #expect(Set(four.map(\.hash)).count == 4)
        await #expect {
            _ = try await PersonaFactory.personas(spec: try Self.tinySpec(slots: 5), workers: 2)
        } throws: { error in
            guard let error = error as? PopulationError else { return false }
            return error.code == .cellExhausted && error.message.contains("cell=only") && error.message.contains("slot")
        }
    }
}
