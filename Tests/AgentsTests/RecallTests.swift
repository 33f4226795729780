import Agents
import AgoraTesting
import Foundation
import Inference
import Memory
import Storage
import Testing

@Suite("Agentic recall (memory.md §B.2.5)")
struct RecallTests {
    static let rewriteMarker = "recall earlier moments"

    /// Bo tells everyone about a wedding; Chen whispers a sentinel about the wedding to Bo only;
    /// filler follows; finally Bo asks Alex about the wedding.
    static func longTranscript(question: String = "Alex, do you remember when my sister's wedding was?") throws
        -> Transcript
    {
        var t = try Transcript(roster: Fixture.roster())
        try t.append(speaker: Fixture.boID, kind: .utterance, content: "My sister's wedding was on 14 May in Lisbon.")
        try t.append(
            speaker: Fixture.chenID, kind: .utterance, audience: .only([Fixture.chenID, Fixture.boID]),
            addressees: [Fixture.boID], content: "ZEBRA-SENTINEL the wedding in Lisbon was a disaster, Bo.")
        for i in 0..<8 {
            let speaker = i % 2 == 0 ? Fixture.chenID : Fixture.alexID
            try t.append(speaker: speaker, kind: .utterance, content: "Filler remark number \(i) about the weather.")
        }
        try t.append(speaker: Fixture.boID, kind: .utterance, content: question)
        return t
    }

    static func tree() -> PersonaTree {
        func leaf(_ key: String, _ value: String) -> TreeNode {
            .leaf(key: key, value: value, origin: .schema, locked: false, updatedAt: 0)
        }
        return PersonaTree(
            schemaID: "test",
            root: .branch(
                key: "",
                children: [
                    .branch(
                        key: "identity",
                        children: [
                            leaf("job", "nurse at the city hospital"), leaf("city", "Porto"),
                            leaf("family", "two brothers"), leaf("age", "thirty four"),
                        ], origin: .schema),
                    .branch(
                        key: "preferences",
                        children: [
                            leaf("transport", "bicycle every day"), leaf("food", "grilled sardines"),
                            leaf("music", "fado and jazz"), leaf("holidays", "mountains in autumn"),
                        ], origin: .schema),
                ], origin: .schema))
    }

    /// A model that answers the rewrite call with `queries` (or garbage) and turns with a short speech.
    static func model(queries: String = #"{"queries": ["sister wedding date", "wedding Lisbon"]}"#) -> ScriptedModel {
        ScriptedModel { request in
            if request.messages.first?.content.contains(rewriteMarker) == true { return queries }
            return Fixture.speak("It was in May, in Lisbon.")
        }
    }

    static func alex(model: ScriptedModel, window: HistoryWindow? = HistoryWindow(first: 0, last: 4)) -> Agent {
        var agent = Fixture.agent(Fixture.alexID, "Alex", model: model, memory: tree())
        agent.settings.historyWindow = window
        agent.settings.recall = RecallSettings()
        return agent
    }

    static func text(_ request: ChatRequest) -> String { request.messages.map(\.content).joined(separator: "\n") }

