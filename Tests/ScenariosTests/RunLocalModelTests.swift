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

/// Every runnable shipped scenario against the real local model, at a tiny size (the model is slow
/// here: about 15 calls in all).
@Suite("Shipped scenarios on the local model", .serialized, .enabled(if: LocalModelFixture.isAvailable))
struct RunLocalModelTests {
    @Test(
        "each shipped scenario runs on the local model at a tiny size and writes valid outputs",
        .timeLimit(.minutes(10)),
        arguments: ["quick-survey", "consumer-survey", "interview", "focus-group", "brainstorm", "survey-all-types"])
    func runs(name: String) async throws {
        let model = try await LocalModelFixture.model()
        let summary = try await RunFixtures.run(
            try ShippedScenarios.tiny(name, turns: 2, maxTokens: 96), model: model, limit: 1)
        #expect(summary.unitsDone == 1, "unit failed: see \(summary.directory.path)")
        let transcripts = try RunFixtures.read(summary.directory, "transcripts.jsonl")
        let line = try JSONValue.parse(String(transcripts.split(separator: "\n").first ?? ""))
        #expect(line["events"]?.arrayValue?.isEmpty == false)
        let results = try JSONValue.parse(try RunFixtures.read(summary.directory, "results.json"))
        #expect((results["usage"]?["calls"]?.intValue ?? 0) >= 1)
        if name == "quick-survey" {
            let csv = try RunFixtures.read(summary.directory, "responses.csv")
            #expect(csv.split(separator: "\n").count == 2)
        }
    }

    @Test(
        "a two-person focus group with PersonaTree memory on the local model records its MemListener updates",
        .timeLimit(.minutes(10)))
    func focusGroupWithMemory() async throws {
        let model = try await LocalModelFixture.model()
        let tiny = try ShippedScenarios.tiny("focus-group", turns: 2, maxTokens: 96)
        guard case .object(var root) = tiny.document, case .object(var session) = root["session"] ?? .null else {
            throw RunError(.invalidInput, "not a session scenario")
        }
        // The moderator and one participant: the phase narration is public, so both see something
        // and both are updated at the end of the phase (two MemListener calls, whatever they say).
        session["participants"] = .array(Array((session["participants"]?.arrayValue ?? []).prefix(2)))
        root["session"] = .object(session)
        root["memory"] = ["type": "persona-tree", "updateEvery": 3]
        let scenario = try Scenario.parse(.object(root), file: tiny.file, baseDirectory: ShippedScenarios.folder.path)
        let summary = try await RunFixtures.run(scenario, model: model, limit: 1)
        #expect(summary.unitsDone == 1, "unit failed: see \(summary.directory.path)")
        let connection = try Connection(
            .file(summary.directory.appendingPathComponent("run.sqlite").path), readOnly: true)
        let updates = try connection.query("SELECT json FROM memory_operations ORDER BY unit, seq").map {
            try JSONValue.parse(try $0.string("json"))
        }.filter { $0["kind"]?.stringValue == "update" }
        #expect(updates.count == 2, "see \(summary.directory.path)")
        for update in updates {
            // Parsed and applied, or a recorded failure: the record always says which wire it used.
            let record = try #require(update["record"])
            #expect(["structured", "lines", "none"].contains(record["wire"]?.stringValue ?? ""))
            #expect(record["ops"]?.arrayValue != nil)
            if record["wire"]?.stringValue == "none" { #expect(record["failure"]?.stringValue != nil) }
        }
        let transcript = try JSONValue.parse(
            String(try RunFixtures.read(summary.directory, "transcripts.jsonl").split(separator: "\n")[0]))
        #expect(transcript["result"]?["memory"]?["updates"]?.intValue == 2)
    }
}
