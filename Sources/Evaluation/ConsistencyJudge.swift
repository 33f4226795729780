import Agents
public import Inference
public import Memory
public import Storage

/// The prompt-to-line and line-to-line judges (evaluation.md §C.2): structured verdicts
/// `{reason, verdict}` or `{reason, conflicts}` at temperature 0, optionally a majority of three
/// samples at temperatures 0, 0.3, 0.3 with recorded seeds. The judges read the omniscient
/// transcript (``OmniscientTranscript``): numbered lines, asides marked, thoughts absent.
public struct ConsistencyJudge: Sendable {
    /// The judge model (wrapped in the response cache by the caller).
    public var model: any LanguageModel
    /// Prompt-to-line sees the last `k` transcript lines before the judged line (`withContext(k)`);
    /// `nil`: the faithful variant, no context.
    public var contextLines: Int?
    /// Ask three samples (temperatures 0, 0.3, 0.3) and keep the majority.
    public var majority: Bool
    /// The seed the sample seeds are drawn from (the run seed).
    public var seed: UInt64
    /// The longest verdict, in tokens.
    public var maxTokens = 300

    /// Creates a judge.
    public init(model: any LanguageModel, contextLines: Int? = nil, majority: Bool = false, seed: UInt64) {
        self.model = model
        self.contextLines = contextLines
        self.majority = majority
        self.seed = seed
    }

    /// The faithful prompt-to-line judge with the last `k` transcript lines added.
    public func withContext(_ k: Int) -> ConsistencyJudge {
        var judge = self
        judge.contextLines = k
        return judge
    }

    /// The sampling temperatures of one judgment.
    var temperatures: [Double] { majority ? [0, 0.3, 0.3] : [0] }

    /// The seeds of one judgment's samples, drawn from the named stream `consistency/<item>`.
    func seeds(_ item: String) -> [Int] {
        var stream = RandomStream(seed: seed).substream("consistency/\(item)")
        return temperatures.map { _ in Int(truncatingIfNeeded: stream.next() & 0x7FFF_FFFF) }
    }

    // MARK: prompt-to-line

    static let promptToLineSchema: JSONValue = [
        "type": "object",
        "properties": [
            "reason": ["type": "string", "maxLength": 400],
            "verdict": ["type": "string", "enum": ["consistent", "contradiction"]],
        ],
        "required": ["reason", "verdict"], "additionalProperties": false,
    ]

    static let system =
        "You judge whether simulated people stay consistent with who they were given to be. "
        + "Judge a line's intention as well as its facts. A plausible new detail that conflicts with nothing is "
        + "not a contradiction; acting against the role (for example a guarded person over-sharing) is."

    /// The prompt-to-line request for `line` of `speaker` (before the structured-output format).
    public func promptToLineRequest(
        _ line: Event, speaker: JudgedSpeaker, in conversation: JudgedConversation
    ) -> ChatRequest {
        let roster = conversation.transcript.roster
        var text = "Scenario: \(conversation.scenario)\n\nThe person: \(speaker.name).\nPersona:\n\(speaker.persona)"
        if !speaker.instructions.isEmpty { text += "\n\nRole instructions:\n\(speaker.instructions)" }
        if let k = contextLines, k > 0 {
            let before = conversation.transcript.events.filter { $0.seq < line.seq }
            let recent = OmniscientTranscript.lines(before, roster: roster, numbered: true).suffix(k)
            if !recent.isEmpty {
                text += "\n\nThe conversation just before the line:\n" + recent.joined(separator: "\n")
            }
        }
        text +=
            "\n\nThe line to judge:\n" + OmniscientTranscript.render([line], roster: roster, numbered: true)
            + "\n\nIn one sentence, say what the line means and whether it fits this person and role; then give "
            + "the verdict: \"consistent\" or \"contradiction\"."
        return ChatRequest(
            messages: [.system(Self.system), .user(text)], temperature: 0, maxTokens: maxTokens)
    }

