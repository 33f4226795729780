public import Inference
public import Memory
public import Storage

/// Why and when a world stopped.
public struct Termination: Sendable, Hashable, Codable {
    /// The rule that fired.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        /// The phase's turn cap, or every agent's per-agent cap, was reached.
        case turnCap
        /// Every present speaker passed.
        case allPassed
        /// Fewer than `minimumPresent` non-observers are present.
        case allLeft
        /// The moderator left.
        case moderatorClosed
        /// The termination detector judged the conversation finished (SPASM's `natural`).
        case detector
        /// Echo or repeated content rose above the stall threshold.
        case stalled
        /// The moderator's script was used up.
        case scriptEnded
        /// Too many failed turns in a row.
        case failures
        /// The model endpoint is unusable (the run should stop: exit 3).
        case endpointUnusable
        /// The caller closed the world (a scenario rule, a closing narration).
        case closed
        /// A party's text move held a stop token (``TerminationRules/stopRules``); `detail` is the token.
        case stopToken
        /// The phase's step limit was reached (``TerminationRules/maxSteps``).
        case stepCap
        /// Too many tool calls failed (``TerminationRules/maxToolErrors``).
        case toolErrors
        /// A tool call ended the conversation (``ToolExecution/endsConversation``, e.g. a transfer).
        case toolEnded
    }

    /// The rule that fired.
    public var reason: Reason
    /// Details in one line (the detector's reason, the stall figures, …).
    public var detail: String
    /// The number of turns taken when it stopped.
    public var turn: Int
    /// The party whose move fired the rule, when one did (a stop token, a failed move, a tool call).
    public var participant: ParticipantID?

    /// Creates a termination.
    public init(reason: Reason, detail: String, turn: Int, participant: ParticipantID? = nil) {
        self.reason = reason
        self.detail = detail
        self.turn = turn
        self.participant = participant
    }
}

/// The model-based termination detector (spec memory.md §A.6): after each completed round ≥
/// `firstRound`, a structured call `{"end": bool, "reason": string}` at temperature 0 over the last
/// `window` public events rendered in the third person. A closing-phrase pre-filter skips the call
/// when no phrase appears in the window and the phase is not within one turn of its cap.
public struct TerminationDetector: Sendable {
    /// The judging model.
    public var model: any LanguageModel
    /// How many public events it reads.
    public var window: Int
    /// The first completed round after which it runs.
    public var firstRound: Int
    /// Closing phrases (lowercase, matched on word boundaries).
    public var closingPhrases: [String]
    /// Token limit of its answer.
    public var maxTokens: Int

    /// The default closing-phrase lexicon.
    public static let defaultClosingPhrases = [
        "thank you", "thanks", "bye", "goodbye", "take care", "see you", "talk soon", "farewell",
        "have a good", "have a nice", "nice talking", "good night", "that's all", "that is all", "wrap up",
        "conclude", "in closing",
    ]

    /// Creates a detector.
    public init(
        model: any LanguageModel, window: Int = 4, firstRound: Int = 2,
        closingPhrases: [String] = TerminationDetector.defaultClosingPhrases, maxTokens: Int = 80
    ) {
        self.model = model
        self.window = window
        self.firstRound = firstRound
        self.closingPhrases = closingPhrases
        self.maxTokens = maxTokens
    }

    /// The JSON Schema of the verdict.
    public static let schema: JSONValue = .object(
        JSONObject([
            ("type", "object"),
            (
                "properties",
                .object(
                    JSONObject([
                        ("end", .object(JSONObject([("type", "boolean")]))),
                        ("reason", .object(JSONObject([("type", "string")]))),
                    ]))
            ),
            ("required", ["end", "reason"]), ("additionalProperties", false),
        ]))

    /// Whether any closing phrase occurs in `text` (lowercased, on word boundaries).
    public func containsClosingPhrase(_ text: String) -> Bool {
        let words = " " + ConversationMetrics.tokens(text.replacingApostrophes()).joined(separator: " ") + " "
        return closingPhrases.contains { phrase in
            let wanted = ConversationMetrics.tokens(phrase.replacingApostrophes()).joined(separator: " ")
            return !wanted.isEmpty && words.contains(" " + wanted + " ")
        }
    }

