import Agents
import AgoraTesting
import Inference
import Memory
import Storage
import Testing
import Worlds

@Suite("World turn taking")
struct WorldTurnTakingTests {
    typealias F = WorldFixture

    @Test("round-robin gives present speakers one turn each in roster order, skipping observers")
    func roundRobin() async throws {
        let (a, _) = F.talker("alex")
        let (o, om) = F.talker("olga", role: .observer)
        let (b, _) = F.talker("bo")
        let (c, _) = F.talker("chen")
        var world = try World(
            agents: [a, o, b, c], options: WorldOptions(termination: TerminationRules(maxTurns: 7, stall: nil)))
        let end = try await world.run()
        #expect(F.order(world) == ["alex", "bo", "chen", "alex", "bo", "chen", "alex"])
        #expect(end.reason == .turnCap)
        #expect(om.requests.isEmpty)
        #expect(world.transcript.events.map(\.seq) == Array(0..<7))
    }

    @Test("moderated: the moderator's addressees speak in roster order, then the floor returns")
    func moderatorNames() async throws {
        let script = Counter()
        let (dana, _) = F.agent("dana", role: .moderator) { _ in
            switch script.next() {
            case 1: F.speak("Chen and Alex, what do you think?", to: ["Chen", "Alex"])
            case 2: F.speak("Bo?", to: ["Bo"])
            default: F.speak("Anyone?")
            }
        }
        let (a, _) = F.talker("alex")
        let (b, _) = F.talker("bo")
        let (c, _) = F.talker("chen")
        var world = try World(
            agents: [dana, a, b, c],
            options: WorldOptions(
                turnTaking: .moderated(ModeratedTurns(moderator: F.id("dana"))),
                termination: TerminationRules(maxTurns: 8, stall: nil)))
        try await world.run()
        // Unnamed floor goes to the participant after the last floor holder (Bo → Chen).
        #expect(F.order(world) == ["dana", "alex", "chen", "dana", "bo", "dana", "chen", "dana"])
        #expect(world.transcript.events[0].addressees == [F.id("alex"), F.id("chen")])
    }

    @Test("moderated by a script: the floor follows the script and the world ends when it is used up")
    func moderatorScript() async throws {
        let (dana, _) = F.talker("dana", role: .moderator)
        let (a, _) = F.talker("alex")
        let (b, _) = F.talker("bo")
        var world = try World(
            agents: [dana, a, b],
            options: WorldOptions(
                turnTaking: .moderated(
                    ModeratedTurns(moderator: F.id("dana"), script: [F.id("bo"), F.id("bo"), F.id("alex")])),
                termination: TerminationRules(maxTurns: 50, stall: nil)))
        let end = try await world.run()
        #expect(F.order(world) == ["dana", "bo", "dana", "bo", "dana", "alex", "dana"])
        #expect(end.reason == .scriptEnded)
    }

    @Test("moderated by a script: absent participants are skipped")
    func moderatorScriptSkipsAbsent() async throws {
        let (dana, _) = F.talker("dana", role: .moderator)
        let (a, _) = F.talker("alex")
        let (b, _) = F.talker("bo")
        let (c, _) = F.talker("chen")
        var world = try World(
            agents: [dana, a, b, c],
            options: WorldOptions(
                turnTaking: .moderated(
                    ModeratedTurns(moderator: F.id("dana"), script: [F.id("bo"), F.id("alex"), F.id("bo")])),
                termination: TerminationRules(maxTurns: 50, stall: nil)))
        try world.remove(F.id("bo"))
        let end = try await world.run()
        #expect(F.order(world) == ["dana", "alex", "dana"])
        #expect(end.reason == .scriptEnded)
    }

