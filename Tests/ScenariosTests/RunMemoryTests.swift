import Agents
import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Testing
import Worlds

@Suite("Conversation runs with PersonaTree memory")
struct RunMemoryTests {
    /// The focus group of RunConversationTests with a `memory` section.
    static func focusGroup(memory: String) -> String {
        RunConversationTests.focusGroup.replacingOccurrences(
            of: "\"generation\"", with: "\"memory\": \(memory),\n \"generation\"")
    }

    /// Answers MemListener calls with one ADD about transport, recall rewrites with two queries, and
    /// everything else like RunConversationTests' model.
    static func model() -> ScriptedModel {
        ScriptedModel(rule: { request in
            if case .jsonSchema(let name, _, _) = request.responseFormat {
                if name == "memory_ops" {
                    return #"{"ops": [{"op": "ADD", "path": "preferences.transport", "value": "rides an e-bike"}]}"#
                }
                if name == "recall_queries" { return #"{"queries": ["work commute", "e-bike"]}"# }
            }
            guard case .jsonSchema(_, let schema, _) = request.responseFormat else { return "Fine." }
            let text = request.messages.map(\.content).joined(separator: "\n")
            let h = SHA256.digest(Array(text.utf8)).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return RunConversationTests.instance(schema, h: h).serialized()
        })
    }

    static func memoryRows(_ directory: URL) throws -> [JSONValue] {
        let connection = try Connection(.file(directory.appendingPathComponent("run.sqlite").path), readOnly: true)
        return try connection.query("SELECT json FROM memory_operations ORDER BY unit, seq").map {
            try JSONValue.parse(try $0.string("json"))
        }
    }

    @Test("each persona gets a seeded tree; MemListener updates land in the run store and in later prompts")
    func updatesRecorded() async throws {
        let model = Self.model()
        let scenario = try Scenario.parse(
            try JSONValue.parse(
                Self.focusGroup(
                    memory: #"{"type": "persona-tree", "updateEvery": 1, "window": {"first": 1, "last": 2, "step": 1}}"#
                )))
        let summary = try await RunFixtures.run(scenario, model: model)
        #expect(summary.unitsDone == 1)
        let rows = try Self.memoryRows(summary.directory)
        let updates = rows.filter { $0["kind"]?.stringValue == "update" }
        #expect(!updates.isEmpty)
        // Every persona-backed agent (moderator included) is updated at least once.
        let who = Set(updates.compactMap { $0["participant"]?.stringValue })
        #expect(who == ["mod", "a1", "b2", "c3"])
        // The first update of each agent creates the leaf; later identical ADDs change nothing.
        let outcomes = updates.compactMap { $0["record"]?["ops"]?[0]?["outcome"]?.stringValue }
        #expect(outcomes.contains("created"))
        #expect(outcomes.allSatisfy { $0 == "created" || $0 == "unchanged" })
        let transcript = try JSONValue.parse(
            String(try RunFixtures.read(summary.directory, "transcripts.jsonl").split(separator: "\n")[0]))
        let memory = try #require(transcript["result"]?["memory"])
        #expect(memory["updates"]?.intValue == Int64(updates.count))
        #expect(memory["applied"]?.intValue == 4)
        #expect(memory["failedUpdates"]?.intValue == 0)
        // The persona core is in the stable system message; the learned leaf reaches later turn
        // prompts in the private note after the history, and never the system message.
        let turns = model.requests.filter {
            if case .jsonSchema(let name, _, _) = $0.responseFormat { return name == "action" }
            return false
        }
        #expect(turns.allSatisfy { !$0.messages[0].content.contains("rides an e-bike") })
        #expect(turns.contains { $0.messages[0].content.contains("Alex") })
        // The note opens the history; it is refreshed when the window's cut moves (every event here).
        #expect(
            turns.contains { $0.messages.count > 1 && $0.messages[1].content.contains("transport: rides an e-bike") })
        #expect(turns.allSatisfy { !($0.messages.last?.content.contains("Earlier moments you recall") ?? false) })
    }

    @Test("with a window and recall, hidden moments are recalled and recorded; outputs do not depend on concurrency")
    func windowAndRecall() async throws {
        let text = Self.focusGroup(
            memory: #"{"type": "persona-tree", "window": {"first": 1, "last": 3, "step": 1}, "recall": true}"#
        ).replacingOccurrences(of: "\"phases\"", with: "\"sessions\": 2, \"phases\"")
        let one = try await RunFixtures.run(try Scenario.parse(try JSONValue.parse(text)), model: Self.model())
        let two = try await RunFixtures.run(
            try Scenario.parse(try JSONValue.parse(text)), model: Self.model(), concurrency: 2)
        for name in ["transcripts.jsonl", "results.json"] {
            #expect(try RunFixtures.read(one.directory, name) == RunFixtures.read(two.directory, name), "\(name)")
        }
        #expect(try Self.memoryRows(one.directory) == Self.memoryRows(two.directory))
        let recalls = try Self.memoryRows(one.directory).filter { $0["kind"]?.stringValue == "recall" }
        #expect(!recalls.isEmpty)
        for recall in recalls {
            #expect(recall["recall"]?["queries"] == ["work commute", "e-bike"])
            #expect(recall["recall"]?["recalled"]?.arrayValue?.isEmpty == false)
        }
    }

