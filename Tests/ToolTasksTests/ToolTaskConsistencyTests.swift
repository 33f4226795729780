import AgoraTesting
import Environments
import Evaluation
import Foundation
import Inference
import Population
import Runs
import Storage
import Testing

@testable import ToolTasks

/// `agora evaluate` on tool-task runs: the simulated user's lines are judged, the agent's lines
/// and the tool calls are context, and a bare stop token is not a line.
@Suite("Tool-task runs judged for persona consistency")
struct ToolTaskConsistencyTests {
    static let opening = "Hello, I want to move to the basic plan."
    static let email = "It is pedro.alves@example.com."
    static let plan = "The basic plan, please."

    /// The agent asks for the email, looks the customer up, asks for the plan, then says it is done.
    static func agentModel() -> ScriptedModel {
        ScriptedModel(answering: { request in
            if request.messages.last?.role == .tool { return .text("Found your account. Which plan do you want?") }
            let said = request.messages.last(where: { $0.role == .user })?.content
            switch said {
            case opening: return .text("Could you give me your email?")
            case email:
                return .toolCalls([
                    ToolCall(
                        id: "c1", name: "find_customer_by_email", arguments: #"{"email":"pedro.alves@example.com"}"#)
                ])
            case plan: return .text("Done. Anything else?")
            default: return .text("###STOP###")
            }
        })
    }

    /// The user says its three lines (one per own message so far), then stops.
    static func userModel() -> ScriptedModel {
        ScriptedModel(rule: { request in
            let said = request.messages.filter { $0.role == .assistant }.count
            return [opening, email, plan].indices.contains(said) ? [opening, email, plan][said] : "###STOP###"
        })
    }

    /// The judge finds the third line ("The basic plan, please.") against the persona and against
    /// the user's first line; everything else fits.
    static func judge() -> ScriptedModel {
        ScriptedModel(rule: { request in
            let asked = request.messages.last { $0.role == .user }?.content ?? ""
            if asked.contains("earlier lines are [") {
                guard asked.contains("] User: \(plan)\n\nThe current line"),
                    let open = asked.range(of: "earlier lines are ["),
                    let close = asked[open.upperBound...].firstIndex(of: ","),
                    let first = Int(asked[open.upperBound..<close])
                else { return #"{"reason": "No conflict.", "conflicts": []}"# }
                return #"{"reason": "It repeats the plan.", "conflicts": [\#(first)]}"#
            }
            let judged = asked.components(separatedBy: "The line to judge:\n").last ?? ""
            return judged.contains(plan)
                ? #"{"reason": "Off script.", "verdict": "contradiction"}"#
                : #"{"reason": "It fits.", "verdict": "consistent"}"#
        })
    }

    static func folder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("agora-ttc-\(name)-\(UUID().uuidString)")
    }

    static func json(_ url: URL, _ file: String) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: url.appendingPathComponent(file)))
    }

    @Test(
        "a tool-task run is judged end to end: the user's 3 lines (not its ###STOP###), the tool call as context, replay asks nothing"
    )
    func evaluatesToolTaskRun() async throws {
        let out = Self.folder("run")
        defer { try? FileManager.default.removeItem(at: out) }
        let config = ToolTaskRunConfig(
            domain: SupportDesk.directory, taskIDs: ["sd-004"], agent: .model(Self.agentModel()),
            user: .model(Self.userModel()), outDirectory: out)
        let run = try await ToolTaskRunner.run(config)
        #expect(run.unitsDone == 1)
        let pristine = out.appendingPathComponent("pristine")
        try FileManager.default.copyItem(at: run.directory, to: pristine)

        let judge = Self.judge()
        let cache = try ResponseCache(.file(out.appendingPathComponent("cache.sqlite").path))
        let settings = EvaluationSettings(judge: "scripted", metrics: [.promptToLine, .lineToLine])
        let outcome = try await ConsistencyEvaluation.evaluate(
            run.directory, registry: Launcher.registry,
            models: FixedModels(CachedModel(base: judge, cache: cache, mode: .readWrite)), settings: settings)
        // 3 prompt-to-line calls and 2 line-to-line calls (the first line has no earlier one).
        #expect(outcome.calls == 5 && outcome.failures == 0)
        #expect(judge.requests.count == 5)

        let results = try Self.json(run.directory, "results.json")
        let consistency = try #require(results["consistency"])
        #expect(results["kind"] == "tool-tasks")
        #expect(consistency["metrics"] == ["p2l", "l2l"])
        let speakers = consistency["speakers"]?.arrayValue ?? []
        #expect(speakers.count == 1)
        // sd-004 carries the preset persona policy impatient_guarded: the user is that policy.
        let preset = try #require((try SupportDesk.load().personas ?? .standard).preset("impatient_guarded"))
        #expect(preset.id == "pp-803ef1e86a")
        #expect(speakers.first?["unit"] == "sd-004/pp-803ef1e86a/t0")
        #expect(speakers.first?["speaker"] == "pp-803ef1e86a")
        #expect(speakers.first?["p2l"] == ["score": 0.6667, "n": 3])
        #expect(speakers.first?["l2l"] == ["score": 0.6667, "n": 3, "judgeErrors": 0])
        #expect(consistency["conditions"]?[0]?["condition"] == "support-desk")

        // The judged lines: the user's, in log order; the agent's and the stop token are not among them.
        let lines = try String(
            contentsOf: run.directory.appendingPathComponent("consistency-lines.jsonl"), encoding: .utf8
        ).split(separator: "\n").map { try JSONValue.parse(String($0)) }
        let transcript = try #require(
            try String(contentsOf: run.directory.appendingPathComponent("transcripts.jsonl"), encoding: .utf8)
                .split(separator: "\n").first.map { try JSONValue.parse(String($0)) })
        let userSeqs = (transcript["events"]?.arrayValue ?? []).filter {
            $0["speaker"] == "user" && $0["kind"] == "utterance"
        }.compactMap { $0["seq"]?.intValue }
        #expect(userSeqs.count == 4)  // three lines and ###STOP###
        #expect(lines.filter { $0["metric"] == "p2l" }.compactMap { $0["seq"]?.intValue } == Array(userSeqs.prefix(3)))
        #expect(lines.map { $0["metric"]?.stringValue ?? "" } == ["p2l", "p2l", "l2l", "p2l", "l2l"])
        #expect(lines.last?["value"] == 0.5)  // one of its two earlier lines flagged
        #expect(lines.allSatisfy { $0["speaker"] == "pp-803ef1e86a" })

        // The judges read the user's prompt profile; the tool call is context in the transcript.
        let p2l = judge.requests.first { $0.messages.last?.content.contains("The line to judge:") == true }
        #expect(p2l?.messages.last?.content.contains("<scenario>") == true)
        #expect(p2l?.messages.last?.content.contains("<behaviour>") == true)
        #expect(p2l?.messages.last?.content.contains("Role instructions:\n" + LLMUser.guidelines) == true)
        let l2l = judge.requests.last?.messages.last?.content ?? ""
        #expect(l2l.contains("[Agent used tool find_customer_by_email]"))
        #expect(l2l.contains("earlier lines are [\(userSeqs[0]), \(userSeqs[1])]"))

        // The report and report.md show the section; agora report keeps it.
        let html = try String(contentsOf: run.directory.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<h2>Persona consistency</h2>"))
        let markdown = try String(contentsOf: run.directory.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("## Persona consistency (judge scripted)"))

        // Replay on the unjudged copy: the same section, and the judge is not asked again.
        let replayed = try await ConsistencyEvaluation.evaluate(
            pristine, registry: Launcher.registry,
            models: FixedModels(CachedModel(base: judge, cache: cache, mode: .replayOnly)), settings: settings)
        #expect(judge.requests.count == 5)
        #expect(replayed.cachedCalls == 5)
        #expect(try Self.json(pristine, "results.json")["consistency"] == consistency)
        // Evaluating again reuses the stored groups: no call at all.
        let again = try await ConsistencyEvaluation.evaluate(
            run.directory, registry: Launcher.registry, models: FixedModels(judge), settings: settings)
        #expect(again.calls == 0 && again.reused == 2)
    }

    @Test("the speaker is the population persona, else the persona policy, and Q&A needs no simulator here")
    func speakerIDs() async throws {
        let out = Self.folder("personas")
        defer { try? FileManager.default.removeItem(at: out) }
        let config = ToolTaskRunConfig(
            domain: SupportDesk.directory, taskIDs: ["sd-001"], agent: .gold, personas: 2, outDirectory: out)
        let run = try await ToolTaskRunner.run(config)
        #expect(run.unitsDone == 2)
        let judge = Self.judge()
        // The default metrics include qa: tool-task users are not agents, so Q&A has n = 0 and no
        // simulator is asked for (NoModels would throw).
        let outcome = try await ConsistencyEvaluation.evaluate(
            run.directory, registry: Launcher.registry, models: FixedModels(judge),
            settings: EvaluationSettings(judge: "scripted"))
        #expect(outcome.failures == 0)
        let kind = try ToolTaskRunKind(config)
        let policies = kind.sampled.map(\.id)
        let speakers = outcome.summary["speakers"]?.arrayValue ?? []
        #expect(speakers.compactMap { $0["speaker"]?.stringValue } == policies)
        #expect(speakers.allSatisfy { $0["qa"] == ["score": nil, "n": 0] })
        // The scripted user: its opening is judged, its ###STOP### is not.
        #expect(speakers.allSatisfy { $0["p2l"]?["n"] == 1 })
        #expect(speakers.allSatisfy { $0["l2l"]?["n"] == 0 })
        #expect(
            judge.requests.first?.messages.last?.content.contains("Role instructions:\nA scripted customer") == true)

        // A population persona names the user and its task-safe profile is what the judges read.
        let nurse = ToolTaskPopulationTests.maria
        var people = config
        people.personas = 0
        people.user = .model(Self.userModel())
        people.population = .inline([nurse])
        people.outDirectory = Self.folder("population")
        defer { try? FileManager.default.removeItem(at: people.outDirectory) }
        let populated = try await ToolTaskRunner.run(people)
        let judged = try await ConsistencyEvaluation.evaluate(
            populated.directory, registry: Launcher.registry, models: FixedModels(Self.judge()),
            settings: EvaluationSettings(judge: "scripted", metrics: [.promptToLine], speakers: [nurse.id]))
        #expect(judged.summary["speakers"]?[0]?["speaker"]?.stringValue == nurse.id)
        // The gold agent closes after the user's second line and stops: two lines judged.
        #expect(judged.summary["speakers"]?[0]?["p2l"]?["n"] == 2)
        let profile = LLMUser.profile(
            task: try #require(try SupportDesk.load().task("sd-001")), persona: nil, population: nurse)
        #expect(profile.contains("<persona>") && !profile.contains("RN4471"))
    }
}
