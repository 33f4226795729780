import Inference
import Testing

@testable import Memory

/// Deterministic vectors: a bag of three topic words.
struct TopicEmbedder: EmbeddingModel {
    let identifier = "test/topics"
    func embed(_ texts: [String]) async throws -> [[Double]] {
        texts.map { t in
            let tokens = ConversationMetrics.tokens(t)
            return ["price", "colour", "weather"].map { w in
                Double(tokens.filter { $0 == w || $0.hasPrefix(String(w.prefix(4))) }.count)
            }
        }
    }
}

@Suite struct EpisodicRetrievalTests {
    let f = Fixtures.self

    @Test func bm25RanksMatchingDocumentsFirstWithTiesBySeq() {
        let docs = [
            EpisodicDocument(seq: 0, text: "the weather is nice today"),
            EpisodicDocument(seq: 1, text: "the price is too high, the price!"),
            EpisodicDocument(seq: 2, text: "I like the colour"),
            EpisodicDocument(seq: 3, text: "price"),
        ]
        let index = BM25Index(documents: docs)
        let hits = index.search("what about the price", limit: 3)
        #expect(hits.map(\.document.seq).first == 3 || hits.map(\.document.seq).first == 1)
        #expect(Set(hits.map(\.document.seq)).isSuperset(of: [1, 3]))
        #expect(index.search("nothing matches", limit: 3).isEmpty)
        let tie = BM25Index(documents: [EpisodicDocument(seq: 5, text: "x y"), EpisodicDocument(seq: 2, text: "x y")])
        #expect(tie.search("x", limit: 2).map(\.document.seq) == [2, 5])
    }

    @Test func theStoreHoldsOnlyWhatTheViewerSaw() throws {
        let store = try EpisodicStore(log: f.focusLog, viewer: f.chen, roster: f.focusRoster)
        #expect(store.index.documents.map(\.seq) == [5, 8, 9, 10])
        #expect(
            store.index.documents.map(\.text) == [
                "[Narrator] You joined.", "Dana (to you): …", "Chen: Version 2 is clearer.",
                "[Narrator] Ten minutes remain.",
            ])
        for seed in 0..<60 {
            let world = RandomWorld.make(seed: UInt64(seed) &+ 777)
            for viewer in world.roster {
                let s = try EpisodicStore(log: world.log, viewer: viewer.id, roster: world.roster)
                let all = s.index.documents.map(\.text).joined(separator: "\n")
                for e in world.log where !(e.kind != .thought && referenceVisible(e, viewer, .fromJoin)) {
                    #expect(!all.contains(RandomWorld.sentinel(e.seq)), "M1 retrieval seed \(seed)")
                }
            }
        }
    }

    @Test func retrievalUnionsQueriesAndReranksAgainstTheQuestion() async throws {
        let a = ParticipantID(unchecked: "a")
        let b = ParticipantID(unchecked: "b")
        let roster = [Participant(id: a, displayName: "Ann"), Participant(id: b, displayName: "Ben")]
        let texts = [
            "The weather was awful on Monday.", "I paid a high price for the tickets.", "Blue is my favourite colour.",
            "The price of bread went up again.", "Nice weather for a walk.", "We talked about colour schemes.",
        ]
        let log = texts.enumerated().map { i, t in
            Event(seq: i, speaker: i % 2 == 0 ? a : b, kind: .utterance, content: t)
        }
        let store = try EpisodicStore(log: log, viewer: a, roster: roster)
        let hits = try await store.retrieve(
            queries: ["ticket price", "bread price"], question: "What did I pay?", limit: 4)
        #expect(hits.count <= 4)
        #expect(hits.map(\.document.seq).contains(1))
        let withVectors = try await store.withEmbeddings(TopicEmbedder())
        let semantic = try await withVectors.retrieve(queries: ["colours"], question: "favourite colour", limit: 2)
        #expect(semantic.map(\.document.seq) == [2, 5])
        // deterministic
        #expect(
            try await withVectors.retrieve(queries: ["colours"], question: "favourite colour", limit: 2) == semantic)
    }

    @Test func agenticTriggers() {
        var tree = smallTree()
        tree.apply([.add(path("preferences.food"), "pasta and olives")], seq: 1)
        #expect(!AgenticTrigger.treeLacksAnswer(tree, query: "what food do you like, pasta?", tau: 0.1))
        #expect(AgenticTrigger.treeLacksAnswer(tree, query: "when did you move to Lisbon?", tau: 0.1))
        #expect(AgenticTrigger.asksForDetails("What exactly did you say earlier about the price?"))
        #expect(!AgenticTrigger.asksForDetails("Do you like it?"))
    }
}
