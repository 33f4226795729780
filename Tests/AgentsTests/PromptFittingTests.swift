import Agents
import AgoraTesting
import Foundation
import Inference
import Memory
import Storage
import Testing

@Suite("Bounded context: learned memory in the prompt, fitting to the model's window")
struct PromptFittingTests {
    /// A persona as rich as the context benchmark's (name, attributes and a long narrative).
    static let narrative = String(
        repeating: "Lisa grew up near Toronto, studied statistics and works on search ranking in Seattle. ", count: 30)

    static func seed() -> PersonaSeed {
        PersonaSeed(
            attributes: [
                .init(name: "name", value: "Lisa Carter"), .init(name: "age", value: "28"),
                .init(name: "occupation", value: "data scientist"), .init(name: "traits", value: "curious, patient"),
                .init(name: "hobbies", value: "piano, hiking"),
            ], narrative: narrative)
    }

    /// Lisa with the default PersonaTree, seeded from her persona, and `learned` facts added.
    static func lisa(model: any LanguageModel, learned: Int, window: HistoryWindow? = nil) throws -> Agent {
        var tree = try TreeSchema.defaultPersona().seeded(with: seed())
        let paths = [
            "lifeSituation.currentGoals", "lifeSituation.currentWorries", "personality.quirks", "preferences.media",
            "beliefs.technology", "beliefs.money", "relationships.colleagues", "recentExperiences.events",
        ]
        for k in 0..<learned {
            let outcomes = tree.apply(
                [.update(try TreePath(paths[k % paths.count]), "learned fact number \(k) about the library")],
                seq: k + 1)
            #expect(outcomes.count == 1)
        }
        var agent = Agent(
            id: Fixture.alexID,
            profile: AgentProfile(
                displayName: "Alex", narrative: narrative, attributes: ["age": 28, "occupation": "data scientist"]),
            instructions: "You take part in a brainstorm.", model: model, memory: tree)
        agent.settings.historyWindow = window
        return agent
    }

    static func transcript(events: Int) throws -> Transcript {
        var t = try Transcript(roster: Fixture.roster())
        for k in 0..<events {
            try t.append(
                speaker: k % 2 == 0 ? Fixture.boID : Fixture.chenID, kind: .utterance,
                content: "Idea \(k): the library could open a repair cafe on Saturday mornings with volunteers.")
        }
        return t
    }

