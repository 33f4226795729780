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

    @Test func pooledEchoRateFlagsEachUtteranceAgainstTheLastThreeByOthers() {
        let turns: [(speaker: String, content: String)] = [
            ("b", "the librarian knows every book in the building"),
            ("a", "the librarian knows every book in the building"),
            ("b", "one"), ("b", "two"), ("b", "three"), ("a", "the librarian knows every book"),
            ("a", "one two three"),
        ]
        // Only a's first utterance echoes: the last but one's source is more than 3 utterances by others
        // back, and "one two three" is a 3-gram none of b's single words holds.
        #expect(ConversationMetrics.pooledEchoRate(turns) == 1.0 / 7.0)
        #expect(ConversationMetrics.pooledEchoRate([(speaker: String, content: String)]()) == 0)
        #expect(ConversationMetrics.echoesOthers("one", by: "a", earlier: turns[..<4]))
        #expect(!ConversationMetrics.echoesOthers("one", by: "b", earlier: turns[..<4]))
    }

    @Test func pooledAndPerSpeakerEchoRatesAgree() {
        let turns = [(a, "we should paint it blue"), (b, "paint it blue"), (a, "blue it is then")]
        let pooled = ConversationMetrics.pooledEchoRate(turns.map { (speaker: $0.0, content: $0.1) })
        let perSpeaker = [a, b].map { ConversationMetrics.echoRate(of: $0, in: log(turns)) }
        // Each speaker spoke in proportion: a twice, b once.
        #expect(pooled == (perSpeaker[0] * 2 + perSpeaker[1]) / 3)
        #expect(perSpeaker == [0, 1])
    }

    /// The two echo rates as they were written before they shared ``ConversationMetrics/echoesOthers(_:by:earlier:)``.
    static func referenceRates(_ turns: [(speaker: ParticipantID, content: String)], of speaker: ParticipantID)
        -> (pooled: Double, speaker: Double)
    {
        var hits = 0
        for (index, turn) in turns.enumerated() {
            let others = turns[..<index].filter { $0.speaker != turn.speaker }.suffix(3)
            if (others.map { ConversationMetrics.echo(turn.content, $0.content) }.max() ?? 0) >= 0.5 { hits += 1 }
        }
        var othersRecent: [String] = []
        var speakerHits = 0
        var total = 0
        for turn in turns {
            if turn.speaker == speaker {
                total += 1
                let best = othersRecent.suffix(3).map { ConversationMetrics.echo(turn.content, $0) }.max() ?? 0
                if best >= 0.5 { speakerHits += 1 }
            } else {
                othersRecent.append(turn.content)
            }
        }
        return (
            turns.isEmpty ? 0 : Double(hits) / Double(turns.count),
            total == 0 ? 0 : Double(speakerHits) / Double(total)
        )
    }

    @Test func echoRatesMatchTheirEarlierDefinitionsOn300SeededConversations() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let words = ["blue", "paint", "it", "the", "car", "yes", "no", "maybe"]
        let people = ["a", "b", "c"].map { ParticipantID(unchecked: $0) }
        for _ in 0..<300 {
            let turns = (0..<next(12)).map { _ in
                (
                    speaker: people[next(3)],
                    content: (0..<(1 + next(5))).map { _ in words[next(words.count)] }.joined(separator: " ")
                )
            }
            let reference = Self.referenceRates(turns, of: people[0])
            #expect(ConversationMetrics.pooledEchoRate(turns) == reference.pooled)
            #expect(
                ConversationMetrics.echoRate(of: people[0], in: log(turns.map { ($0.speaker, $0.content) }))
                    == reference.speaker)
        }
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
