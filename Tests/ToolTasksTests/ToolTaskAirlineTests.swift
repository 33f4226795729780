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

/// The imported tau2 airline domain, built once per test process (import + no-op marking).
enum AirlineFixture {
    /// `shared/` beside the repository (as CI checks it out), else the developers' /work/shared.
    static let source: URL = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let beside = repository.deletingLastPathComponent().appendingPathComponent("shared/data/tau2-airline")
        if FileManager.default.fileExists(atPath: beside.appendingPathComponent("db.json").path) { return beside }
        return URL(fileURLWithPath: "/work/shared/data/tau2-airline")
    }()
    static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: source.appendingPathComponent("db.json").path)
    }
    static let domain: Task<ToolDomain?, Never> = Task {
        guard isAvailable else { return nil }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-airline-\(ProcessInfo.processInfo.processIdentifier)")
        return try? await TaskImporter.importDomain(from: source, to: out, name: "airline")
    }
    static func load() async throws -> ToolDomain {
        try #require(await domain.value)
    }
}

@Suite("Airline port (tau2 conformance)", .enabled(if: AirlineFixture.isAvailable), .serialized)
struct ToolTaskAirlineTests {
    @Test("T1/T2: gold replay scores 1.0 on 50/50 tasks and the no-op agent 1.0 on exactly 19/50")
    func goldAndNoOp() async throws {
        let domain = try await AirlineFixture.load()
        #expect(domain.tasks.count == 50)
        var gold = 0
        var noop = 0
        var failures: [String] = []
        for task in domain.tasks {
            let (target, _) = try Grader.target(domain: domain, task: task)
            let env = try ToolEnvironment(domain: domain, task: task)
            let outcome = try await Episode.run(
                task: task, environment: env, agent: GoldReplayAgent(), user: ScriptedUser())
            let result = try Grader.grade(task: task, outcome: outcome, final: env, target: target, digests: false)
            if result.passed { gold += 1 } else { failures.append("\(task.id): \(result.json.serialized())") }
            let env2 = try ToolEnvironment(domain: domain, task: task)
            let outcome2 = try await Episode.run(
                task: task, environment: env2, agent: NoOpAgent(), user: ScriptedUser())
            if try Grader.grade(task: task, outcome: outcome2, final: env2, target: target, digests: false).passed {
                noop += 1
            }
        }
        #expect(gold == 50, "\(failures.prefix(3))")
        #expect(noop == 19)
    }

    @Test("T3: each gold step's error flag, output and changed records match tau2's gold_replay.json")
    func conformance() async throws {
        let domain = try await AirlineFixture.load()
        let replay = try JSONValue.parse(
            try Data(contentsOf: AirlineFixture.source.appendingPathComponent("gold_replay.json")))
        var steps = 0
        var mismatches: [String] = []
        for entry in replay["tasks"]?.arrayValue ?? [] {
            let id = entry["task_id"]?.stringValue ?? ""
            let task = try #require(domain.task(id))
            let env = try ToolEnvironment(domain: domain, task: task)
            let pristine = try domain.makeConnection()
            for step in entry["gold_steps"]?.arrayValue ?? [] {
                steps += 1
                let result = env.call(
                    step["name"]?.stringValue ?? "", arguments: step["arguments"] ?? .null, side: .agent)
                if result.error != (step["error"]?.boolValue ?? false) {
                    mismatches.append("\(id) \(step["action_id"] ?? .null): error flag")
                }
                let expected = step["output"]?.stringValue ?? ""
                let a = (try? JSONValue.parse(result.content)).map(CanonicalJSON.string) ?? result.content
                let b = (try? JSONValue.parse(expected)).map(CanonicalJSON.string) ?? expected
                if a != b {
                    mismatches.append(
                        "\(id) \(step["action_id"] ?? .null): output \(a.prefix(200)) vs \(b.prefix(200))")
                }
            }
            // Changed records: the after-images of every changed document.
            let changes = try StateSnapshot.diff(
                before: pristine, after: env.connection, tables: domain.manifest.stateTables, touched: try env.touched()
            )
            let ours = changes.map { "\($0.table)|\((try? JSONValue.parse($0.key))?.stringValue ?? $0.key)" }.sorted()
            let theirs = (entry["changed_records"]?.arrayValue ?? []).map {
                "\($0["table"]?.stringValue ?? "")|\($0["key"]?.stringValue ?? "")"
            }.sorted()
            if ours != theirs { mismatches.append("\(id): changed \(ours) vs \(theirs)") }
            for record in entry["changed_records"]?.arrayValue ?? [] {
                let table = record["table"]?.stringValue ?? ""
                let key = record["key"]?.stringValue ?? ""
                let row = try env.connection.queryOne("SELECT doc FROM \(table) WHERE key = ?", [.text(key)])
                let after = try row.map { try JSONValue.parse(try $0.string("doc")) } ?? .null
                var theirsAfter = record["after"] ?? .null
                if table == "reservations", case .object(var o) = after, o["status"] == nil {
                    o["status"] = .null
                    _ = o
                }
                if case .object(var o) = theirsAfter, table == "reservations", after["status"] == nil,
                    o["status"] == .null
                {
                    o["status"] = nil
                    theirsAfter = .object(o)
                }
                if CanonicalJSON.string(after) != CanonicalJSON.string(theirsAfter) {
                    mismatches.append("\(id) \(table)/\(key): after-image differs")
                }
            }
        }
        #expect(steps == 148)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
