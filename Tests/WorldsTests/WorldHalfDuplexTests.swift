import Agents
import Inference
import Memory
import Testing
import Worlds

/// A party that is not an LLM agent: it plays its moves in order (indexed by its own turns so far,
/// the opening included), then says "done".
struct ScriptedParty: Party {
    let participant: Participant
    let moves: [Move]

    init(_ raw: String, absent: Bool = false, _ moves: [Move]) {
        let name = raw.prefix(1).uppercased() + raw.dropFirst()
        participant = Participant(
            id: ParticipantID(unchecked: raw), displayName: name,
            membership: [Membership(start: absent ? Int.max : 0)])
        self.moves = moves
    }

    func move(on floor: Floor) async throws -> Move {
        let mine = floor.turns.filter { $0.participant == participant.id }.count
        return mine < moves.count ? moves[mine] : .say("done")
    }
}

/// Tools of the half-duplex tests: `lookup` answers, `fail` fails, `call_boss` brings the boss in,
/// `hang_up` ends the conversation.
struct DeskTools: ToolExecutor {
    func execute(_ request: ToolRequest, caller: ParticipantID, transcript: Transcript) async throws -> ToolExecution {
        switch request.call.name {
        case "fail": ToolExecution(result: "Error: no such order", isError: true)
        case "call_boss": ToolExecution(result: "paged", joins: [ParticipantID(unchecked: "boss")])
        case "hang_up": ToolExecution(result: "bye", endsConversation: "the clerk hung up")
        default: ToolExecution(result: "order \(request.call.arguments) found")
        }
    }
}

@Suite("Half-duplex turn taking with tools and non-agent parties")
struct WorldHalfDuplexTests {
    static func call(_ name: String, id: String = "") -> ToolRequest {
        ToolRequest(ToolCall(id: id, name: name, arguments: "{}"))
    }

    static func world(
        _ parties: [any Party],
        rules: TerminationRules = TerminationRules(
            maxTurns: 40, maxTurnsPerAgent: nil, maxConsecutiveFailures: 1, stall: nil,
            stopRules: [StopRule(token: "###STOP###")])
    ) throws -> World {
        try World(
            parties: parties,
            options: WorldOptions(
                turnTaking: .halfDuplex(
                    HalfDuplexTurns(opening: .init(participant: ParticipantID(unchecked: "clerk"), text: "Hello"))),
                termination: rules, toolExecutor: DeskTools()))
    }

    static func order(_ world: World) -> [String] { world.turns.map(\.participant.raw) }

    @Test(
        "the opening comes first; a tool-call move keeps the floor, a text move passes it; calls and results go to the caller only; a stop token ends the world after its move"
    )
    func floorAndTools() async throws {
        let clerk = ScriptedParty(
            "clerk",
            [
                .say("unused: the opening"), .toolCalls([Self.call("lookup"), Self.call("lookup", id: "mine")]),
                .say("Found it"), .say("Bye ###STOP###"),
            ])
        let customer = ScriptedParty("customer", [.say("Where is my order?"), .say("Thanks")])
        var world = try Self.world([clerk, customer])
        let end = try await world.run()
        #expect(Self.order(world) == ["clerk", "customer", "clerk", "clerk", "customer", "clerk"])
        #expect(end.reason == .stopToken && end.detail == "###STOP###" && end.participant?.raw == "clerk")
        #expect(world.transcript.events.last?.content == "Bye ###STOP###")
        let calls = world.turns[2].toolCalls
        #expect(calls.map(\.request.call.id) == ["call_1", "mine"])
        #expect(world.turns[2].action == nil && world.turns[2].failure == nil)
        let tools = world.transcript.events.filter { $0.kind == .toolCall || $0.kind == .toolResult }
        #expect(tools.map(\.kind) == [.toolCall, .toolResult, .toolCall, .toolResult])
        #expect(tools.allSatisfy { $0.audience == .only([clerk.participant.id]) })
        let seen = try world.transcript.projection(for: customer.participant.id, system: "s")
        #expect(!seen.contains { !$0.message.toolCalls.isEmpty || $0.message.role == .tool })
    }

    @Test(
        "a tool call brings an absent party in; it gets the floor after the caller's next text, sees the log from its join, and addressing passes the floor"
    )
    func joinAndAddress() async throws {
        let clerk = ScriptedParty(
            "clerk", [.say("unused"), .toolCalls([Self.call("call_boss")]), .say("My boss is joining.")])
        let customer = ScriptedParty("customer", [.say("SECRET-EARLY I want a refund."), .say("Thanks ###STOP###")])
        let boss = ScriptedParty(
            "boss", absent: true, [.toolCalls([Self.call("lookup")]), .say("Approved.", to: ["Customer"])])
        var world = try Self.world([clerk, customer, boss])
        let end = try await world.run()
        #expect(Self.order(world) == ["clerk", "customer", "clerk", "clerk", "boss", "boss", "customer"])
        #expect(end.reason == .stopToken && end.participant?.raw == "customer")
        let kinds = world.transcript.events.map(\.kind)
        #expect(kinds[2...4] == [.toolCall, .toolResult, .join])
        let bossView = try world.transcript.projection(for: boss.participant.id, system: "s").map(\.message)
        #expect(bossView[1].content.contains("[Narrator] You joined.") && bossView[1].content.contains("My boss"))
        #expect(!bossView.contains { $0.content.contains("SECRET-EARLY") })
        let customerView = try world.transcript.projection(for: customer.participant.id, system: "s").map(\.message)
        #expect(customerView.contains { $0.role == .user && $0.content.contains("Boss (to you): Approved.") })
        let clerkView = try world.transcript.projection(for: clerk.participant.id, system: "s").map(\.message)
        #expect(clerkView.contains { $0.role == .user && $0.content.contains("Boss (to Customer): Approved.") })
        #expect(!clerkView.contains { $0.role == .assistant && $0.content.contains("Approved") })
    }

    @Test("the step limit, the tool-error limit, a tool that ends the conversation and a failed move end the world")
    func limits() async throws {
        let customer = ScriptedParty("customer", [.say("Hi")])
        var steps = TerminationRules(maxTurns: 40, maxTurnsPerAgent: nil, stall: nil, maxSteps: 4)
        let looker = ScriptedParty("clerk", [.say("unused"), .toolCalls([Self.call("lookup")]), .say("more")])
        var world = try Self.world([looker, customer], rules: steps)
        #expect(try await world.run().reason == .stepCap)  // opening 1 + customer 1 + tool move 2
        #expect(world.turns.count == 3)

        steps.maxSteps = nil
        steps.maxToolErrors = 2
        let failer = ScriptedParty("clerk", [.say("unused"), .toolCalls([Self.call("fail"), Self.call("fail")])])
        world = try Self.world([failer, customer], rules: steps)
        let errors = try await world.run()
        #expect(errors.reason == .toolErrors && errors.participant?.raw == "clerk")

        let hanger = ScriptedParty("clerk", [.say("unused"), .toolCalls([Self.call("hang_up")])])
        world = try Self.world([hanger, customer], rules: steps)
        let ended = try await world.run()
        #expect(ended.reason == .toolEnded && ended.detail == "the clerk hung up")

        steps.maxConsecutiveFailures = 1
        let broken = ScriptedParty("customer", [.failed(TurnFailure(.model, "endpoint down"))])
        world = try Self.world([ScriptedParty("clerk", []), broken], rules: steps)
        let failed = try await world.run()
        #expect(failed.reason == .failures && failed.participant?.raw == "customer")
        #expect(world.failedTurns.map(\.failure?.message) == ["endpoint down"])
    }
}
