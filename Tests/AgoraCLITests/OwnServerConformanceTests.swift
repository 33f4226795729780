import AgoraTesting
import Foundation
import Inference
import Storage
import Testing

/// Conformance against a real server (#15 item 2): the llama-cpp-python server Agora builds,
/// serving a second GGUF (Gemma 3 270M, not the default) as a user's own server, reached only
/// through `--model http://…/v1`. Runs where that GGUF is built (`agora model setup --model
/// local:gemma3-270m`; scripts/test.sh builds it); each run is bounded (`--limit 1`; one turn of
/// three speakers without memory; four steps) so it stays short.
@Suite(
    "A user's own llama-cpp-python server runs a survey, a focus-group turn and a tool-task turn",
    .serialized, .timeLimit(.minutes(10)),
    .enabled(if: LocalModel(choice: .gemma3).isBuilt, "the Gemma 3 270M GGUF is not built"))
struct OwnServerConformanceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `agora run` on `document` (written to a temporary file) against `server`.
    static func run(_ document: JSONValue, _ server: LocalModelServer, _ extra: [String] = []) async throws
        -> (CommandRunner.Result, JSONValue?)
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-own-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("scenario.json")
        try Data(document.serialized().utf8).write(to: file)
        let result = try await CommandRunner.agora(
            [
                "run", file.path, "--model", server.baseURL.absoluteString, "--model-name", "gemma", "--no-cache",
                "--limit", "1", "--out", folder.appendingPathComponent("out").path,
            ] + extra, currentDirectory: repository)
        let out = folder.appendingPathComponent("out")
        let runs = (try? FileManager.default.contentsOfDirectory(at: out, includingPropertiesForKeys: nil)) ?? []
        let results = runs.first.flatMap { try? Data(contentsOf: $0.appendingPathComponent("results.json")) }
        return (result, results.flatMap { try? JSONValue.parse($0) })
    }

    static func scenario(_ name: String) throws -> JSONObject {
        let value = try JSONValue.parse(Data(contentsOf: repository.appendingPathComponent("Scenarios/\(name)")))
        return try #require(value.objectValue)
    }

    /// The model calls the last progress line counts (`… · N model calls · …`).
    static func modelCalls(in stderr: String) -> Int {
        guard let range = stderr.range(of: " model calls", options: .backwards) else { return 0 }
        let digits = stderr[..<range.lowerBound].reversed().prefix { $0.isNumber }
        return Int(String(digits.reversed())) ?? 0
    }

    @Test func surveyFocusGroupAndToolTask() async throws {
        let server = try await LocalModelServer.start(LocalModel(choice: .gemma3), contextSize: 4096)
        defer { server.stop() }

        // A survey respondent: every item answered and valid, one call each, the server identified.
        var survey = try Self.scenario("quick-survey.json")
        survey["id"] = "own-server-survey"
        let (surveyRun, surveyResults) = try await Self.run(.object(survey), server)
        #expect(surveyRun.status == 0, "\(surveyRun.stderr)")
        #expect(surveyRun.stderr.contains("1 of 5 units done, 0 failed, 0 items failed"), "\(surveyRun.stderr)")
        #expect(surveyResults?["usage"]?["calls"] == 3)
        #expect(surveyResults?["usage"]?["models"]?[0]?["server"] == "llama-cpp-python")

        // A focus group cut to one turn: a moderator and two participants, no memory, short answers.
        var group = try Self.scenario("focus-group.json")
        var population = try #require(group["population"]?.objectValue)
        if let personas = population["personas"]?.stringValue {  // relative to the scenario's folder
            population["personas"] = .string(Self.repository.appendingPathComponent("Scenarios/\(personas)").path)
        }
        group["population"] = .object(population)
        var session = try #require(group["session"]?.objectValue)
        var phase = try #require(session["phases"]?.arrayValue?.first?.objectValue)
        phase["turns"] = 1
        session["phases"] = .array([.object(phase)])
        session["participants"] = .array(Array(session["participants"]?.arrayValue?.prefix(3) ?? []))
        group["session"] = .object(session)
        group["memory"] = nil  // no PersonaTree updates: one turn is the point, not memory
        group["generation"] = ["temperature": 0.8, "maxTokens": 64, "turnMaxTokens": 40]
        let (groupRun, groupResults) = try await Self.run(.object(group), server)
        #expect(groupRun.status == 0 || groupRun.status == 1, "\(groupRun.stderr)")
        #expect((groupResults?["usage"]?["calls"]?.intValue ?? 0) >= 2, "\(groupRun.stderr)")

        // A tool-task trial with the server as the agent under test, four steps at most.
        var task = try Self.scenario("support-desk-escalation.json")
        task["agent"] = .string("model:\(server.baseURL.absoluteString)")
        task["maxSteps"] = 4
        task["domain"] = .string(Self.repository.appendingPathComponent("Scenarios/domains/support-escalation").path)
        let (taskRun, taskResults) = try await Self.run(.object(task), server)
        #expect(taskRun.status == 0 || taskRun.status == 1, "\(taskRun.stderr)")
        #expect(taskRun.stderr.contains("1 of 3 units done, 0 failed"), "\(taskRun.stderr)")
        #expect(Self.modelCalls(in: taskRun.stderr) >= 1, "\(taskRun.stderr)")
        #expect(taskResults != nil)
    }
}
