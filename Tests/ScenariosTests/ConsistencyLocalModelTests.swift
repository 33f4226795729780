import AgoraTesting
import Environments
import Evaluation
import Foundation
import Inference
import Runs
import Scenarios
import Storage
import Testing

/// `agora evaluate`'s library side on the real local model (issue: "a local-model integration test
/// evaluates a tiny shipped conversation run with the local judge and checks structure and
/// determinism on replay"). The shipped interview shrunk to two questions without follow-ups, so the
/// respondent has two lines: two prompt-to-line judgments and one line-to-line judgment.
///
/// The interview itself is spoken by a scripted model: SmolLM2-135M does not follow the action
/// protocol here (every turn of a tiny interview it ran was a failed aside or a thought, so the
/// respondent never spoke and there was nothing to judge). What runs on the local model is the judge.
@Suite(
    "agora evaluate on the local model", .serialized, .enabled(if: LocalModelFixture.isAvailable),
    .timeLimit(.minutes(5)))
struct ConsistencyLocalModelTests {
    /// The shipped interview: two questions, no follow-ups, no memory, short answers.
    static func tinyInterview() throws -> Scenario {
        guard case .object(var root) = try ShippedScenarios.document("interview"),
            case .object(var interview) = root["interview"] ?? .null,
            let questions = interview["questions"]?.arrayValue
        else { throw RunError(.invalidInput, "not an interview") }
        root["memory"] = nil
        root["generation"] = ["temperature": 0, "maxTokens": 96, "turnMaxTokens": 48]
        interview["followUps"] = 0
        interview["questions"] = .array(
            questions.prefix(2).map { question in
                guard case .object(var object) = question else { return question }
                object["followUps"] = 0
                return .object(object)
            })
        root["interview"] = .object(interview)
        return try Scenario.parse(
            .object(root), file: ShippedScenarios.path("interview"), baseDirectory: ShippedScenarios.folder.path)
    }

    /// The interviewer asks the question it was told to ask; the respondent answers it in one fixed
    /// sentence per question; any other request (extraction) gets a schema-shaped answer.
    static func speakers() -> ScriptedModel {
        ScriptedModel(rule: { request in
            guard case .jsonSchema(let name, _, _) = request.responseFormat, name == "action" else {
                var schema: JSONValue?
                if case .jsonSchema(_, let s, _) = request.responseFormat { schema = s }
                return RunFixtures.answer(schema: schema, messages: request.messages.map(\.content).joined())
            }
            let system = request.messages.first?.content ?? ""
            let last = request.messages.last?.content ?? ""
            let said: String
            if system.contains("You are being interviewed") {
                said =
                    last.contains("frustrat")
                    ? "The worst part is the traffic on the ring road every morning."
                    : "I drive to work; it takes about thirty minutes."
            } else {
                said =
                    last.contains("frustration")
                    ? "What frustrates you most about that trip?" : "How do you get to work?"
            }
            let action: JSONValue = ["action": "speak", "to": [], "private": false, "content": .string(said)]
            return action.serialized()
        })
    }

    static func read(_ url: URL, _ name: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
    }

    @Test(
        "a tiny interview judged with the local judge has the consistency structure, and replay is identical with no call"
    )
    func evaluatesAndReplays() async throws {
        let local = try await LocalModelFixture.model()
        let out = RunFixtures.temporaryDirectory("eval-local")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await RunFixtures.run(try Self.tinyInterview(), model: Self.speakers(), limit: 1, out: out)
        #expect(run.unitsDone == 1, "the interview failed: see \(run.directory.path)")
        let pristine = out.appendingPathComponent("pristine")
        try FileManager.default.copyItem(at: run.directory, to: pristine)

        // The judge behind the response cache; `asked` sees only what reaches the model.
        let cache = try ResponseCache(.file(out.appendingPathComponent("cache.sqlite").path))
        let asked = UnitModel(base: local)
        let settings = EvaluationSettings(judge: "local", metrics: [.promptToLine, .lineToLine], concurrency: 1)
        let judged = try await ConsistencyEvaluation.evaluate(
            run.directory, registry: Launcher.registry,
            models: FixedModels(CachedModel(base: asked, cache: cache, mode: .readWrite)), settings: settings)
        // Two respondent lines: 2 prompt-to-line judgments and 1 line-to-line judgment, each one call
        // or more (the structured generator asks again when an answer misses its schema); a verdict
        // that never matched is a failure, left out of the score.
        #expect(judged.calls >= 3)
        #expect(asked.calls.count == judged.calls)
        let calls = asked.calls.count

        let results = try JSONValue.parse(try Self.read(run.directory, "results.json"))
        let consistency = try #require(results["consistency"])
        #expect(consistency["judge"] == "local")
        #expect(consistency["metrics"] == ["p2l", "l2l"])
        let speakers = try #require(consistency["speakers"]?.arrayValue)
        #expect(speakers.count == 1)
        let respondent = try #require(speakers.first)
        #expect(respondent["unit"]?.stringValue?.isEmpty == false)
        let p2l = try #require(respondent["p2l"])
        let l2l = try #require(respondent["l2l"])
        #expect((p2l["n"]?.intValue ?? 0) + Int64(judged.failures) >= 2)
        #expect((p2l["n"]?.intValue ?? 0) >= 1)
        for score in [p2l, l2l] {
            let n = score["n"]?.intValue ?? -1
            if n == 0 {
                #expect(score["score"] == .null)
            } else {
                let value = try #require(score["score"]?.doubleValue)
                #expect(value >= 0 && value <= 1)
            }
        }
        #expect((l2l["judgeErrors"]?.intValue ?? -1) >= 0)
        let condition = try #require(consistency["conditions"]?[0])
        #expect(condition["condition"] == "commute-interview")
        #expect(condition["p2l"]?["n"] == 1)

        let linesText = try Self.read(run.directory, "consistency-lines.jsonl")
        let lines = try linesText.split(separator: "\n").map { try JSONValue.parse(String($0)) }
        #expect(lines.count == judged.lines.count)
        #expect(lines.filter { $0["metric"] == "p2l" }.count == Int(p2l["n"]?.intValue ?? 0))
        for line in lines {
            #expect(line["speaker"] == respondent["speaker"])
            #expect(["p2l", "l2l"].contains(line["metric"]?.stringValue ?? ""))
            #expect(["consistent", "contradiction"].contains(line["verdict"]?.stringValue ?? ""))
            let value = try #require(line["value"]?.doubleValue)
            #expect(value >= 0 && value <= 1)
            #expect(line["item"]?.stringValue == "\(line["unit"]?.stringValue ?? "")#\(line["seq"]?.intValue ?? -1)")
        }

        // Replay-only on the unjudged copy: the same section and lines, and no call reaches the model.
        let replayed = try await ConsistencyEvaluation.evaluate(
            pristine, registry: Launcher.registry,
            models: FixedModels(CachedModel(base: asked, cache: cache, mode: .replayOnly)), settings: settings)
        #expect(asked.calls.count == calls)
        #expect(replayed.calls == judged.calls && replayed.cachedCalls == judged.calls)
        let again = try JSONValue.parse(try Self.read(pristine, "results.json"))["consistency"]
        #expect(again == consistency)
        #expect(try Self.read(pristine, "consistency-lines.jsonl") == linesText)
    }
}
