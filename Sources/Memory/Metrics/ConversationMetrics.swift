/// Deterministic echo and identity metrics over a fixed transcript (spec memory.md §A.8).
public enum ConversationMetrics {
    /// Lowercases `text` and splits it on anything that is not a letter or digit (Unicode-aware).
    public static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber {
                current.append(ch)
            } else if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    static func ngrams(_ tokens: [String], n: Int) -> [String] {
        guard n > 0, tokens.count >= n else { return [] }
        return (0...(tokens.count - n)).map { tokens[$0..<($0 + n)].joined(separator: " ") }
    }

    /// `|n-grams(u) ∩ n-grams(w)| / |n-grams(u)|` as a multiset intersection with
    /// `n = min(4, |tokens(u)|)`; 0 for an empty `u`.
    public static func echo(_ u: String, _ w: String) -> Double {
        let tu = tokens(u)
        guard !tu.isEmpty else { return 0 }
        let n = min(4, tu.count)
        let gu = ngrams(tu, n: n)
        var counts: [String: Int] = [:]
        for g in ngrams(tokens(w), n: n) { counts[g, default: 0] += 1 }
        var shared = 0
        for g in gu where (counts[g] ?? 0) > 0 {
            counts[g]! -= 1
            shared += 1
        }
        return Double(shared) / Double(gu.count)
    }

    static func utterances(_ log: [Event]) -> [Event] { log.filter { $0.kind == .utterance && $0.speaker != nil } }

    /// Whether `content`, said by `speaker`, echoes what others just said: its ``echo(_:_:)`` against one
    /// of the 3 latest utterances in `earlier` by someone other than `speaker` is at least 0.5.
    ///
    /// The one echo test behind every echo figure: ``echoRate(of:in:)``, ``pooledEchoRate(_:)`` (the
    /// run report's `echoRate`) and a world's stall detection. `earlier` is in conversation order.
    public static func echoesOthers<Speaker: Equatable>(
        _ content: String, by speaker: Speaker,
        earlier: some BidirectionalCollection<(speaker: Speaker, content: String)>
    ) -> Bool {
        var compared = 0
        for previous in earlier.reversed() where previous.speaker != speaker {
            if echo(content, previous.content) >= 0.5 { return true }
            compared += 1
            if compared == 3 { break }
        }
        return false
    }

    /// The share of `speaker`'s utterances that echo others (``echoesOthers(_:by:earlier:)``; 0 when
    /// the speaker said nothing).
    public static func echoRate(of speaker: ParticipantID, in log: [Event]) -> Double {
        let said = utterances(log).map { (speaker: $0.speaker, content: $0.content) }
        var hits = 0
        var total = 0
        for index in said.indices where said[index].speaker == speaker {
            total += 1
            if echoesOthers(said[index].content, by: said[index].speaker, earlier: said[..<index]) { hits += 1 }
        }
        return total == 0 ? 0 : Double(hits) / Double(total)
    }

    /// The share of all utterances that echo others (``echoesOthers(_:by:earlier:)``), pooled over
    /// speakers; 0 when nobody spoke. `utterances` is in conversation order.
    public static func pooledEchoRate<Speaker: Equatable>(_ utterances: [(speaker: Speaker, content: String)])
        -> Double
    {
        var hits = 0
        for index in utterances.indices {
            let (speaker, content) = utterances[index]
            if echoesOthers(content, by: speaker, earlier: utterances[..<index]) { hits += 1 }
        }
        return utterances.isEmpty ? 0 : Double(hits) / Double(utterances.count)
    }

    /// The share of `speaker`'s utterances equal, after token normalisation, to an earlier
    /// utterance by someone else.
    public static func verbatimCopyRate(of speaker: ParticipantID, in log: [Event]) -> Double {
        var seen: Set<String> = []
        var hits = 0
        var total = 0
        for e in utterances(log) {
            let norm = tokens(e.content).joined(separator: " ")
            if e.speaker == speaker {
                total += 1
                if !norm.isEmpty && seen.contains(norm) { hits += 1 }
            } else {
                seen.insert(norm)
            }
        }
        return total == 0 ? 0 : Double(hits) / Double(total)
    }

    /// One participant's persona text, for ``personaLeak(of:in:personas:)``.
    public struct PersonaText: Hashable, Sendable {
        /// Whose persona.
        public let participant: ParticipantID
        /// The persona description.
        public let text: String
        /// Creates a persona text.
        public init(participant: ParticipantID, text: String) {
            self.participant = participant
            self.text = text
        }
    }

    /// The share of `speaker`'s utterances containing a distinctive 3-gram (one absent from the
    /// speaker's own persona) of another participant's persona.
    public static func personaLeak(of speaker: ParticipantID, in log: [Event], personas: [PersonaText]) -> Double {
        let own = Set(personas.filter { $0.participant == speaker }.flatMap { ngrams(tokens($0.text), n: 3) })
        var distinctive: Set<String> = []
        for p in personas where p.participant != speaker {
            for g in ngrams(tokens(p.text), n: 3) where !own.contains(g) { distinctive.insert(g) }
        }
        let mine = utterances(log).filter { $0.speaker == speaker }
        guard !mine.isEmpty else { return 0 }
        let leaking = mine.filter { e in ngrams(tokens(e.content), n: 3).contains { distinctive.contains($0) } }
        return Double(leaking.count) / Double(mine.count)
    }

    /// The share of raw generations the sanitiser cut for role confusion.
    public static func roleConfusionRate(_ outputs: [SanitizedOutput]) -> Double {
        outputs.isEmpty ? 0 : Double(outputs.filter(\.roleConfusion).count) / Double(outputs.count)
    }
}
