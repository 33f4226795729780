import Agents
import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Synchronization
import Testing
import Worlds

@testable import ToolTasks

/// A scripted user that calls a (user-side) tool once, before its opening, then behaves like
/// ``ScriptedUser``: so the log holds the user's own tool call and result.
struct ToolCallingUser: UserSimulator {
    func next(_ view: UserView) async throws -> AgentMessage {
        let called = view.entries.contains { $0.role == "user" && !$0.toolCalls.isEmpty }
        if view.ownTexts.isEmpty && !called {
            return .calls([ToolInvocation(id: "user_call", name: "check_my_account", arguments: "{\"mine\":true}")])
        }
        return try await ScriptedUser().next(view)
    }
}

/// One line per message: `role|content|calls|toolCallID`.
func render(_ messages: [ChatMessage]) -> [String] {
    messages.map { m in
        "\(m.role.rawValue)|\(m.content)|\(m.toolCalls.map { "\($0.id) \($0.name) \($0.arguments)" }.joined(separator: ";"))|\(m.toolCallID ?? "")"
    }
}

@Suite("Tool-task episodes on the perspective-free transcript (ECP)")
struct ToolTaskEpisodeLogTests {
    @Test(
        "every support-desk episode (gold agent, scripted user with a tool call) is a valid Memory log; neither side's projection holds the other's tool calls or results"
    )
    func audienceProperty() async throws {
        let domain = try SupportDesk.load()
        var userCalls = 0
        for task in domain.tasks {
            let (outcome, _, _) = try await SupportDesk.run(task, agent: GoldReplayAgent(), user: ToolCallingUser())
            let log = outcome.log
            // The log passes Memory's integrity checks when replayed event by event and through its file format.
            let replayed = try Transcript(roster: log.transcript.roster, events: log.transcript.events)
            #expect(replayed == log.transcript)
            #expect(try TranscriptJSONL.parse(TranscriptJSONL.serialize(log.transcript)) == log.transcript)
            #expect(log.entries.map(\.json) == outcome.transcript.map(\.json))
            // Tool events: audience = the caller, result right after its call.
            for (i, e) in log.transcript.events.enumerated() where e.kind == .toolCall || e.kind == .toolResult {
                let caller = try #require(e.tool?.caller)
                #expect(e.audience == .only([caller]), "\(task.id) seq \(e.seq)")
                if e.kind == .toolResult { #expect(log.transcript.events[i - 1].tool?.callID == e.tool?.callID) }
            }
            let calls = log.transcript.events.filter { $0.kind == .toolCall }
            let agentIDs = Set(calls.filter { $0.speaker == EpisodeLog.agent }.compactMap(\.tool?.callID))
            let userIDs = Set(calls.filter { $0.speaker == EpisodeLog.user }.compactMap(\.tool?.callID))
            userCalls += userIDs.count
            #expect(agentIDs.count == task.actions.count, "\(task.id)")
            let agentView = try log.messages(for: EpisodeLog.agent, system: domain.policy)
            let userView = try log.messages(for: EpisodeLog.user, system: "scenario")
            func ids(_ messages: [ChatMessage]) -> Set<String> {
                Set(messages.flatMap { $0.toolCalls.map(\.id) } + messages.compactMap(\.toolCallID))
            }
            #expect(ids(agentView) == agentIDs, "\(task.id)")
            #expect(ids(userView) == userIDs, "\(task.id)")
            for m in agentView + userView {
                #expect(
                    !m.content.contains("used tool") && !m.content.contains("[Tool result"), "\(task.id): \(m.content)")
            }
            #expect(!log.entries(visibleTo: EpisodeLog.agent).contains { $0.role == "user" && !$0.toolCalls.isEmpty })
            #expect(
                !log.entries(visibleTo: EpisodeLog.user).contains { $0.role == "assistant" && !$0.toolCalls.isEmpty })
            // The user's own call is an `assistant` message with tool_calls followed by its `tool` result.
            let own = try #require(userView.firstIndex { $0.toolCalls.first?.id == "user_call" })
            #expect(
                userView[own].role == .assistant && userView[own + 1].role == .tool
                    && userView[own + 1].toolCallID == "user_call")
        }
        #expect(userCalls == domain.tasks.count)
    }

    @Test(
        "golden: the model agent's third request for sd-004 is the ECP of the episode log; the LLM user's is the flipped projection"
    )
    func goldenRequests() async throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-004"))
        let (agentModel, userModel) = SupportDesk.planChangeModels()
        let (outcome, result, _) = try await SupportDesk.run(
            task, agent: ModelToolAgent(model: agentModel), user: LLMUser(model: userModel))
        #expect(result.reward == 1)
        #expect(agentModel.requests.count == 3)
        let third = try #require(agentModel.requests.last)
        #expect(third.messages.first == .system(domain.policy))
        // The kickoff narration is new with ECP (the chat used to open with the agent's greeting as
        // `assistant`): chat templates such as Gemma's need a user turn first, and conversation
        // scenarios open the same way.
        #expect(
            render(Array(third.messages.dropFirst())) == [
                "user|[Narrator] The conversation begins.||",
                "assistant|Hi! How can I help you today?||",
                "user|I want the basic plan. I'm Pedro Alves, pedro.alves@example.com.||",
                "assistant||c1 find_customer_by_email {\"email\":\"pedro.alves@example.com\"}|",
                "tool|{\"id\":\"C1006\",\"name\":\"Pedro Alves\",\"email\":\"pedro.alves@example.com\",\"plan\":\"pro\",\"status\":\"active\"}||c1",
                "assistant||c2 change_plan {\"customer_id\":\"C1006\",\"plan\":\"basic\"}|",
                "tool|{\"id\":\"C1006\",\"plan\":\"basic\",\"renews_at\":\"2025-04-01\"}||c2",
            ])
        // The user's request is unchanged by the move to ECP: greeting as `user`, own words `assistant`.
        let user = try #require(userModel.requests.last)
        #expect(user.messages.first == .system(LLMUser.systemPrompt(task: task, persona: nil)))
        #expect(
            render(Array(user.messages.dropFirst())) == [
                "user|Hi! How can I help you today?||",
                "assistant|I want the basic plan. I'm Pedro Alves, pedro.alves@example.com.||",
                "user|Your plan is now basic.||",
            ])
        // The tau2-style transcript is the same as before the log existed.
        #expect(
            outcome.jsonl.split(separator: "\n").map(String.init) == [
                #"{"turn":0,"role":"assistant","content":"Hi! How can I help you today?","side":"agent","error":false,"ts":0}"#,
                #"{"turn":1,"role":"user","content":"I want the basic plan. I'm Pedro Alves, pedro.alves@example.com.","side":"user","error":false,"ts":1}"#,
                #"{"turn":2,"role":"assistant","tool_calls":[{"id":"c1","name":"find_customer_by_email","arguments":"{\"email\":\"pedro.alves@example.com\"}","side":"agent"}],"side":"agent","error":false,"ts":2}"#,
                #"{"turn":3,"role":"tool","tool_result":{"id":"c1","name":"find_customer_by_email","content":"{\"id\":\"C1006\",\"name\":\"Pedro Alves\",\"email\":\"pedro.alves@example.com\",\"plan\":\"pro\",\"status\":\"active\"}"},"side":"agent","error":false,"ts":3}"#,
                #"{"turn":4,"role":"assistant","tool_calls":[{"id":"c2","name":"change_plan","arguments":"{\"customer_id\":\"C1006\",\"plan\":\"basic\"}","side":"agent"}],"side":"agent","error":false,"ts":4}"#,
                #"{"turn":5,"role":"tool","tool_result":{"id":"c2","name":"change_plan","content":"{\"id\":\"C1006\",\"plan\":\"basic\",\"renews_at\":\"2025-04-01\"}"},"side":"agent","error":false,"ts":5}"#,
                #"{"turn":6,"role":"assistant","content":"Your plan is now basic.","side":"agent","error":false,"ts":6}"#,
                ####"{"turn":7,"role":"user","content":"###STOP###","side":"user","error":false,"ts":7}"####,
            ])
    }

    @Test("two tool calls in one message become call, result, call, result in the log and in the agent's projection")
    func parallelCalls() async throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-004"))
        let agent = ScriptedAgent([
            .calls([
                ToolInvocation(
                    id: "a", name: "find_customer_by_email", arguments: "{\"email\":\"pedro.alves@example.com\"}"),
                ToolInvocation(
                    id: "b", name: "find_customer_by_email", arguments: "{\"email\":\"nobody@example.com\"}"),
            ]),
            .text("Done."),
        ])
        let (outcome, _, _) = try await SupportDesk.run(task, agent: agent)
        #expect(
            outcome.transcript.map(\.role) == ["assistant", "user", "assistant", "tool", "tool", "assistant", "user"])
        let kinds = outcome.log.transcript.events.map(\.kind.rawValue)
        #expect(
            kinds == [
                "utterance", "utterance", "toolCall", "toolResult", "toolCall", "toolResult", "utterance", "utterance",
            ])
        #expect(
            outcome.log.eventsOfEntry[2] == [2, 4] && outcome.log.eventsOfEntry[3] == [3]
                && outcome.log.eventsOfEntry[4] == [5])
        let roles = try outcome.log.messages(for: EpisodeLog.agent, system: "p").map(\.role.rawValue)
        #expect(
            roles == [
                "system", "user", "assistant", "user", "assistant", "tool", "assistant", "tool", "assistant", "user",
            ])
    }
}

