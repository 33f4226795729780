import Agents
import Environments
import Foundation
import Memory
import Runs
import Scenarios
import Storage
import Testing
import Worlds

@testable import ToolTasks

/// Scenarios/domains/tau2-airline is shipped so that `agora run Scenarios/tau2-airline.json` works
/// without the tau2 data; these tests keep it identical to what `agora tasks import-tau2` writes.
@Suite("Shipped tau2 airline domain")
struct ShippedAirlineDomainTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios/domains/tau2-airline")

    static func files(_ root: URL) throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        var names: [String] = []
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(
                atPath: root.appendingPathComponent(name).path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                names.append(name)
            }
        }
        return names.sorted()
    }

    @Test("it loads on its own, with its licence, 50 tasks and 14 tools, and gold replay passes a write task")
    func loads() async throws {
        let domain = try ToolDomain.load(Self.shipped)
        #expect(domain.tasks.count == 50)
        #expect(domain.tools.count == 14)
        #expect(FileManager.default.fileExists(atPath: Self.shipped.appendingPathComponent("LICENSE").path))
        let task = try #require(domain.tasks.first { !$0.allowTrivial })
        let (target, _) = try Grader.target(domain: domain, task: task)
        let env = try ToolEnvironment(domain: domain, task: task)
        let outcome = try await Episode.run(
            task: task, environment: env, agent: GoldReplayAgent(), user: ScriptedUser())
        #expect(try Grader.grade(task: task, outcome: outcome, final: env, target: target, digests: false).passed)
    }

    @Test("it is byte-identical to a fresh import of the tau2 data", .enabled(if: AirlineFixture.isAvailable))
    func matchesImport() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-airline-ship-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        _ = try await TaskImporter.importDomain(from: AirlineFixture.source, to: out, name: nil)
        let names = try Self.files(out)
        #expect(try Self.files(Self.shipped) == names)
        for name in names {
            let fresh = try Data(contentsOf: out.appendingPathComponent(name))
            let shipped = try Data(contentsOf: Self.shipped.appendingPathComponent(name))
            #expect(fresh == shipped, "\(name) differs: re-import with agora tasks import-tau2")
        }
    }
}