    /// Judges one line against the persona: the verdict (the majority when three are asked), its
    /// reason and the samples.
    public func promptToLine(
        _ line: Event, speaker: JudgedSpeaker, in conversation: JudgedConversation
    ) async throws -> Judgment {
        let request = promptToLineRequest(line, speaker: speaker, in: conversation)
        let item = "p2l/\(conversation.unitID)/\(line.seq)"
        var samples: [Judgment.Sample] = []
        for (temperature, seed) in zip(temperatures, seeds(item)) {
            var asked = request
            asked.temperature = temperature
            asked.seed = seed
            let value = try await StructuredGenerator(model: model).generate(
                asked, schema: Self.promptToLineSchema, name: "consistency_verdict"
            ).value
            // The verdict is the structured field: a "YES" (or anything) inside the reason is ignored.
            let verdict = Verdict(rawValue: value["verdict"]?.stringValue ?? "") ?? .contradiction
            samples.append(
                Judgment.Sample(
                    temperature: temperature, seed: seed, verdict: verdict,
                    reason: value["reason"]?.stringValue ?? "", flagged: []))
        }
        let contradictions = samples.filter { $0.verdict == .contradiction }.count
        let verdict: Verdict = contradictions * 2 > samples.count ? .contradiction : .consistent
        let reason = samples.first { $0.verdict == verdict }?.reason ?? ""
        return Judgment(seq: line.seq, verdict: verdict, reason: reason, samples: samples)
    }

    // MARK: line-to-line

    static let lineToLineSchema: JSONValue = [
        "type": "object",
        "properties": [
            "reason": ["type": "string", "maxLength": 400],
            "conflicts": ["type": "array", "maxItems": 50, "items": ["type": "integer"]],
        ],
        "required": ["reason", "conflicts"], "additionalProperties": false,
    ]

    /// The line-to-line request for `line`, whose speaker's earlier line numbers are `allowed`.
    public func lineToLineRequest(
        _ line: Event, allowed: [Int], speaker: JudgedSpeaker, in conversation: JudgedConversation
    ) -> ChatRequest {
        let upTo = conversation.transcript.events.filter { $0.seq <= line.seq }
        let list = "[" + allowed.map(String.init).joined(separator: ", ") + "]"
        let text =
            "Scenario: \(conversation.scenario)\n\nThe transcript so far:\n"
            + OmniscientTranscript.render(upTo, roster: conversation.transcript.roster, numbered: true)
            + "\n\nThe current line is [\(line.seq)], spoken by \(speaker.name). \(speaker.name)'s earlier lines are "
            + "\(list). Does the current line clearly contradict any of \(speaker.name)'s own earlier lines? In one "
            + "sentence give your reasoning, then list the numbers of the contradicted lines, taken only from \(list) "
            + "(an empty list when there is no clear contradiction)."
        return ChatRequest(
            messages: [.system(Self.system), .user(text)], temperature: 0, maxTokens: maxTokens)
    }

    /// Judges one line against the speaker's earlier lines (`allowed`, their line numbers): the raw
    /// flags, the valid ones and the judge errors (see ``ConsistencyScore/validFlags(_:allowed:)``).
    /// With three samples an index counts when at least two samples flag it validly.
    public func lineToLine(
        _ line: Event, allowed: [Int], speaker: JudgedSpeaker, in conversation: JudgedConversation
    ) async throws -> Judgment {
        let request = lineToLineRequest(line, allowed: allowed, speaker: speaker, in: conversation)
        let item = "l2l/\(conversation.unitID)/\(line.seq)"
        var samples: [Judgment.Sample] = []
        var errors = 0
        for (temperature, seed) in zip(temperatures, seeds(item)) {
            var asked = request
            asked.temperature = temperature
            asked.seed = seed
            let value = try await StructuredGenerator(model: model).generate(
                asked, schema: Self.lineToLineSchema, name: "consistency_conflicts"
            ).value
            let flagged = (value["conflicts"]?.arrayValue ?? []).compactMap { $0.intValue.map { Int($0) } }
            errors += ConsistencyScore.validFlags(flagged, allowed: allowed).judgeErrors
            samples.append(
                Judgment.Sample(
                    temperature: temperature, seed: seed, verdict: flagged.isEmpty ? .consistent : .contradiction,
                    reason: value["reason"]?.stringValue ?? "", flagged: flagged))
        }
        let votes = samples.map { ConsistencyScore.validFlags($0.flagged, allowed: allowed).valid }
        let valid = allowed.filter { index in votes.filter { $0.contains(index) }.count * 2 > votes.count }
        let verdict: Verdict = valid.isEmpty ? .consistent : .contradiction
        let reason = samples.first { $0.verdict == verdict }?.reason ?? samples.first?.reason ?? ""
        return Judgment(
            seq: line.seq, verdict: verdict, reason: reason, samples: samples, earlier: allowed.count, valid: valid,
            judgeErrors: errors)
    }
}

