import Agents
import AgoraTesting
import Environments
import Foundation
import HTMLKit
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Testing
import Worlds

@testable import ToolTasks

/// A support-desk task with an NL assertion in its basis (gold passes DB and COMMUNICATE on it).
enum NLTask {
    static let assertion = "The agent confirms the change to the customer."

    static func make() throws -> ToolTask {
        var task = try #require(try SupportDesk.load().task("sd-004"))
        task.nlAssertions = [assertion]
        task.rewardBasis += [.nlAssertion]
        return task
    }

    static func verdict(_ met: Bool) -> String { #"{"met": \#(met), "justification": "The log shows it."}"# }
}

@Suite("NL assertions and the judge (spec §10.8)")
struct ToolTaskJudgeTests {
    @Test("without a judge an NL assertion is needs-judge: skipped, reward 0, no nl array, as before")
    func noJudge() async throws {
        let task = try NLTask.make()
        let (_, result, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        #expect(result.needsJudge)
        #expect(result.reward == 0 && !result.passed)
        #expect(result.components.last?.component == .nlAssertion && result.components.last?.score == nil)
        #expect(result.nl == nil && result.json["nl"] == nil)
        #expect(result.json["components"]?[2]?["score"] == "skipped")
    }

    @Test("a judge that says met: the NL component scores 1 and the reward counts it")
    func met() async throws {
        let task = try NLTask.make()
        let (outcome, plain, env) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        let model = ScriptedModel(replies: [NLTask.verdict(true)])
        let result = await Grader.judge(plain, task: task, outcome: outcome, judge: ModelJudge(model: model))
        #expect(result.reward == 1 && result.passed && !result.needsJudge)
        #expect(
            result.nl == [
                NLAssertionResult(
                    assertion: NLTask.assertion, verdict: JudgeVerdict(met: true, justification: "The log shows it."))
            ])
        #expect(
            result.json["nl"] == [
                ["assertion": .string(NLTask.assertion), "met": true, "justification": "The log shows it."]
            ])
        // One call, temperature 0, the assertion and the transcript (text and tool calls) in the prompt.
        let request = try #require(model.requests.first)
        #expect(model.requests.count == 1 && request.temperature == 0)
        let prompt = request.messages.map(\.content).joined(separator: "\n")
        #expect(prompt.contains(NLTask.assertion))
        #expect(prompt.contains("[agent calls change_plan]") && prompt.contains("[tool result to agent: change_plan]"))
        #expect(prompt.contains("[user] ") && prompt.contains("[agent] "))
        // The async grade entry point gives the same result.
        let (target, _) = try Grader.target(domain: try SupportDesk.load(), task: task)
        let again = try await Grader.grade(
            task: task, outcome: outcome, final: env, target: target,
            judge: ModelJudge(model: ScriptedModel(replies: [NLTask.verdict(true)])))
        #expect(again == result)
    }