    @Test("self-selection: a failed urge call counts as 0 and is recorded")
    func failedUrge() async throws {
        let (a, _) = F.agent("alex") { request in F.isUrge(request) ? "no idea" : F.speak("alex talks") }
        let (b, _) = F.agent("bo") { request in F.isUrge(request) ? #"{"urge": 0}"# : F.speak("bo talks") }
        let (c, _) = F.agent("chen") { request in F.isUrge(request) ? #"{"urge": 1}"# : F.speak("chen talks") }
        var world = try World(
            agents: [a, b, c],
            options: WorldOptions(
                turnTaking: .selfSelection(maxConsecutive: 3), termination: TerminationRules(maxTurns: 1, stall: nil)))
        try await world.run()
        #expect(F.order(world) == ["chen"])
        #expect(world.turns[0].urges.map(\.score) == [nil, 0, 1])
        #expect(world.modelCalls.first { $0.participant == F.id("alex") && $0.purpose == .urge }?.failure != nil)
    }

    @Test("self-selection: the highest urge speaks")
    func selfSelectionHighest() async throws {
        let urges: [String: Int] = ["alex": 3, "bo": 8, "chen": 5]
        var agents: [Agent] = []
        for raw in ["alex", "bo", "chen"] {
            let urge = urges[raw] ?? 0
            let (agent, _) = F.agent(raw) { request in
                F.isUrge(request) ? #"{"urge": \#(urge)}"# : F.speak("\(raw) talks")
            }
            agents.append(agent)
        }
        var world = try World(
            agents: agents,
            options: WorldOptions(
                turnTaking: .selfSelection(maxConsecutive: 2), termination: TerminationRules(maxTurns: 5, stall: nil)))
        try await world.run()
        // Bo twice, then excluded for one turn (Chen is next highest), then Bo again.
        #expect(F.order(world) == ["bo", "bo", "chen", "bo", "bo"])
        let first = try #require(world.turns.first)
        #expect(first.urges.map(\.score) == [3, 8, 5])
        #expect(world.modelCalls.filter { $0.purpose == .urge }.count == 14)
    }

    @Test("self-selection: ties are broken by the seeded floor stream, the same for the same seed")
    func selfSelectionTies() async throws {
        func run(seed: UInt64) async throws -> [String] {
            var agents: [Agent] = []
            for raw in ["alex", "bo", "chen", "dana"] {
                let (agent, _) = F.agent(raw) { request in
                    F.isUrge(request) ? #"{"urge": \#(raw == "dana" ? 1 : 6)}"# : F.speak("\(raw) talks")
                }
                agents.append(agent)
            }
            var world = try World(
                agents: agents,
                options: WorldOptions(
                    turnTaking: .selfSelection(maxConsecutive: 1),
                    termination: TerminationRules(maxTurns: 12, stall: nil),
                    seed: seed))
            try await world.run()
            return F.order(world)
        }
        let first = try await run(seed: 7)
        #expect(try await run(seed: 7) == first)
        #expect(!first.contains("dana"))
        #expect(zip(first, first.dropFirst()).allSatisfy { $0 != $1 })
        var differs = false
        for seed in UInt64(8)...UInt64(12) where try await run(seed: seed) != first { differs = true }
        #expect(differs)
    }

    @Test("simultaneous rounds: everyone acts on the same snapshot; events are appended in roster order")
    func simultaneous() async throws {
        let (a, am) = F.talker("alex")
        let (b, bm) = F.talker("bo")
        let (c, cm) = F.talker("chen")
        var world = try World(
            agents: [a, b, c],
            options: WorldOptions(
                turnTaking: .simultaneous, termination: TerminationRules(maxTurns: 6, stall: nil), concurrency: 3))
        let records = try await world.step()
        #expect(records.map(\.participant.raw) == ["alex", "bo", "chen"])
        #expect(world.transcript.events.map { $0.speaker?.raw } == ["alex", "bo", "chen"])
        // Round 1: nobody saw anyone's round-1 words.
        for model in [am, bm, cm] {
            #expect(!model.requests[0].messages.contains { $0.content.contains("speaks") })
        }
        try await world.run()
        #expect(world.round == 2)
        #expect(world.transcript.events.map { $0.speaker?.raw } == ["alex", "bo", "chen", "alex", "bo", "chen"])
        // Round 2: Bo saw Alex's and Chen's round-1 words, but not Alex's round-2 words.
        let bosSecond = bm.requests[1].messages.map(\.content).joined(separator: "\n")
        #expect(bosSecond.contains("Alex: Alex speaks 1"))
        #expect(bosSecond.contains("Chen: Chen speaks 1"))
        #expect(!bosSecond.contains("Alex speaks 2"))
    }

    @Test("the same seed and the same answers give the same transcript")
    func determinism() async throws {
        func run() async throws -> [Event] {
            let (a, _) = F.talker("alex")
            let (b, _) = F.talker("bo")
            let (c, _) = F.talker("chen")
            var world = try World(
                agents: [a, b, c],
                options: WorldOptions(
                    turnTaking: .simultaneous, termination: TerminationRules(maxTurns: 9, stall: nil), seed: 3))
            try await world.run()
            return world.transcript.events
        }
        #expect(try await run() == run())
    }

    @Test("agents draw their seeds from their own streams (run seed, agent id)")
    func seeds() async throws {
        func seeds(order: [String]) async throws -> [String: [Int?]] {
            var models: [String: ScriptedModel] = [:]
            var agents: [Agent] = []
            for raw in order {
                let (agent, model) = F.talker(raw)
                models[raw] = model
                agents.append(agent)
            }
            var world = try World(
                agents: agents, options: WorldOptions(termination: TerminationRules(maxTurns: 4, stall: nil), seed: 11))
            try await world.run()
            return models.mapValues { $0.requests.map(\.seed) }
        }
        let one = try await seeds(order: ["alex", "bo"])
        let two = try await seeds(order: ["bo", "alex"])
        #expect(one == two)
        #expect(one["alex"] != one["bo"])
    }

    @Test("bad worlds are rejected with invalidInput")
    func invalid() throws {
        let (a, _) = F.talker("alex")
        let (o, _) = F.talker("olga", role: .observer)
        #expect(throws: WorldError.self) {
            try World(
                agents: [a], options: WorldOptions(turnTaking: .moderated(ModeratedTurns(moderator: F.id("zed")))))
        }
        #expect(throws: WorldError.self) {
            try World(
                agents: [a, o], options: WorldOptions(turnTaking: .moderated(ModeratedTurns(moderator: F.id("olga")))))
        }
        #expect(throws: WorldError.self) {
            try World(agents: [a, a])
        }
        #expect(throws: WorldError.self) {
            try World(agents: [a], options: WorldOptions(arrivals: [Arrival(participant: F.id("zed"), beforeTurn: 1)]))
        }
    }
}