@Suite("Tool-task run outputs (transcripts, episodes.jsonl, report.html)", .serialized)
struct ToolTaskReportTests {
    /// A model agent that solves sd-004 (find the customer, change the plan, say so) except on the
    /// second episode it starts, where it refuses; on sd-001 the same moves are wrong.
    static func agent() -> ScriptedModel {
        let started = Mutex(0)
        return ScriptedModel(answering: { request in
            let tools = request.messages.filter { $0.role == .tool }.count
            switch tools {
            case 0:
                let n = started.withLock { n in
                    n += 1
                    return n
                }
                if n == 2 { return .text("I can't help with that.") }
                return .toolCalls([
                    ToolCall(
                        id: "c1", name: "find_customer_by_email", arguments: "{\"email\":\"pedro.alves@example.com\"}")
                ])
            case 1:
                return .toolCalls([
                    ToolCall(id: "c2", name: "change_plan", arguments: "{\"customer_id\":\"C1006\",\"plan\":\"basic\"}")
                ])
            default: return .text("Your plan is now basic.")
            }
        })
    }

    static func run() async throws -> RunSummary {
        let out = ToolTaskRunTests.temp("report")
        let config = ToolTaskRunConfig(
            domain: SupportDesk.directory, taskIDs: ["sd-004", "sd-001"], agent: .model(agent()), trials: 2, seed: 5,
            outDirectory: out)
        return try await ToolTaskRunner.run(config)
    }