    @Test("a judge that says not met: the NL component scores 0 and the reward is 0")
    func notMet() async throws {
        let task = try NLTask.make()
        let (outcome, plain, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        let result = await Grader.judge(
            plain, task: task, outcome: outcome,
            judge: ModelJudge(model: ScriptedModel(replies: [NLTask.verdict(false)])))
        #expect(result.reward == 0 && !result.passed && !result.needsJudge)
        #expect(result.components.last?.score == 0)
        #expect(result.nl?.first?.met == false && result.nl?.first?.error == nil)
    }

    @Test("a judge whose answer never parses is recorded as a failure: not met, not passed, no crash")
    func unparsable() async throws {
        let task = try NLTask.make()
        let (outcome, plain, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        let model = ScriptedModel(replies: ["I think so.", "Still yes."])
        let result = await Grader.judge(plain, task: task, outcome: outcome, judge: ModelJudge(model: model))
        #expect(result.reward == 0 && !result.passed)
        #expect(result.components.last?.score == nil)
        let entry = try #require(result.nl?.first)
        #expect(
            entry.verdict == nil && entry.error?.contains("invalidStructuredOutput") == true && !entry.infrastructure)
        #expect(result.json["nl"]?[0]?["met"] == .null && result.json["nl"]?[0]?["error"] != nil)
        #expect(!result.judgeUnavailable)
    }

    @Test("a judge whose endpoint is down marks the grade as judge-unavailable")
    func unreachable() async throws {
        let task = try NLTask.make()
        let (outcome, plain, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        let model = ScriptedModel(answers: [.failure(InferenceError(.unreachable, "cannot connect"))])
        let result = await Grader.judge(plain, task: task, outcome: outcome, judge: ModelJudge(model: model))
        #expect(result.reward == 0 && result.judgeUnavailable)
        #expect(result.nl?.first?.infrastructure == true)
    }

    @Test("episodes that end unrewardably are not sent to the judge; tasks without NL in the basis are untouched")
    func skips() async throws {
        var task = try NLTask.make()
        let model = ScriptedModel(replies: [])
        var (outcome, _, env) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        outcome.termination = .maxSteps
        let (target, _) = try Grader.target(domain: try SupportDesk.load(), task: task)
        let plain = try Grader.grade(task: task, outcome: outcome, final: env, target: target)
        let judged = await Grader.judge(plain, task: task, outcome: outcome, judge: ModelJudge(model: model))
        #expect(judged.reward == 0 && judged.nl == [] && !judged.needsJudge && model.requests.isEmpty)
        task.rewardBasis.removeLast()
        let (o2, r2, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        let untouched = await Grader.judge(r2, task: task, outcome: o2, judge: ModelJudge(model: model))
        #expect(untouched == r2 && untouched.nl == nil && model.requests.isEmpty)
    }

    @Test("the judge's transcript cuts long tool results and shows user tool calls")
    func transcriptText() {
        let entries = [
            TranscriptEntry(
                turn: 0, role: "assistant", side: .agent, content: "Hi", toolCalls: [], toolResult: nil, error: false),
            TranscriptEntry(
                turn: 1, role: "user", side: .user, content: nil,
                toolCalls: [ToolInvocation(id: "u1", name: "toggle", arguments: "{}", side: .user)], toolResult: nil,
                error: false),
            TranscriptEntry(
                turn: 2, role: "tool", side: .user, content: nil, toolCalls: [],
                toolResult: (id: "u1", name: "toggle", content: String(repeating: "x", count: 50)),
                error: true),
        ]
        let text = ModelJudge.transcriptText(entries, maxToolResultCharacters: 10)
        #expect(text == "[agent] Hi\n[user calls toggle] {}\n[tool result to user: toggle, error] xxxxxxxxxx …[cut]")
    }

    @Test("a run with a judge grades NL tasks, records nl per trial and the judge's calls in the run store")
    func runWithJudge() async throws {
        let domain = try Self.domainWithNL()
        let out = ToolTaskRunTests.temp("judge")
        let judge = ScriptedModel(rule: { _ in NLTask.verdict(true) })
        let config = ToolTaskRunConfig(
            domain: domain, taskIDs: ["sd-004", "sd-001"], agent: .gold, outDirectory: out, judge: judge)
        let summary = try await ToolTaskRunner.run(config)
        let trials = try #require(summary.results["trials"]?.arrayValue)
        #expect(trials.map { $0["passed"]?.boolValue } == [true, true])
        #expect(trials[0]["eval"]?["nl"]?[0]?["met"] == true)
        #expect(trials[1]["eval"]?["nl"] == nil)  // sd-001 has no NL_ASSERTION in its basis
        #expect(summary.results["config"]?["judge"] == "model:scripted")
        let store = try RunStore.open(summary.directory)
        let calls = try await store.modelCalls(unit: 0)
        #expect(calls.count == 1 && calls.first?.purpose == "nl_assertion")
        // A judge that says no: the trial fails and report.md lists the assertion with the judge's reason.
        let strict = try await ToolTaskRunner.run(
            ToolTaskRunConfig(
                domain: domain, taskIDs: ["sd-004"], agent: .gold, outDirectory: out,
                judge: ScriptedModel(identifier: "strict", rule: { _ in NLTask.verdict(false) })))
        #expect(strict.results["trials"]?[0]?["passed"] == false)
        let report = try String(contentsOf: strict.directory.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(
            report.contains(
                "## NL assertions not met\n\n- `sd-004/pp-803ef1e86a/t0` \(NLTask.assertion): The log shows it."))
        let html = try String(contentsOf: strict.directory.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(
            html.contains("<li>NL assertion not met: \(HTML.escape(NLTask.assertion)) (The log shows it.)</li>"))
        // Without the judge the same task is needs-judge and not passed.
        let plain = try await ToolTaskRunner.run(
            ToolTaskRunConfig(domain: domain, taskIDs: ["sd-004"], agent: .gold, outDirectory: out))
        #expect(plain.results["trials"]?[0]?["passed"] == false)
        #expect(plain.results["summary"]?["needsJudge"] == ["sd-004"])
    }

    /// The support desk with sd-004 given an NL assertion, in a temporary folder.
    static func domainWithNL() throws -> URL {
        let target = ToolTaskRunTests.temp("nl-domain")
        try FileManager.default.copyItem(at: SupportDesk.directory, to: target)
        let file = target.appendingPathComponent("tasks.json")
        var tasks = try #require(try JSONValue.parse(Data(contentsOf: file)).arrayValue)
        let index = try #require(tasks.firstIndex { $0["id"] == "sd-004" })
        guard case .object(var task) = tasks[index], case .object(var criteria)? = task["evaluation_criteria"] else {
            Issue.record("sd-004 has no evaluation_criteria")
            return target
        }
        criteria["nl_assertions"] = [.string(NLTask.assertion)]
        task["evaluation_criteria"] = .object(criteria)
        let basis =
            (task["x_reward_basis"]?.arrayValue ?? criteria["reward_basis"]?.arrayValue ?? ["DB", "COMMUNICATE"]) + [
                "NL_ASSERTION"
            ]
        task["x_reward_basis"] = .array(basis)
        tasks[index] = .object(task)
        try Data(JSONValue.array(tasks).serialized(pretty: true).utf8).write(to: file)
        return target
    }
}

@Suite(
    "The judge with the local model", .enabled(if: LocalModelFixture.isAvailable), .serialized, .timeLimit(.minutes(5)))
struct ToolTaskJudgeLocalModelTests {
    @Test("the local model judges one NL assertion: a parsed verdict or a recorded failure, never a crash")
    func localJudge() async throws {
        let model = try await LocalModelFixture.model()
        let task = try NLTask.make()
        let (outcome, plain, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        let result = await Grader.judge(
            plain, task: task, outcome: outcome, judge: ModelJudge(model: model, maxTokens: 96))
        let entry = try #require(result.nl?.first)
        #expect(entry.verdict != nil || entry.error != nil)
        if let verdict = entry.verdict {
            #expect(result.reward == (verdict.met ? 1 : 0))
        } else {
            #expect(result.reward == 0)
        }
        #expect(!result.needsJudge)
    }
}
