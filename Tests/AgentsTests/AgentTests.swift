import Agents
import AgoraTesting
import Foundation
import Inference
import Memory
import Storage
import Testing

@Suite("Agent")
struct AgentTests {
    @Test(
        "the system message holds roster line, persona, instructions, memory and the action format; the body is the projection"
    )
    func promptAssembly() throws {
        let model = ScriptedModel(replies: [])
        let alex = Fixture.agent(
            Fixture.alexID, "Alex", model: model, narrative: "Alex is a nurse from Leeds.",
            memory: NotesMemory(notes: ["Likes cycling"]))
        let context = TurnContext(transcript: try Fixture.transcript(), scenario: "Topic: bikes.", seed: 9)
        let request = try alex.prompt(for: context)
        let system = try #require(request.messages.first)
        #expect(system.role == .system)
        #expect(system.content.hasPrefix("You are Alex. Also present: Bo, Chen."))
        for part in [
            "Alex is a nurse from Leeds.", "- age: 34", "You take part in a focus group.", "Topic: bikes.",
            ProjectionText.convention, #""action": "speak""#,
        ] {
            #expect(system.content.contains(part), "missing \(part)")
        }
        // Memory is volatile: it goes after the history, never in the cached system prefix.
        #expect(!system.content.contains("Likes cycling"))
        let body = Array(request.messages.dropFirst())
        #expect(body.count == 1)
        #expect(body[0].role == .user)
        #expect(body[0].content.contains("Bo: I like the blue one."))
        #expect(body[0].content.contains("Chen (privately to you): Psst, Alex."))
        // The memory note opens the history (it changes only when the window's cut moves).
        #expect(body[0].content.hasPrefix("[Narrator] (Only you see this note.) What you have learned and remember:"))
        let memory = try #require(body[0].content.range(of: "- Likes cycling"))
        #expect(memory.upperBound < body[0].content.range(of: "Bo: I like the blue one.")!.lowerBound)
        #expect(request.seed == 9)
    }

    @Test("an aside is absent from a third party's prompt")
    func asideHidden() throws {
        let bo = Fixture.agent(Fixture.boID, "Bo", model: ScriptedModel(replies: []))
        let request = try bo.prompt(for: TurnContext(transcript: try Fixture.transcript()))
        #expect(!request.messages.contains { $0.content.contains("Psst") })
    }

    @Test("a valid answer becomes an action, with addressees resolved in roster order")
    func validTurn() async throws {
        let model = ScriptedModel(replies: [Fixture.speak("Hello both", to: ["chen", "Bo", "Zed"])])
        let alex = Fixture.agent(Fixture.alexID, "Alex", model: model)
        let turn = try await alex.act(in: TurnContext(transcript: try Fixture.transcript()))
        #expect(turn.action == .speak(content: "Hello both", to: ["Bo", "Chen"], isPrivate: false))
        #expect(turn.unknownAddressees == ["Zed"])
        #expect(turn.calls == 1)
        guard case .jsonSchema(let name, _, _) = model.requests[0].responseFormat else {
            Issue.record("the turn should ask for json_schema output")
            return
        }
        #expect(name == "action")
    }