    @Test(
        "report.html has the tool-task section: pass^k table and curve, pass^1 bars, terminations, the failing tasks with their basis and state diff; agora report rebuilds every file byte for byte"
    )
    func reportSection() async throws {
        let summary = try await Self.run()
        let dir = summary.directory
        #expect(summary.results["summary"]?["passHat"] == [0.25, 0.0])
        let html = try ToolTaskRunTests.read(dir, "report.html")
        for fragment in [
            "<h1>Tool tasks: support-desk</h1>",
            "<h2 id=\"tool-tasks\">Tool tasks</h2>",
            "<p>4 trials of 2 tasks · avg reward 0.250 · tool error rate 0.000 · infrastructure errors excluded 0</p>",
            "<tr><th>k</th><th>pass^k</th><th>pass@k</th></tr>",
            "<tr><td>1</td><td>0.250</td><td>0.250</td></tr>",
            "<tr><td>2</td><td>0.000</td><td>0.500</td></tr>",
            "<title>pass^k k=1: 0.250</title>",
            "<h3>pass^1 by split</h3>",
            "<h3>Termination reasons</h3>",
            "<text x=\"0\" y=\"17.0\">user_stop</text>",
            "<p>Flaky tasks (some trials pass, some fail): sd-004</p>",
            "<h4>sd-004 · 1 of 2 trials failed</h4>",
            "<h4>sd-001 · 2 of 2 trials failed</h4>",
            "<p><b>sd-001/default/t0</b> · reward 0.000 · termination user_stop</p>",
            "<tr><td>DB</td><td>0.000</td></tr>",
            "<tr><th>table</th><th>key</th><th>change</th><th>column</th><th>gold</th><th>final</th></tr>",
            "<tr><td>customers</td><td>&quot;C1006&quot;</td><td>changed</td><td>plan</td><td>&quot;pro&quot;</td><td>&quot;basic&quot;</td></tr>",
        ] {
            #expect(html.contains(fragment), "report.html lacks \(fragment)")
        }
        // Rebuilding from the store gives the same bytes, for every output and every format.
        var before: [String: String] = [:]
        for file in ToolTaskRunTests.outputs { before[file] = try ToolTaskRunTests.read(dir, file) }
        #expect(try await Launcher.report(dir, format: .html) == before["report.html"])
        #expect(try await Launcher.report(dir, format: .json) == before["results.json"])
        #expect(try await Launcher.report(dir, format: .md) == before["report.md"])
        for file in ToolTaskRunTests.outputs {
            #expect(try ToolTaskRunTests.read(dir, file) == before[file], "\(file)")
        }
    }

