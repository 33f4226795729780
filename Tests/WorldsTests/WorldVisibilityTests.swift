import Agents
import AgoraTesting
import Inference
import Memory
import Storage
import Synchronization
import Testing
import Worlds

@Suite("World visibility, membership, memory and tools")
struct WorldVisibilityTests {
    typealias F = WorldFixture

    @Test("a private aside reaches its audience only: the next speaker's projection lacks it")
    func asides() async throws {
        let (a, _) = F.agent("alex") { _ in F.speak("Between us, SECRET-WORD", to: ["Bo"], isPrivate: true) }
        let (b, bm) = F.talker("bo")
        let (c, cm) = F.talker("chen")
        var world = try World(
            agents: [a, b, c], options: WorldOptions(termination: TerminationRules(maxTurns: 3, stall: nil)))
        try await world.run()
        let aside = world.transcript.events[0]
        #expect(aside.audience == .only([F.id("alex"), F.id("bo")]))
        let boSaw = bm.requests[0].messages.map(\.content).joined(separator: "\n")
        #expect(boSaw.contains("Alex (privately to you): Between us, SECRET-WORD"))
        #expect(!cm.requests[0].messages.contains { $0.content.contains("SECRET-WORD") })
        // Personas never leak into another agent's prompt.
        #expect(!cm.requests[0].messages.contains { $0.content.contains("SECRET-PERSONA-bo") })
        #expect(cm.requests[0].messages[0].content.contains("SECRET-PERSONA-chen"))
    }

    @Test("with asideVisibility .existence third parties see only a notice")
    func asideNotice() async throws {
        let (a, _) = F.agent("alex") { _ in F.speak("SECRET-WORD", to: ["Bo"], isPrivate: true) }
        let (b, _) = F.talker("bo")
        let (c, cm) = F.talker("chen")
        var projection = ProjectionConfig()
        projection.asideVisibility = .existence
        var world = try World(
            agents: [a, b, c],
            options: WorldOptions(termination: TerminationRules(maxTurns: 3, stall: nil), projection: projection))
        try await world.run()
        let chenSaw = cm.requests[0].messages.map(\.content).joined(separator: "\n")
        #expect(chenSaw.contains("[Narrator] Alex whispered something to Bo."))
        #expect(!chenSaw.contains("SECRET-WORD"))
    }

    @Test("a late joiner is absent until its arrival, then sees the log from its join")
    func join() async throws {
        let (a, _) = F.talker("alex")
        let (b, _) = F.talker("bo")
        let (c, cm) = F.talker("chen")
        var world = try World(
            agents: [a, b, c],
            options: WorldOptions(
                termination: TerminationRules(maxTurns: 5, stall: nil),
                arrivals: [Arrival(participant: F.id("chen"), beforeTurn: 2)]))
        try await world.run()
        #expect(F.order(world) == ["alex", "bo", "chen", "alex", "bo"])
        #expect(world.transcript.events[2].kind == .join)
        #expect(world.transcript.participant(F.id("chen"))?.membership == [Membership(start: 2)])
        let first = cm.requests[0].messages
        #expect(first[0].content.contains("You are Chen. Also present: Alex, Bo."))
        let body = first.dropFirst().map(\.content).joined(separator: "\n")
        #expect(body.contains("[Narrator] You joined."))
        #expect(!body.contains("Alex speaks 1"))
    }

