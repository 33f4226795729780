import Agents
import AgoraTesting
import Inference
import Memory
import Storage
import Testing
import Worlds

@Suite("World termination")
struct WorldTerminationTests {
    typealias F = WorldFixture

    @Test("a per-agent cap stops scheduling an agent; when no one is left the world ends at turnCap")
    func perAgentCap() async throws {
        let (a, _) = F.talker("alex")
        let (b, _) = F.talker("bo")
        var world = try World(
            agents: [a, b],
            options: WorldOptions(termination: TerminationRules(maxTurns: 100, maxTurnsPerAgent: 2, stall: nil)))
        let end = try await world.run()
        #expect(F.order(world) == ["alex", "bo", "alex", "bo"])
        #expect(end.reason == .turnCap)
    }

    @Test("the world ends when every present speaker passes")
    func allPass() async throws {
        let (a, _) = F.agent("alex") { _ in F.pass }
        let count = Counter()
        let (b, _) = F.agent("bo") { _ in count.next() == 1 ? F.speak("Hello") : F.pass }
        let (c, _) = F.agent("chen") { _ in F.pass }
        var world = try World(agents: [a, b, c], options: WorldOptions(termination: TerminationRules(stall: nil)))
        let end = try await world.run()
        // Alex passes, Bo speaks (resets), Chen, Alex, Bo pass: everyone has passed since Bo spoke.
        #expect(F.order(world) == ["alex", "bo", "chen", "alex", "bo"])
        #expect(end.reason == .allPassed)
        #expect(world.transcript.events.count == 1)
    }

    @Test("the world ends when too few remain: leaving closes membership and is logged")
    func allLeave() async throws {
        let (a, _) = F.agent("alex") { _ in F.leave("I have to go, bye.") }
        let (b, _) = F.talker("bo")
        let (c, _) = F.agent("chen") { _ in F.leave() }
        var world = try World(agents: [a, b, c], options: WorldOptions(termination: TerminationRules(stall: nil)))
        let end = try await world.run()
        #expect(F.order(world) == ["alex", "bo", "chen"])
        #expect(end.reason == .allLeft)
        let kinds = world.transcript.events.map { "\($0.speaker?.raw ?? "-"):\($0.kind.rawValue)" }
        #expect(kinds == ["alex:utterance", "alex:leave", "bo:utterance", "chen:leave"])
        let alex = try #require(world.transcript.participant(F.id("alex")))
        #expect(alex.membership == [Membership(start: 0, end: 2)])
    }

    @Test("the moderator closes the world by leaving")
    func moderatorCloses() async throws {
        let count = Counter()
        let (dana, _) = F.agent("dana", role: .moderator) { _ in
            count.next() < 3 ? F.speak("Next question, Alex?", to: ["Alex"]) : F.leave("Thank you all.")
        }
        let (a, _) = F.talker("alex")
        let (b, _) = F.talker("bo")
        var world = try World(
            agents: [dana, a, b],
            options: WorldOptions(
                turnTaking: .moderated(ModeratedTurns(moderator: F.id("dana"))),
                termination: TerminationRules(stall: nil)))
        let end = try await world.run()
        #expect(end.reason == .moderatorClosed)
        #expect(F.order(world) == ["dana", "alex", "dana", "alex", "dana"])
    }

    @Test("the detector is asked after round 2 only when a closing phrase appears, and can end the world")
    func detector() async throws {
        let judge = ScriptedModel(identifier: "judge") { request in
            let text = request.messages.last?.content ?? ""
            return text.contains("Bye")
                ? #"{"end": true, "reason": "they said goodbye"}"# : #"{"end": false, "reason": "still talking"}"#
        }
        let count = Counter()
        let (a, _) = F.agent("alex") { _ in
            let n = count.next()
            return F.speak(n == 2 ? "Thanks, that helps" : n >= 4 ? "Bye now" : "Point \(n) about bikes")
        }
        let (b, _) = F.agent("bo") { _ in F.speak("I see, tell me about colour") }
        var world = try World(
            agents: [a, b],
            options: WorldOptions(
                termination: TerminationRules(maxTurns: 40, detector: TerminationDetector(model: judge), stall: nil)))
        let end = try await world.run()
        #expect(end.reason == .detector)
        #expect(end.detail == "they said goodbye")
        // Rounds: (a1 b) → too early; (a2 "Thanks" b) → ask (false); (a3 b) → "Thanks" still in the last 4 → ask
        // (false); (a4 "Bye" b) → ask → end.
        #expect(judge.requests.count == 3)
        #expect(world.turns.count == 8)
        #expect(judge.requests[0].temperature == 0)
        #expect(judge.requests[2].messages[1].content.contains("Alex: Bye now"))
        #expect(world.modelCalls.filter { $0.purpose == .detector }.count == 3)
    }