    @Test(
        "memory is on by default for conversations; \"memory\": \"off\" turns it off: no update rows, no memory summary"
    )
    func onByDefaultOffOnRequest() async throws {
        let on = try await RunFixtures.run(
            try Scenario.parse(try JSONValue.parse(RunConversationTests.focusGroup)), model: Self.model())
        #expect(try Self.memoryRows(on.directory).contains { $0["kind"]?.stringValue == "update" })
        #expect(try RunFixtures.read(on.directory, "transcripts.jsonl").contains("\"memory\""))
        let off = try await RunFixtures.run(
            try Scenario.parse(try JSONValue.parse(Self.focusGroup(memory: #""off""#))), model: Self.model())
        #expect(try Self.memoryRows(off.directory).allSatisfy { $0["kind"]?.stringValue != "update" })
        let line = try JSONValue.parse(
            String(try RunFixtures.read(off.directory, "transcripts.jsonl").split(separator: "\n")[0]))
        #expect(line["result"]?["memory"]?["updates"] == nil)
        #expect(line["result"]?["memory"]?["context"]?["memory"]?.stringValue == "off")
    }

    func error(_ memory: String, kind: String = "focus-group") -> RunError? {
        var text = Self.focusGroup(memory: memory)
        if kind == "survey" {
            guard case .object(var o) = RunFixtures.surveyDocument else { return nil }
            o["memory"] = try? JSONValue.parse(memory)
            text = JSONValue.object(o).serialized()
        }
        return Self.parseError(text)
    }

    func contextError(_ context: String) -> RunError? {
        Self.parseError(
            RunConversationTests.focusGroup.replacingOccurrences(
                of: "\"generation\"", with: "\"context\": \(context),\n \"generation\""))
    }

    /// The loader's error for a scenario text, if any.
    static func parseError(_ text: String) -> RunError? {
        do {
            _ = try Scenario.parse(try JSONValue.parse(text), file: "study.json")
            return nil
        } catch let error as RunError {
            return error
        } catch {
            return nil
        }
    }

    @Test("bad context sections name the path and the fix; good ones set the window")
    func contextSections() throws {
        let recall = try #require(contextError(#"{"history": "full", "recall": true}"#))
        #expect(recall.path == "$.context.recall")
        #expect(recall.message.contains("\"window\""))
        let word = try #require(contextError(#""short""#))
        #expect(word.path == "$.context")
        #expect(word.message.contains("\"bounded\"") && word.message.contains("\"full\""))
        let key = try #require(contextError(#"{"windw": {}}"#))
        #expect(key.message.contains("windw"))
        #expect(contextError(#""full""#) == nil)
        func parsed(_ context: String) throws -> Scenario {
            try Scenario.parse(
                try JSONValue.parse(
                    RunConversationTests.focusGroup.replacingOccurrences(
                        of: "\"generation\"", with: "\"context\": \(context),\n \"generation\"")))
        }
        #expect(try parsed(#""full""#).context.window == nil)
        #expect(try parsed(#"{"window": {"last": 6}}"#).context.window == HistoryWindow(first: 2, last: 6, step: 12))
        #expect(
            try Scenario.parse(try JSONValue.parse(RunConversationTests.focusGroup)).context.window
                == ScenarioContext.defaultWindow)
    }

    @Test("bad memory sections name the path and the fix")
    func badSections() throws {
        // A survey's "memory" is its answer memory (none, full, lagged, targeted), not a PersonaTree.
        let survey = try #require(error(#"{"type": "persona-tree"}"#, kind: "survey"))
        #expect(survey.path == "$.memory")
        #expect(survey.message.contains("lagged") && survey.message.contains("targeted"))
        let type = try #require(error(#"{"type": "vector-db"}"#))
        #expect(type.path == "$.memory.type")
        #expect(type.message.contains("\"persona-tree\""))
        let schema = try #require(error(#"{"schema": "/nonexistent/tree.json"}"#))
        #expect(schema.path == "$.memory.schema")
        #expect(schema.message.contains("/nonexistent/tree.json"))
        let every = try #require(error(#"{"updateEvery": 5}"#))
        #expect(every.path == "$.memory.updateEvery")
        let extra = try #require(error(#"{"budget": 5}"#))
        #expect(extra.message.contains("budget"))
    }
}