    @Test("join and remove by hand; a removed agent is not scheduled")
    func joinRemove() async throws {
        let (a, _) = F.talker("alex")
        let (b, _) = F.talker("bo")
        let (c, _) = F.talker("chen")
        var world = try World(
            agents: [a, b, c], options: WorldOptions(termination: TerminationRules(maxTurns: 4, stall: nil)))
        try world.remove(F.id("bo"))
        try await world.run()
        #expect(F.order(world) == ["alex", "chen", "alex", "chen"])
        try world.join(F.id("bo"))
        #expect(
            world.transcript.participant(F.id("bo"))?.membership == [
                Membership(start: 0, end: 1), Membership(start: 5),
            ])
    }

    @Test("the memory updater gets each agent's own projection after 3 exchanges and at the end")
    func memoryUpdates() async throws {
        let updater = RecordingUpdater()
        let count = Counter()
        let (a, _) = F.agent("alex") { _ in
            count.next() == 1
                ? F.speak("SECRET-ASIDE for Chen", to: ["Chen"], isPrivate: true)
                : F.speak("Alex talks \(count.next())")
        }
        let (b, _) = F.talker("bo")
        let (c, _) = F.talker("chen")
        var world = try World(
            agents: [a, b, c],
            options: WorldOptions(termination: TerminationRules(maxTurns: 12, stall: nil), memoryUpdater: updater))
        try await world.run()
        let calls = updater.calls.withLock { $0 }
        // 4 exchanges each: one chunk of 3 after the 3rd, one of 1 at the end.
        #expect(calls.filter { $0.agent == "Bo" }.count == 2)
        #expect(calls.filter { $0.agent == "Alex" }.count == 2)
        for call in calls where call.agent == "Bo" {
            #expect(!call.text.contains("SECRET-ASIDE"))
        }
        #expect(calls.contains { $0.agent == "Chen" && $0.text.contains("SECRET-ASIDE") })
        let bo = try #require(world.agents.first { $0.id.raw == "bo" })
        #expect((bo.memory as? NotesMemory)?.notes.count == 2)
        #expect(world.modelCalls.filter { $0.purpose == .memory }.count == 6)
    }

    @Test("a tool call without tools is a failed turn; with an executor it logs call and result")
    func tools() async throws {
        let call = AgentAction.callTool(name: "lookup", arguments: ["order": 7], content: "").json.serialized()
        var (a, _) = F.agent("alex") { _ in call }
        a.tools = [ToolDefinition(name: "lookup", description: "Find an order", parameters: ["type": "object"])]
        let (b, _) = F.talker("bo")
        var plain = try World(agents: [a, b], options: WorldOptions(termination: TerminationRules(maxTurns: 1)))
        try await plain.run()
        #expect(plain.turns[0].failure?.kind == .unsupported)

        var world = try World(
            agents: [a, b],
            options: WorldOptions(termination: TerminationRules(maxTurns: 2, stall: nil), toolExecutor: EchoTool()))
        try await world.run()
        let kinds = world.transcript.events.map(\.kind)
        #expect(kinds == [.toolCall, .toolResult, .narration, .utterance])
        #expect(world.transcript.events[1].content == "order 7 shipped")
        #expect(world.transcript.events[0].tool?.arguments == #"{"order":7}"#)
    }
}

struct EchoTool: ToolExecutor {
    func execute(_ request: ToolRequest, caller: ParticipantID, transcript: Transcript) async throws -> ToolExecution {
        let arguments = try JSONValue.parse(request.call.arguments)
        return ToolExecution(
            result: "order \(arguments["order"]?.intValue ?? 0) shipped", narration: "A parcel is on its way.")
    }
}

final class RecordingUpdater: MemoryUpdater {
    struct Call: Sendable {
        var agent: String
        var text: String
        var through: Int
    }
    let calls = Mutex<[Call]>([])

    func update(
        memory: (any AgentMemory)?, agent: AgentProfile, viewer: ParticipantID, chunk: [Event], roster: [Participant]
    ) async throws -> MemoryUpdate {
        // What the agent experienced: its own projection of the chunk.
        let text = try MemListener.chunkText(log: chunk, viewer: viewer, roster: roster)
        let throughSeq = chunk.last?.seq ?? -1
        calls.withLock { $0.append(Call(agent: agent.displayName, text: text, through: throughSeq)) }
        var notes = (memory as? NotesMemory)?.notes ?? []
        notes.append("chunk through \(throughSeq)")
        return MemoryUpdate(
            memory: NotesMemory(notes: notes), usage: Usage(promptTokens: 1), calls: 1, note: "1 created")
    }
}