/// One judged line, as stored in the run store.
public struct Judgment: Sendable, Hashable {
    /// One sample of the judge.
    public struct Sample: Sendable, Hashable {
        /// The sampling temperature.
        public var temperature: Double
        /// The recorded seed.
        public var seed: Int
        /// The sample's verdict (line-to-line: `contradiction` when it flagged anything).
        public var verdict: Verdict
        /// The judge's reason.
        public var reason: String
        /// The raw flagged indices (line-to-line).
        public var flagged: [Int]
    }

    /// The line's transcript seq.
    public var seq: Int
    /// The verdict.
    public var verdict: Verdict
    /// The reason of a sample with that verdict.
    public var reason: String
    /// The samples, in order.
    public var samples: [Sample]
    /// Line-to-line: the speaker's earlier lines (j).
    public var earlier = 0
    /// Line-to-line: the valid flagged indices.
    public var valid: [Int] = []
    /// Line-to-line: flagged indices dropped.
    public var judgeErrors = 0

    /// The line's value in consistency-lines.jsonl: 1 or 0 (p2l), 1 − |valid|/j (l2l).
    public func value(_ metric: ConsistencyMetric) -> Double {
        if metric == .lineToLine {
            return ConsistencyScore.LineFlags(earlier: earlier, valid: valid.count, judgeErrors: judgeErrors).value
        }
        return verdict == .consistent ? 1 : 0
    }

    /// The stored form.
    public var json: JSONValue {
        .object(
            JSONObject([
                ("seq", .integer(Int64(seq))), ("verdict", .string(verdict.rawValue)), ("reason", .string(reason)),
                ("earlier", .integer(Int64(earlier))), ("valid", .array(valid.map { .integer(Int64($0)) })),
                ("judgeErrors", .integer(Int64(judgeErrors))),
                (
                    "samples",
                    .array(
                        samples.map { s in
                            .object(
                                JSONObject([
                                    ("temperature", .number(s.temperature)), ("seed", .integer(Int64(s.seed))),
                                    ("verdict", .string(s.verdict.rawValue)), ("reason", .string(s.reason)),
                                    ("flagged", .array(s.flagged.map { .integer(Int64($0)) })),
                                ]))
                        })
                ),
            ]))
    }

    /// Reads the stored form back.
    public init?(json: JSONValue) {
        guard let seq = json["seq"]?.intValue, let verdict = Verdict(rawValue: json["verdict"]?.stringValue ?? "")
        else { return nil }
        self.seq = Int(seq)
        self.verdict = verdict
        self.reason = json["reason"]?.stringValue ?? ""
        self.earlier = Int(json["earlier"]?.intValue ?? 0)
        self.valid = (json["valid"]?.arrayValue ?? []).compactMap { $0.intValue.map { Int($0) } }
        self.judgeErrors = Int(json["judgeErrors"]?.intValue ?? 0)
        self.samples = (json["samples"]?.arrayValue ?? []).map { s in
            Sample(
                temperature: s["temperature"]?.doubleValue ?? 0, seed: Int(s["seed"]?.intValue ?? 0),
                verdict: Verdict(rawValue: s["verdict"]?.stringValue ?? "") ?? .consistent,
                reason: s["reason"]?.stringValue ?? "",
                flagged: (s["flagged"]?.arrayValue ?? []).compactMap { $0.intValue.map { Int($0) } })
        }
    }

    /// Creates a judgment.
    public init(
        seq: Int, verdict: Verdict, reason: String, samples: [Sample], earlier: Int = 0, valid: [Int] = [],
        judgeErrors: Int = 0
    ) {
        self.seq = seq
        self.verdict = verdict
        self.reason = reason
        self.samples = samples
        self.earlier = earlier
        self.valid = valid
        self.judgeErrors = judgeErrors
    }
}