    @Test("a malformed action gets one repair round, then is recorded as a failed turn")
    func malformedThenFailed() async throws {
        let model = ScriptedModel(replies: ["I think I'd say hello", #"{"action": "sing"}"#])
        let alex = Fixture.agent(Fixture.alexID, "Alex", model: model)
        let turn = try await alex.act(in: TurnContext(transcript: try Fixture.transcript()))
        let failure = try #require(turn.failure)
        #expect(failure.kind == .invalidAction)
        #expect(turn.action == nil)
        #expect(model.requests.count == 2)
        #expect(model.requests[1].messages.last?.content.contains("not valid") == true)
    }

    @Test("a malformed action repaired in the repair round is used")
    func malformedThenRepaired() async throws {
        let model = ScriptedModel(replies: ["oops", Fixture.speak("Fixed")])
        let alex = Fixture.agent(Fixture.alexID, "Alex", model: model)
        let turn = try await alex.act(in: TurnContext(transcript: try Fixture.transcript()))
        #expect(turn.action == .speak(content: "Fixed", to: [], isPrivate: false))
        #expect(turn.calls == 2)
    }

    @Test("the sanitiser strips the own name and cuts lines written for others")
    func sanitised() async throws {
        let model = ScriptedModel(replies: [Fixture.speak("Alex: I agree.\nBo: Me too!")])
        let alex = Fixture.agent(Fixture.alexID, "Alex", model: model)
        let turn = try await alex.act(in: TurnContext(transcript: try Fixture.transcript()))
        #expect(turn.action == .speak(content: "I agree.", to: [], isPrivate: false))
        #expect(turn.roleConfusion)
    }

    @Test("nothing left after sanitising regenerates with a new seed, then fails")
    func emptyRegenerates() async throws {
        let model = ScriptedModel(replies: [Fixture.speak("Bo: I say this"), Fixture.speak("   ")])
        let alex = Fixture.agent(Fixture.alexID, "Alex", model: model)
        let turn = try await alex.act(in: TurnContext(transcript: try Fixture.transcript(), seed: 100))
        #expect(turn.failure?.kind == .emptyContent)
        #expect(turn.regenerations == 1)
        #expect(model.requests.map(\.seed) == [100, 101])
        #expect(model.requests.map(\.sampleIndex) == [0, 1])
    }

    @Test("a private aside to no one present fails after regenerating")
    func privateWithoutAudience() async throws {
        let model = ScriptedModel(replies: [
            Fixture.speak("secret", to: ["Zed"], isPrivate: true),
            Fixture.speak("secret", to: [], isPrivate: true),
        ])
        let alex = Fixture.agent(Fixture.alexID, "Alex", model: model)
        let turn = try await alex.act(in: TurnContext(transcript: try Fixture.transcript()))
        #expect(turn.failure?.kind == .noAudience)
    }

    @Test("an endpoint error is a failed turn that says the endpoint is unusable")
    func endpointError() async throws {
        let model = ScriptedModel(answers: [.failure(InferenceError(.unreachable, "refused"))])
        let alex = Fixture.agent(Fixture.alexID, "Alex", model: model)
        let turn = try await alex.act(in: TurnContext(transcript: try Fixture.transcript()))
        #expect(turn.failure?.kind == .model)
        #expect(turn.failure?.isEndpointUnusable == true)
    }

    @Test("a behaviour policy adds guidance and may act without a model call")
    func behaviour() async throws {
        let model = ScriptedModel(replies: [])
        let alex = Fixture.agent(
            Fixture.alexID, "Alex", model: model, behaviour: PatiencePolicy(style: "Keep it short.", patience: 2))
        let early = TurnContext(transcript: try Fixture.transcript(), ownTurns: 0)
        #expect(!alex.systemMessage(for: early).contains("Keep it short."))
        #expect(try alex.messages(for: early).last?.content.hasSuffix("Keep it short.") == true)
        let late = TurnContext(transcript: try Fixture.transcript(), ownTurns: 2)
        let turn = try await alex.act(in: late)
        #expect(turn.action == .leave(content: ""))
        #expect(model.requests.isEmpty)
    }

    @Test("own thoughts are surfaced once, in the private note after the history, never in the system message")
    func thoughts() throws {
        var t = try Fixture.transcript()
        try t.append(
            speaker: Fixture.alexID, kind: .thought, audience: .only([Fixture.alexID]), content: "Bo seems nervous")
        let alex = Fixture.agent(Fixture.alexID, "Alex", model: ScriptedModel(replies: []))
        let messages = try alex.messages(for: TurnContext(transcript: t))
        #expect(!messages[0].content.contains("nervous"))
        let last = try #require(messages.last?.content)
        let note = try #require(last.range(of: "(Only you see this note.)"))
        #expect(last[note.upperBound...].contains("- Bo seems nervous"))
        #expect(messages.dropLast().allSatisfy { !$0.content.contains("nervous") })
    }

    @Test("urge calls parse a 0–9 score; failures give nil")
    func urge() async throws {
        let good = Fixture.agent(Fixture.alexID, "Alex", model: ScriptedModel(replies: [#"{"urge": 7}"#]))
        let result = try await good.urge(in: TurnContext(transcript: try Fixture.transcript()))
        #expect(result.score == 7)
        let bad = Fixture.agent(Fixture.alexID, "Alex", model: ScriptedModel(replies: [#"{"urge": 12}"#, "no"]))
        #expect(try await bad.urge(in: TurnContext(transcript: try Fixture.transcript())).score == nil)
    }

    @Test("memory renders within its budget, dropping the oldest notes")
    func memoryBudget() {
        let memory = NotesMemory(notes: ["a very old note about the past", "recent note"])
        let render = memory.render(budgetTokens: 4)
        #expect(render.text == "- recent note")
        #expect(render.dropped == 1)
    }

    @Test("the omniscient transcript marks addressees and asides and leaves thoughts out")
    func omniscient() throws {
        var t = try Fixture.transcript()
        try t.append(speaker: Fixture.alexID, kind: .thought, audience: .only([Fixture.alexID]), content: "hidden")
        try t.append(speaker: Fixture.alexID, kind: .utterance, addressees: [Fixture.boID], content: "Why?")
        let lines = OmniscientTranscript.lines(t.events, roster: t.roster, numbered: true)
        #expect(
            lines == [
                "[0] Bo: I like the blue one.", "[1] Chen (privately to Alex): Psst, Alex.", "[3] Alex (to Bo): Why?",
            ])
    }
}