    @Test(
        "transcripts.jsonl has one conversation per episode (events with audiences and tool payloads); episodes.jsonl is the tau2-style transcript of each episode"
    )
    func transcripts() async throws {
        let summary = try await Self.run()
        let lines = try ToolTaskRunTests.read(summary.directory, "transcripts.jsonl").split(separator: "\n")
        #expect(lines.count == 4)
        let first = try JSONValue.parse(String(lines[0]))
        let unit = try #require(first["unit"]?.stringValue)
        #expect(first["kind"] == "tool-tasks" && unit.hasPrefix("sd-004/") && unit.hasSuffix("/t0"))
        #expect(
            first["participants"] == [
                ["id": "agent", "name": "Agent", "role": "agent"], ["id": "user", "name": "User", "role": "user"],
            ])
        let events = try #require(first["events"]?.arrayValue)
        #expect(
            events.map { $0["kind"]?.stringValue ?? "" } == [
                "utterance", "utterance", "toolCall", "toolResult", "toolCall", "toolResult", "utterance", "utterance",
            ])
        #expect(
            events[2]["audience"] == ["agent"] && events[3]["audience"] == ["agent"] && events[3]["name"] == "Narrator")
        #expect(events[2]["tool"]?["name"] == "find_customer_by_email")
        // episodes.jsonl: the episode's tau2 lines with its unit, exactly what the episode runner writes.
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-004"))
        let library = domain.personas ?? PersonaLibrary.standard
        let persona = task.personaPolicyRef.flatMap { $0.split(separator: "#").last.map(String.init) }.flatMap(
            library.preset)
        let (outcome, _, _) = try await SupportDesk.run(
            task, agent: ModelToolAgent(model: Self.agent()), persona: persona)
        let episodes = try ToolTaskRunTests.read(summary.directory, "episodes.jsonl").split(separator: "\n")
        let mine = try episodes.map { try JSONValue.parse(String($0)) }.filter { $0["unit"]?.stringValue == unit }.map {
            line in
            guard case .object(var o) = line else { return "" }
            o["unit"] = nil
            return JSONValue.object(o).serialized() + "\n"
        }
        #expect(mine.joined() == outcome.jsonl)
    }

    @Test("episodes.jsonl is rebuilt from runs stored before the Memory log too; the domain name comes from the run id")
    func oldStores() throws {
        let entry = TranscriptEntry(
            turn: 0, role: "assistant", side: .agent, content: "Hi!", toolCalls: [], toolResult: nil, error: false)
        let manifest = RunManifest(
            runID: "tasks-my-domain-0123abcd", kind: "tool-tasks", document: [:], sourceFile: nil, seed: 1,
            model: "gold")
        let unit = UnitRecord(
            spec: UnitSpec(index: 0, id: "t1/default/t0", kind: "tool-task", input: [:]), status: .done, result: .null,
            commits: 1)
        let data = RunData(
            manifest: manifest, personas: [], units: [unit],
            events: [
                0: [RunEvent(seq: 0, kind: "tool-task.assistant", speaker: "agent", content: "Hi!", data: entry.json)]
            ], usage: [])
        #expect(
            ToolTaskReport.episodesJSONL(data)
                == #"{"turn":0,"role":"assistant","content":"Hi!","side":"agent","error":false,"ts":0,"unit":"t1/default/t0"}"#
                + "\n")
        #expect(ToolTaskReport.domainName("tasks-my-domain-0123abcd") == "my-domain")
        #expect(ToolTaskReport.results(data)["domain"] == "my-domain")
    }
}
