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

@testable import ToolTasks

@Suite("Tool-task runs (orchestrator, run store, model participants)")
struct ToolTaskRunTests {
    static func temp(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-tt-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }

    /// The files a tool-task run writes besides its store.
    static let outputs = ["transcripts.jsonl", "episodes.jsonl", "results.json", "report.md", "report.html"]

    static func read(_ url: URL, _ file: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
    }

    @Test(
        "T4 across concurrency: byte-identical transcripts and results at concurrency 1 and 4; resume after a kill gives the same files"
    )
    func determinismAndResume() async throws {
        let base = ToolTaskRunConfig(
            domain: SupportDesk.directory, split: "test", agent: .gold, personas: 2, trials: 2, seed: 3,
            outDirectory: Self.temp("a"))
        let a = try await ToolTaskRunner.run(base)
        var four = base
        four.outDirectory = Self.temp("b")
        four.concurrency = 4
        let b = try await ToolTaskRunner.run(four)
        #expect(a.unitsDone == 40 && a.unitsTotal == 40)
        for file in Self.outputs {
            #expect(try Self.read(a.directory, file) == Self.read(b.directory, file), "\(file)")
        }
        #expect(a.results["summary"]?["passHat"]?.arrayValue?.compactMap(\.doubleValue) == [1, 1, 1, 1])
        // Simulate SIGKILL half way: units not committed are pending; their rows are gone.
        let store = try Connection(.file(b.directory.appendingPathComponent(RunStore.fileName).path))
        try store.execute(
            "UPDATE units SET status = 'pending', result = NULL WHERE idx >= 17; DELETE FROM events WHERE unit >= 17;")
        for file in Self.outputs { try FileManager.default.removeItem(at: b.directory.appendingPathComponent(file)) }
        var resume = four
        resume.resume = b.directory
        let c = try await ToolTaskRunner.run(resume)
        #expect(c.unitsDone == 40)
        for file in Self.outputs {
            #expect(try Self.read(a.directory, file) == Self.read(c.directory, file), "\(file)")
        }
    }

    @Test("a model agent gets the policy as system prompt and the tools as functions; an LLM user sees flipped roles")
    func modelParticipants() async throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-004"))
        let (agentModel, userModel) = SupportDesk.planChangeModels()
        let (outcome, result, _) = try await SupportDesk.run(
            task, agent: ModelToolAgent(model: agentModel), user: LLMUser(model: userModel))
        #expect(result.reward == 1, "\(outcome.jsonl)")
        let first = try #require(agentModel.requests.first)
        #expect(first.messages.first?.role == .system && first.messages.first?.content == domain.policy)
        #expect(first.tools.count == 13)
        let userRequest = try #require(userModel.requests.last)
        #expect(userRequest.messages.first?.content.contains("<scenario>") == true)
        #expect(
            userRequest.messages.last?.role == .user && userRequest.messages.last?.content == "Your plan is now basic.")
        #expect(
            userRequest.messages.contains { $0.role == .assistant && $0.content.hasPrefix("I want the basic plan") })
    }

    @Test("the webhook body carries the policy, the OpenAI tool schemas and the agent's messages")
    func webhookBody() throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-001"))
        let log = try EpisodeLog(entries: [
            TranscriptEntry(
                turn: 0, role: "assistant", side: .agent, content: "Hi! How can I help you today?", toolCalls: [],
                toolResult: nil, error: false),
            TranscriptEntry(
                turn: 1, role: "user", side: .user, content: "My invoice is wrong.", toolCalls: [], toolResult: nil,
                error: false),
        ])
        let view = AgentView(
            task: task, policy: domain.policy, tools: domain.tools(for: .agent), log: log,
            transferTool: "escalate_to_human")
        let body = try WebhookAgent.body(view)
        #expect(body["task_id"] == "sd-001")
        #expect(body["tools"]?.arrayValue?.count == 13)
        #expect(body["tools"]?[0]?["function"]?["name"] != nil)
        // The agent's projection: the kickoff narration opens the chat (the greeting is the agent's own).
        #expect(
            body["messages"]?.arrayValue?.map { $0["role"]?.stringValue ?? "" } == [
                "system", "user", "assistant", "user",
            ])
        #expect(body["messages"]?[1]?["content"] == "[Narrator] The conversation begins.")
    }
}

@Suite(
    "Tool tasks with the local model", .enabled(if: LocalModelFixture.isAvailable), .serialized,
    .timeLimit(.minutes(10)))
struct ToolTaskLocalModelTests {
    @Test("3 short support-desk tasks with a model agent and a model user complete and are graded")
    func localModel() async throws {
        let model = try await LocalModelFixture.model()
        let domain = try SupportDesk.load()
        for id in ["sd-011", "sd-005", "sd-026"] {
            let task = try #require(domain.task(id))
            var capped = task
            capped.maxSteps = 3  // greeting, one user turn, one agent turn: the local model is slow here
            let (outcome, result, _) = try await SupportDesk.run(
                capped, agent: ModelToolAgent(model: model, maxTokens: 48), user: LLMUser(model: model, maxTokens: 32))
            #expect(outcome.transcript.count >= 2, "\(outcome.failure ?? "")")
            #expect(result.reward >= 0 && result.reward <= 1)
        }
    }
}
