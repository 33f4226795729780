import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Runs
import Storage
import Testing
import Worlds

@testable import ToolTasks

/// The three-party domain (Scenarios/domains/support-escalation) and its scenario file.
enum Escalation {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let directory = repository.appendingPathComponent("Scenarios/domains/support-escalation")
    static let scenario = repository.appendingPathComponent("Scenarios/support-desk-escalation.json")
    static let supervisor = ParticipantID(unchecked: "supervisor")
    static let domain: ToolDomain? = try? ToolDomain.load(directory)
    static func load() throws -> ToolDomain { try #require(domain) }

    /// Runs one episode with the scripted user and grades it.
    static func run(
        _ id: String, agent: any ToolTaskAgent = GoldReplayAgent(), staff: any ToolTaskAgent = GoldReplayAgent()
    ) async throws -> (EpisodeOutcome, EvalResult) {
        let domain = try load()
        let task = try #require(domain.task(id))
        let env = try ToolEnvironment(domain: domain, task: task)
        let outcome = try await Episode.run(
            task: task, environment: env, agent: agent, user: ScriptedUser(), staff: staff)
        let (target, _) = try Grader.target(domain: domain, task: task)
        return (outcome, try Grader.grade(task: task, outcome: outcome, final: env, target: target))
    }

    /// The projection of a finished episode for `viewer`, with the event seqs behind each message.
    static func projection(_ outcome: EpisodeOutcome, for viewer: ParticipantID) throws -> [ProjectedMessage] {
        try outcome.log.transcript.projection(for: viewer, system: "system", config: EpisodeLog.projectionConfig)
    }
}

@Suite("Three parties: the support-desk escalation (agent, customer, supervisor)", .serialized)
struct ToolTaskEscalationTests {
    @Test(
        "agora run Scenarios/support-desk-escalation.json: gold agent, gold supervisor and scripted user pass 3/3; the supervisor joins only when escalated, and its events are in transcripts.jsonl and episodes.jsonl"
    )
    func scenarioEndToEnd() async throws {
        let out = ToolTaskRunTests.temp("escalation")
        let summary = try await Launcher.run(
            file: Escalation.scenario.path, options: RunOptions(outDirectory: out), models: NoModels())
        #expect(summary.unitsDone == 3 && summary.results["summary"]?["passHat"] == [1.0])
        let lines = try ToolTaskRunTests.read(summary.directory, "transcripts.jsonl").split(separator: "\n")
        let episodes = try lines.map { try JSONValue.parse(String($0)) }
        #expect(
            episodes.map { $0["unit"]?.stringValue ?? "" } == [
                "esc-001/default/t0", "esc-002/default/t0", "esc-003/default/t0",
            ])
        for (episode, joins) in zip(episodes, [true, true, false]) {
            let events = try #require(episode["events"]?.arrayValue)
            let bySupervisor = events.filter { $0["speaker"] == "supervisor" }
            #expect(!bySupervisor.isEmpty == joins, "\(episode["unit"] ?? .null)")
            guard joins else { continue }
            #expect(
                bySupervisor.map { $0["kind"]?.stringValue ?? "" } == ["join", "toolCall", "toolCall", "utterance"])
            #expect(
                episode["participants"]?.arrayValue?.last == [
                    "id": "supervisor", "name": "Supervisor", "role": "supervisor",
                ])
            // The supervisor's tool calls and results are for the supervisor alone; its answer is addressed to the user.
            for event in events where event["tool"]?["caller"] == "supervisor" {
                #expect(event["audience"] == ["supervisor"])
            }
            #expect(bySupervisor.last?["to"] == ["User"])
        }
        let tau2 = try ToolTaskRunTests.read(summary.directory, "episodes.jsonl")
        #expect(
            tau2.contains(
                #""role":"assistant","party":"supervisor","tool_calls":[{"id":"gold_supervisor_1","name":"approve_exception_refund""#
            ))
        let results = try #require(summary.results["trials"]?.arrayValue)
        #expect(results.map { $0["termination"]?.stringValue ?? "" } == ["user_stop", "user_stop", "user_stop"])
    }

    @Test(
        "ECP for three parties: each party's projection holds its own tool calls and results only, its own words only as assistant, and the supervisor sees the log from its join"
    )
    func projections() async throws {
        let (outcome, result) = try await Escalation.run("esc-001")
        #expect(result.reward == 1 && outcome.termination == .userStop)
        let log = outcome.log.transcript
        let viewers = [EpisodeLog.agent, EpisodeLog.user, Escalation.supervisor]
        for viewer in viewers {
            let messages = try Escalation.projection(outcome, for: viewer)
            let mine = Set(log.events.filter { $0.tool?.caller == viewer }.compactMap(\.tool?.callID))
            let calls = Set(messages.flatMap { $0.message.toolCalls.map(\.id) })
            let results = Set(messages.compactMap(\.message.toolCallID))
            #expect(calls == mine && results == mine, "\(viewer)")
            for message in messages where message.message.role == .assistant {
                // Ownership (I2): an assistant message is made of the viewer's own events only.
                #expect(message.sources.allSatisfy { log.events[$0].speaker == viewer }, "\(viewer): \(message)")
            }
            for message in messages where message.message.role == .user {
                #expect(
                    !message.sources.contains { log.events[$0].speaker == viewer && log.events[$0].kind == .utterance })
            }
        }
        let agent = try Escalation.projection(outcome, for: EpisodeLog.agent).map(\.message)
        let user = try Escalation.projection(outcome, for: EpisodeLog.user).map(\.message)
        let supervisor = try Escalation.projection(outcome, for: Escalation.supervisor).map(\.message)
        let approval = "I have approved a one-time exception: $49.00 for invoice INV-5101"
        #expect(agent.contains { $0.role == .user && $0.content.contains("[Narrator] Supervisor joined.") })
        #expect(agent.contains { $0.role == .user && $0.content.contains("Supervisor (to User): Hello Maya") })
        #expect(user.contains { $0.role == .user && $0.content.contains("Supervisor (to you): Hello Maya") })
        #expect(!agent.contains { $0.role == .assistant && $0.content.contains(approval) })
        #expect(!user.contains { $0.role == .assistant && $0.content.contains(approval) })
        #expect(supervisor.contains { $0.role == .assistant && $0.content.contains(approval) })
        // The supervisor joined after the user's request: it sees the agent's hand-over, not the earlier talk.
        #expect(supervisor[1].role == .user && supervisor[1].content.contains("[Narrator] You joined."))
        #expect(supervisor[1].content.contains("Agent: Invoice INV-5101 was paid more than 30 days ago"))
        #expect(!supervisor.contains { $0.content.contains("hospital for most of February") })
        // No one but the supervisor sees what its tools returned.
        for messages in [agent, user] {
            #expect(!messages.contains { $0.content.contains("approved_by") || $0.content.contains("\"summary\"") })
        }
    }

    @Test(
        "a model supervisor's requests are its ECP (its policy, its tools, the log from its join); the agent's tools never include the supervisor's, whose tools are unknown to it"
    )
    func modelSupervisor() async throws {
        let model = ScriptedModel(answers: [
            .toolCalls([ToolCall(id: "s1", name: "get_escalation", arguments: #"{"escalation_id":"E-0001"}"#)]),
            .toolCalls([
                ToolCall(
                    id: "s2", name: "approve_exception_refund",
                    arguments: #"{"escalation_id":"E-0001","method":"original"}"#)
            ]),
            .text("Approved: your $49.00 goes back to your card."),
        ])
        let (outcome, result) = try await Escalation.run("esc-001", staff: ModelToolAgent(model: model))
        #expect(result.reward == 1, "\(result.json.serialized())")
        #expect(model.requests.count == 3)
        let domain = try Escalation.load()
        let party = try #require(domain.manifest.parties.first)
        let first = try #require(model.requests.first)
        #expect(first.messages.first == .system(party.policy))
        #expect(
            party.policy.contains("2025-03-20T12:00:00") && party.policy.hasPrefix("# support-escalation supervisor"))
        #expect(
            render(Array(first.messages.dropFirst())) == [
                "user|[Narrator] You joined.\n\nAgent: Invoice INV-5101 was paid more than 30 days ago, so I cannot refund it myself. I have escalated your request to my supervisor, who is joining now.||"
            ])
        #expect(
            first.tools.map(\.name) == [
                "approve_exception_refund", "decline_escalation", "escalate_to_supervisor", "find_customer_by_email",
                "get_escalation", "get_invoice", "issue_refund", "list_invoices",
            ])
        let third = try #require(model.requests.last)
        #expect(third.messages.filter { $0.role == .tool }.map(\.toolCallID) == ["s1", "s2"])
        // The model's answer names no one: as a domain party it speaks to the user.
        #expect(
            outcome.log.transcript.events.last { $0.speaker == Escalation.supervisor }?.addressees == [EpisodeLog.user])
        // The agent under test is never offered the supervisor's tools, and calling one is an unknown tool.
        #expect(!domain.tools(for: .agent).contains { $0.party != nil })
        let sneaky = ScriptedAgent([
            .calls([
                ToolInvocation(
                    id: "x", name: "approve_exception_refund",
                    arguments: #"{"escalation_id":"E-0001","method":"original"}"#)
            ])
        ])
        let (tried, graded) = try await Escalation.run("esc-001", agent: sneaky)
        let reply = try #require(tried.transcript.first { $0.toolResult?.id == "x" })
        #expect(reply.error && reply.toolResult?.content == "Error: Tool 'approve_exception_refund' not found.")
        #expect(graded.reward == 0)
    }

    @Test("the escalation domain lints clean; the no-op agent scores 0 on every task and the supervisor never joins")
    func lintAndNoOp() async throws {
        let domain = try Escalation.load()
        let findings = await TaskLinter.lint(domain)
        #expect(findings.isEmpty, "\(findings.map(\.line))")
        for task in domain.tasks {
            let (outcome, result) = try await Escalation.run(task.id, agent: NoOpAgent())
            #expect(result.reward == 0, "\(task.id)")
            #expect(!outcome.log.transcript.events.contains { $0.speaker == Escalation.supervisor })
        }
    }
}