    @Test("learned leaves reach the prompt at the default budget; the persona core appears once, in the system message")
    func learnedLeavesShown() throws {
        let agent = try Self.lisa(model: ScriptedModel(replies: []), learned: 6)
        #expect(agent.settings.memoryBudgetTokens == 400)
        let messages = try agent.messages(for: TurnContext(transcript: try Self.transcript(events: 4)))
        let note = messages[1].content
        #expect(note.hasPrefix("[Narrator] (Only you see this note.) What you have learned and remember:"))
        for k in 0..<6 { #expect(note.contains("learned fact number \(k) about the library"), "fact \(k)") }
        // The locked core (the narrative) is rendered once: in the system message, not in the note.
        let all = messages.map(\.content).joined(separator: "\n")
        #expect(all.components(separatedBy: "Lisa grew up near Toronto").count - 1 == 30)
        #expect(messages[0].content.contains("Lisa grew up near Toronto"))
        #expect(!note.contains("Lisa grew up near Toronto"))
    }

    @Test("over the budget, learned leaves are cut oldest first and the cut is recorded")
    func learnedLeavesCut() async throws {
        var agent = try Self.lisa(model: ScriptedModel(replies: [Fixture.speak("Yes.")]), learned: 8)
        agent.settings.memoryBudgetTokens = 60
        let turn = try await agent.act(in: TurnContext(transcript: try Self.transcript(events: 2)))
        let record = try #require(turn.context)
        #expect(!record.memoryDropped.isEmpty)
        #expect(record.memoryDropped.first == "lifeSituation.currentGoals")  // the oldest update
        #expect(record.memoryShown > 0)
    }

    @Test("the memory note is a snapshot kept until the window's cut moves")
    func snapshotUntilTheCutMoves() throws {
        var agent = try Self.lisa(
            model: ScriptedModel(replies: []), learned: 1, window: HistoryWindow(first: 1, last: 4, step: 4))
        var t = try Self.transcript(events: 6)
        var prompt = try agent.turnPrompt(for: TurnContext(transcript: t))
        let first = try #require(prompt.record.memorySnapshot)
        agent.memorySnapshot = first
        // New memory, same cut: the prompt keeps the old note, so it only grows at its end.
        var tree = try #require(agent.memory as? PersonaTree)
        _ = tree.apply([.update(try TreePath("beliefs.money"), "a brand new fact")], seq: 50)
        agent.memory = tree
        try t.append(speaker: Fixture.boID, kind: .utterance, content: "One more idea.")
        prompt = try agent.turnPrompt(for: TurnContext(transcript: t))
        #expect(!prompt.request.messages.map(\.content).joined().contains("a brand new fact"))
        #expect(prompt.record.memorySnapshot == first)
        // Four more events move the cut: the note is rendered again and shows the new fact.
        for k in 0..<4 { try t.append(speaker: Fixture.chenID, kind: .utterance, content: "More \(k).") }
        prompt = try agent.turnPrompt(for: TurnContext(transcript: t))
        #expect(prompt.request.messages[1].content.contains("a brand new fact"))
        #expect(prompt.record.memorySnapshot?.cut != first.cut)
    }

    @Test("a request is fitted to the model's window: the history shrinks first; persona, instructions and cue stay")
    func fittedToTheWindow() async throws {
        let model = ScriptedModel(contextWindow: 3_000, replies: [Fixture.speak("Fine.")])
        var agent = try Self.lisa(model: model, learned: 3)
        agent.settings.maxTokens = 200
        let context = TurnContext(transcript: try Self.transcript(events: 120), cue: "Your turn, Alex.")
        let unfitted = PromptSize.estimate(try agent.messages(for: context))
        #expect(unfitted > 3_000)
        let turn = try await agent.act(in: context)
        #expect(turn.failure == nil)
        let sent = try #require(model.requests.first)
        #expect(PromptSize.estimate(sent.messages) <= 3_000 - 200)
        let text = sent.messages.map(\.content).joined(separator: "\n")
        #expect(text.contains("Lisa grew up near Toronto"))
        #expect(text.contains("You take part in a brainstorm."))
        #expect(text.hasSuffix("Your turn, Alex."))
        #expect(text.contains("learned fact number 2"))
        let record = try #require(turn.context)
        #expect(record.fittedTo == 3_000)
        #expect(record.fitDroppedEvents > 0)
        #expect(record.fitDroppedMemory == 0)
    }

    @Test("a prompt that cannot fit is a configuration error that stops the run, never sent")
    func cannotFit() async throws {
        let model = ScriptedModel(contextWindow: 600, replies: [Fixture.speak("Fine.")])
        let agent = try Self.lisa(model: model, learned: 2)
        let turn = try await agent.act(in: TurnContext(transcript: try Self.transcript(events: 3)))
        let failure = try #require(turn.failure)
        #expect(failure.stopsRun)
        #expect(failure.message.contains("context window of 600 tokens"))
        #expect(model.requests.isEmpty)
    }

    @Test("MessageFitter drops the oldest exchanges whole and keeps the system message and the last message")
    func messageFitter() throws {
        var messages: [ChatMessage] = [.system(String(repeating: "Policy. ", count: 40))]
        for k in 0..<30 {
            messages.append(.user("Customer message \(k): " + String(repeating: "words ", count: 20)))
            messages.append(.assistant("Agent reply \(k): " + String(repeating: "words ", count: 20)))
        }
        messages.append(.user("The latest question."))
        let model = ScriptedModel(contextWindow: 1_200, replies: [])
        let fit = try MessageFitter.fit(messages, model: model, maxTokens: 100)
        #expect(fit.promptTokens <= 1_100)
        #expect(fit.messages.first == messages.first)
        #expect(fit.messages.last == messages.last)
        #expect(fit.dropped > 0 && fit.dropped % 2 == 0)
        #expect(fit.messages[1].role == .user)
        #expect(throws: InferenceError.self) {
            _ = try MessageFitter.fit(messages, model: ScriptedModel(contextWindow: 150, replies: []), maxTokens: 100)
        }
        let unknown = try MessageFitter.fit(messages, model: ScriptedModel(replies: []), maxTokens: 100)
        #expect(unknown.messages == messages && unknown.dropped == 0)
    }
}
