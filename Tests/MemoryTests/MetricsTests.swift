import Testing

@testable import Memory

@Suite struct ConversationMetricsTests {
    let a = ParticipantID(unchecked: "a")
    let b = ParticipantID(unchecked: "b")

    func log(_ turns: [(ParticipantID, String)]) -> [Event] {
        turns.enumerated().map { i, t in Event(seq: i, speaker: t.0, kind: .utterance, content: t.1) }
    }

    @Test func tokensAreLowercasedUnicodeWords() {
        #expect(ConversationMetrics.tokens("Héllo, WORLD! 42-times über") == ["héllo", "world", "42", "times", "über"])
        #expect(ConversationMetrics.tokens("  ...  ").isEmpty)
    }

    @Test func echoIsTheShareOfSharedNgrams() {
        #expect(ConversationMetrics.echo("", "anything") == 0)
        #expect(ConversationMetrics.echo("I love the blue one", "i LOVE the blue one!") == 1)
        // n = 4: 2 four-grams in u, one shared
        #expect(ConversationMetrics.echo("we like the blue car", "they like the blue bike") == 0)
        #expect(ConversationMetrics.echo("like the blue car", "I like the blue car a lot") == 1)
        #expect(ConversationMetrics.echo("yes", "yes yes") == 1)
        #expect(ConversationMetrics.echo("a b c d e", "a b c d x") == 0.5)
    }

    @Test func echoRateLooksAtTheLastThreeUtterancesByOthers() {
        let l = log([
            (b, "the librarian knows every book in the building"),
            (a, "the librarian knows every book in the building"),
            (b, "one"), (b, "two"), (b, "three"), (a, "the librarian knows every book"),
        ])
        // a's first utterance echoes b's; the second's source is more than 3 utterances back.
        #expect(ConversationMetrics.echoRate(of: a, in: l) == 0.5)
        #expect(ConversationMetrics.echoRate(of: ParticipantID(unchecked: "c"), in: l) == 0)
    }

    @Test func verbatimCopyRateUsesNormalisedEquality() {
        let l = log([
            (b, "I work at the library, shelving books."), (a, "i work at the LIBRARY shelving books"),
            (a, "Something else"), (b, "Something else"),
        ])
        #expect(ConversationMetrics.verbatimCopyRate(of: a, in: l) == 0.5)
        let librarian = log([(b, "I am a librarian."), (a, "I am a librarian.")])
        #expect(ConversationMetrics.verbatimCopyRate(of: a, in: librarian) == 1.0)
    }

    @Test func personaLeakCountsDistinctiveTrigramsOfOthers() {
        let personas = [
            ConversationMetrics.PersonaText(participant: a, text: "I live in a small town and I teach maths"),
            ConversationMetrics.PersonaText(
                participant: b, text: "I live in a big city and I grow orchids on my balcony"),
        ]
        let l = log([
            (a, "I live in a small town."), (a, "I grow orchids on my balcony too!"), (a, "Hello there."),
            (a, "I live in a place"),
        ])
        // "i live in" is shared with a's own persona: not distinctive. "grow orchids on" is.
        #expect(ConversationMetrics.personaLeak(of: a, in: l, personas: personas) == 0.25)
    }

    @Test func roleConfusionRateIsTheShareOfCutGenerations() {
        let s = OutputSanitizer(selfName: "Bo", otherNames: ["Dana"])
        let outs = ["fine", "ok\nDana: thanks", "Dana: hi", "sure"].map(s.sanitize)
        #expect(ConversationMetrics.roleConfusionRate(outs) == 0.5)
        #expect(ConversationMetrics.roleConfusionRate([]) == 0)
    }
}

@Suite struct TreeHealthTests {
    @Test func healthCountsFilledLeavesRejectionsAndCompression() {
        var tree = smallTree()
        var outcomes = tree.apply(
            [.add(path("identity.age"), "34"), .add(path("hobbies.x"), "y"), .update(path("identity.name"), "Z")],
            seq: 1)
        outcomes += tree.apply(
            [.add(path("preferences.food"), "pasta"), .add(path("preferences.food"), "rice")], seq: 2)
        let health = TreeHealth.measure(tree, outcomes: outcomes, historyTokens: 100)
        #expect(health.filledLeaves == 3 && health.totalLeaves == 3)
        #expect(health.categories.map(\.key) == ["identity", "preferences", "beliefsAbout"])
        #expect(health.categories.map(\.filled) == [2, 1, 0])
        #expect(health.rejectedByReason.map(\.reason) == [.trunkFixed, .locked, .supersededInBatch])
        #expect(health.rejectedByReason.map(\.count) == [1, 1, 1])
        let rendered = tree.render(.outline).tokens
        #expect(health.compressionRatio == Double(rendered) / 100)
        #expect(TreeHealth.growth(from: smallTree(), to: tree) == 2)
    }
}

@Suite struct EmbeddingMetricsTests {
    @Test func personaRetrievalRanksTheTruePersona() {
        let personas: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        #expect(
            EmbeddingMetrics.personaRank(utterances: [[0.9, 0.1, 0], [0.8, 0, 0.2]], personas: personas, truth: 0) == 1)
        #expect(EmbeddingMetrics.personaRank(utterances: [[0.2, 1, 0.5]], personas: personas, truth: 0) == 3)
        #expect(EmbeddingMetrics.accuracy(ranks: [1, 3, 2, 1], atK: 1) == 0.5)
        #expect(EmbeddingMetrics.accuracy(ranks: [1, 3, 2, 1], atK: 2) == 0.75)
    }

    @Test func silhouetteSeparatesClusters() {
        let tight: [[Double]] = [[1, 0], [0.99, 0.01], [0, 1], [0.01, 0.99]]
        let s = EmbeddingMetrics.silhouette(vectors: tight, labels: ["a", "a", "b", "b"])
        #expect(s > 0.9)
        let mixed = EmbeddingMetrics.silhouette(vectors: tight, labels: ["a", "b", "a", "b"])
        #expect(mixed < 0)
        #expect(EmbeddingMetrics.silhouette(vectors: tight, labels: ["a", "a", "a", "a"]) == 0)
    }

    @Test func driftIsPositiveWhenLaterUtterancesMoveAway() {
        let persona: [Double] = [1, 0]
        #expect(EmbeddingMetrics.drift(persona: persona, utterances: [[1, 0], [1, 0], [0, 1], [0, 1]]) == 1)
        #expect(EmbeddingMetrics.drift(persona: persona, utterances: [[1, 0], [1, 0]]) == 0)
        #expect(EmbeddingMetrics.drift(persona: persona, utterances: [[1, 0]]) == 0)
    }
}