    @Test("the closing-phrase pre-filter skips the detector unless the cap is one turn away")
    func preFilter() async throws {
        for (cap, expected) in [(8, 0), (7, 1)] {
            let judge = ScriptedModel(identifier: "judge-\(cap)") { _ in #"{"end": false, "reason": "no"}"# }
            let (a, _) = F.talker("alex")
            let (b, _) = F.talker("bo")
            var world = try World(
                agents: [a, b],
                options: WorldOptions(
                    termination: TerminationRules(
                        maxTurns: cap, detector: TerminationDetector(model: judge), stall: nil)))
            #expect(try await world.run().reason == .turnCap)
            #expect(judge.requests.count == expected, "cap \(cap)")
        }
    }

    @Test("the detector never reads private asides or thoughts")
    func detectorReadsPublicOnly() async throws {
        let judge = ScriptedModel(identifier: "judge2") { _ in #"{"end": false, "reason": "no"}"# }
        let (a, _) = F.agent("alex") { _ in F.speak("Thanks, bye SECRET-ASIDE", to: ["Bo"], isPrivate: true) }
        let (b, _) = F.agent("bo") { _ in F.speak("Thanks and goodbye") }
        var world = try World(
            agents: [a, b],
            options: WorldOptions(
                termination: TerminationRules(maxTurns: 6, detector: TerminationDetector(model: judge), stall: nil)))
        try await world.run()
        #expect(!judge.requests.isEmpty)
        #expect(!judge.requests.contains { $0.messages.contains { $0.content.contains("SECRET-ASIDE") } })
    }

    @Test("stall detection ends a world that repeats itself")
    func stall() async throws {
        let (a, _) = F.agent("alex") { _ in F.speak("I really like the blue bike a lot") }
        let (b, _) = F.agent("bo") { _ in F.speak("I really like the blue bike a lot") }
        var world = try World(agents: [a, b], options: WorldOptions(termination: TerminationRules(maxTurns: 40)))
        let end = try await world.run()
        #expect(end.reason == .stalled)
        #expect(world.turns.count == 6)
        #expect(end.detail.contains("echo share 0.83"))
    }

    @Test("a malformed action gets a repair round, is recorded as a failed turn, and the world goes on")
    func failedTurnRecorded() async throws {
        let count = Counter()
        let (a, am) = F.agent("alex") { _ in count.next() <= 2 ? "I refuse to write JSON" : F.speak("OK then") }
        let (b, _) = F.talker("bo")
        var world = try World(
            agents: [a, b], options: WorldOptions(termination: TerminationRules(maxTurns: 3, stall: nil)))
        try await world.run()
        #expect(world.failedTurns.count == 1)
        let failed = try #require(world.turns.first)
        #expect(failed.failure?.kind == .invalidAction)
        #expect(failed.events.isEmpty)
        #expect(failed.raw.isEmpty)
        #expect(am.requests.count == 3)
        #expect(world.transcript.events.map(\.content) == ["Bo speaks 1 about topic number 2", "OK then"])
        #expect(world.modelCalls.first?.failure != nil)
    }

    @Test("repeated failures end the world; an unusable endpoint ends it at once")
    func failures() async throws {
        let (a, _) = F.agent("alex") { _ in "nope" }
        let (b, _) = F.agent("bo") { _ in "nope" }
        var world = try World(
            agents: [a, b], options: WorldOptions(termination: TerminationRules(maxConsecutiveFailures: 4)))
        #expect(try await world.run().reason == .failures)
        #expect(world.failedTurns.count == 4)

        let dead = ScriptedModel(answers: [.failure(InferenceError(.unreachable, "connection refused"))])
        let c = Agent(id: F.id("chen"), profile: AgentProfile(displayName: "Chen"), model: dead)
        var broken = try World(agents: [c, b])
        let end = try await broken.run()
        #expect(end.reason == .endpointUnusable)
        #expect(broken.turns.count == 1)
    }

    @Test("the sanitiser runs on every output before it becomes an event")
    func sanitiserApplied() async throws {
        let (a, _) = F.agent("alex") { _ in F.speak("Alex: Good point.\nBo: And I agree with myself") }
        let (b, _) = F.talker("bo")
        var world = try World(agents: [a, b], options: WorldOptions(termination: TerminationRules(maxTurns: 1)))
        try await world.run()
        #expect(world.transcript.events[0].content == "Good point.")
        #expect(world.turns[0].roleConfusion)
    }

    @Test("close() and phases: a new phase restarts the caps")
    func phases() async throws {
        let (a, _) = F.talker("alex")
        let (b, _) = F.talker("bo")
        var world = try World(
            agents: [a, b], options: WorldOptions(termination: TerminationRules(maxTurns: 2, stall: nil)))
        #expect(try await world.run().reason == .turnCap)
        try world.beginPhase(termination: TerminationRules(maxTurns: 3, stall: nil), scenario: "Phase 2: price.")
        try world.narrate("Phase 2 begins.")
        #expect(try await world.run().reason == .turnCap)
        #expect(world.turns.count == 5)
        #expect(world.turns.last?.phase == 1)
        world.close("time is up")
        #expect(world.termination?.reason == .turnCap)
    }
}