    @Test("a detail request recalls the moment that fell out of the window, from the agent's own view only")
    func detailRequest() async throws {
        let model = Self.model()
        let transcript = try Self.longTranscript()
        let turn = try await Self.alex(model: model).act(in: TurnContext(transcript: transcript, seed: 7))
        let recall = try #require(turn.recall)
        #expect(recall.trigger == .detailRequest)
        #expect(recall.queries == ["sister wedding date", "wedding Lisbon"])
        #expect(recall.recalled.first == 0)
        #expect(recall.failure == nil)
        #expect(turn.calls == 2)
        #expect(model.requests.count == 2)
        // M1: the aside between Chen and Bo reaches neither the rewrite call nor the turn.
        for request in model.requests { #expect(!Self.text(request).contains("ZEBRA")) }
        let turnRequest = model.requests[1]
        let last = try #require(turnRequest.messages.last?.content)
        let note = try #require(last.range(of: "(Only you see this note.)"))
        let notes = String(last[note.upperBound...])
        #expect(notes.contains("Earlier moments you recall (older than the conversation shown):"))
        #expect(notes.contains("Bo: My sister's wedding was on 14 May in Lisbon."))
        #expect(turnRequest.messages[1].content.contains("transport: bicycle every day"))
        #expect(!turnRequest.messages[0].content.contains("14 May"))
        // The history shows only the window: the wedding line is not in it.
        let body = turnRequest.messages.dropFirst().map(\.content).joined(separator: "\n")
        let history = body.components(separatedBy: "Earlier moments you recall")[0]
        #expect(!history.contains("14 May"))
        #expect(body.contains("do you remember when my sister's wedding was?"))
        // The rewrite call sees the tree and the question.
        let rewrite = Self.text(model.requests[0])
        #expect(rewrite.contains("transport: bicycle every day"))
        #expect(rewrite.contains("do you remember when my sister's wedding was?"))
    }

    @Test("at most `limit` moments are recalled, shown in seq order")
    func limitAndOrder() async throws {
        var t = try Transcript(roster: Fixture.roster())
        for i in 0..<10 {
            try t.append(speaker: Fixture.boID, kind: .utterance, content: "Wedding detail \(i): the wedding cake.")
        }
        for i in 0..<4 { try t.append(speaker: Fixture.chenID, kind: .utterance, content: "Unrelated \(i).") }
        try t.append(speaker: Fixture.boID, kind: .utterance, content: "Alex, remember the wedding cake?")
        let model = Self.model()
        let turn = try await Self.alex(model: model).act(in: TurnContext(transcript: t))
        let recalled = try #require(turn.recall).recalled
        #expect(recalled.count == 4)
        #expect(recalled == recalled.sorted())
        // Equal BM25 scores (same length, same terms): ties go to the earliest seqs.
        #expect(recalled == [0, 1, 2, 3])
    }

    @Test("trigger (b): no tree leaf covers the input; a covered input does not trigger")
    func treeCoverage() async throws {
        let uncovered = try Self.longTranscript(question: "Alex, your thoughts on wedding venues?")
        let model = Self.model()
        let turn = try await Self.alex(model: model).act(in: TurnContext(transcript: uncovered))
        #expect(turn.recall?.trigger == .treeLacksAnswer)

        let covered = try Self.longTranscript(question: "Alex, do you still go by bicycle to the hospital?")
        let quiet = Self.model()
        let plain = try await Self.alex(model: quiet).act(in: TurnContext(transcript: covered))
        #expect(plain.recall == nil)
        #expect(quiet.requests.count == 1)
        #expect(
            AgenticTrigger.treeLacksAnswer(Self.tree(), query: "do you still go by bicycle to the hospital?") == false)
    }

    @Test("no window, or a window that shows everything: no recall call")
    func nothingHidden() async throws {
        let transcript = try Self.longTranscript()
        let noWindow = Self.model()
        let a = try await Self.alex(model: noWindow, window: nil).act(in: TurnContext(transcript: transcript))
        #expect(a.recall == nil && noWindow.requests.count == 1)
        let wide = Self.model()
        let b = try await Self.alex(model: wide, window: HistoryWindow(first: 50, last: 50)).act(
            in: TurnContext(transcript: transcript))
        #expect(b.recall == nil && wide.requests.count == 1)
        // Without a window the whole visible history is in the body.
        #expect(Self.text(noWindow.requests[0]).contains("14 May"))
    }

    @Test("a failed rewrite searches the question itself and records why")
    func rewriteFailure() async throws {
        let model = Self.model(queries: "I cannot do that")
        let turn = try await Self.alex(model: model).act(in: TurnContext(transcript: try Self.longTranscript()))
        let recall = try #require(turn.recall)
        #expect(recall.failure != nil)
        #expect(recall.queries == ["Alex, do you remember when my sister's wedding was?"])
        #expect(recall.recalled.contains(0))
        #expect(turn.action == .speak(content: "It was in May, in Lisbon.", to: [], isPrivate: false))
    }

    @Test("the record serialises with its trigger, queries and seqs")
    func recordJSON() {
        let record = RecallRecord(
            trigger: .detailRequest, question: "When?", queries: ["date"], recalled: [2, 5], failure: nil)
        #expect(
            record.jsonValue.serialized()
                == #"{"trigger":"detailRequest","question":"When?","queries":["date"],"recalled":[2,5]}"#)
    }
}