    /// The request the detector sends for `lines` (third-person `Name: text`).
    public func request(lines: [String]) -> ChatRequest {
        let system =
            "You read the end of a conversation and decide whether it has come to a natural close: the "
            + "participants have said goodbye, wrapped up, or have nothing left to add. Answer with a JSON object "
            + "{\"end\": true|false, \"reason\": \"...\"}."
        return ChatRequest(
            messages: [.system(system), .user("The last messages:\n" + lines.joined(separator: "\n"))],
            temperature: 0, maxTokens: maxTokens)
    }
}

extension String {
    fileprivate func replacingApostrophes() -> String {
        String(unicodeScalars.filter { $0 != "'" && $0 != "\u{2019}" }.map(Character.init))
    }
}

/// Stall detection: over the last `window` utterances, the share that echo earlier talk by others
/// (Memory's `ConversationMetrics.echo` ≥ 0.5 against any of the previous 3 utterances by others)
/// or repeat an earlier utterance by anyone (normalised equality).
public struct StallDetector: Sendable, Hashable {
    /// Utterances looked at; the rule waits until there are this many.
    public var window: Int
    /// Echo share at or above which the world has stalled.
    public var echoShare: Double
    /// Repeat share at or above which the world has stalled.
    public var repeatShare: Double

    /// Creates a detector.
    public init(window: Int = 6, echoShare: Double = 0.67, repeatShare: Double = 0.5) {
        self.window = window
        self.echoShare = echoShare
        self.repeatShare = repeatShare
    }

    /// One utterance as stall detection sees it.
    public struct Utterance: Sendable, Hashable {
        /// Who said it.
        public var speaker: ParticipantID
        /// What was said.
        public var content: String
        /// Whether it equals (after token normalisation) an earlier utterance by anyone.
        public var repeatsEarlier: Bool
        /// Whether its echo against one of the previous 3 utterances by others is ≥ 0.5.
        public var echoesOthers: Bool

        /// Creates an utterance.
        public init(speaker: ParticipantID, content: String, repeatsEarlier: Bool, echoesOthers: Bool) {
            self.speaker = speaker
            self.content = content
            self.repeatsEarlier = repeatsEarlier
            self.echoesOthers = echoesOthers
        }
    }

    /// Appends `content` by `speaker` to `utterances`, computing its flags once; `seen` holds the
    /// normalised texts of the earlier utterances. This is how the world keeps the list incrementally.
    public static func append(
        _ content: String, by speaker: ParticipantID, to utterances: inout [Utterance], seen: inout Set<String>
    ) {
        let norm = ConversationMetrics.tokens(content).joined(separator: " ")
        // Memory's one echo test (the same one the run metrics use).
        let echoes = ConversationMetrics.echoesOthers(
            content, by: speaker, earlier: utterances.lazy.map { (speaker: $0.speaker, content: $0.content) })
        utterances.append(
            Utterance(
                speaker: speaker, content: content, repeatsEarlier: !norm.isEmpty && seen.contains(norm),
                echoesOthers: echoes))
        seen.insert(norm)
    }

    /// The utterances of `log` in order, with their repeat flags (the world keeps this list incrementally).
    public static func utterances(of log: [Event]) -> [Utterance] {
        var seen: Set<String> = []
        var out: [Utterance] = []
        for e in log where e.kind == .utterance {
            guard let speaker = e.speaker else { continue }
            append(e.content, by: speaker, to: &out, seen: &seen)
        }
        return out
    }

    /// The echo and repeat shares of the last `window` utterances, or nil if there are fewer.
    public func measure(_ utterances: [Utterance]) -> (echo: Double, repeats: Double)? {
        guard window > 0, utterances.count >= window else { return nil }
        var echoes = 0
        var repeats = 0
        for u in utterances.suffix(window) {
            if u.echoesOthers { echoes += 1 }
            if u.repeatsEarlier { repeats += 1 }
        }
        return (Double(echoes) / Double(window), Double(repeats) / Double(window))
    }

    /// A detail line when the utterances have stalled, else nil.
    public func check(_ utterances: [Utterance]) -> String? {
        guard let (echo, repeats) = measure(utterances) else { return nil }
        if echo >= echoShare {
            return "echo share \(Self.format(echo)) ≥ \(Self.format(echoShare)) over the last \(window) utterances"
        }
        if repeats >= repeatShare {
            return
                "repeat share \(Self.format(repeats)) ≥ \(Self.format(repeatShare)) over the last \(window) utterances"
        }
        return nil
    }

    /// A detail line when `log` has stalled, else nil.
    public func check(log: [Event]) -> String? { check(Self.utterances(of: log)) }

    static func format(_ x: Double) -> String {
        let hundredths = Int((x * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}
