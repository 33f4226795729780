import Agents
public import Foundation
public import Inference
import Memory
public import Runs
import Storage
import Synchronization

/// Runs the consistency judges over a finished run and stores everything in its run store.
public enum ConsistencyEvaluation {
    /// The run documents the kinds copy into their outputs.
    public static let summaryDocument = "consistency"
    /// The judged lines, as a JSON array.
    public static let linesDocument = "consistency-lines"

    /// Evaluates the run in `directory`: loads its kind from the manifest with `registry`, judges
    /// its conversations, stores the judgments and the summary, then rewrites its outputs
    /// (results.json, consistency-lines.jsonl, report.html) the way `agora report` does.
    ///
    /// - Parameters:
    ///   - models: how the judge (``EvaluationSettings/judge``) and the simulator are reached.
    ///   - simulator: the spec of the model the run's people spoke with (Q&A probes ask it);
    ///     `nil`: the provider's default model.
    public static func evaluate(
        _ directory: URL, registry: RunKindRegistry, models: any ModelProvider, settings: EvaluationSettings,
        simulator: String? = nil
    ) async throws -> ConsistencyOutcome {
        let store = try RunStore.open(directory)
        let outcome: ConsistencyOutcome
        do {
            let lock = try RunLock.acquire(directory)
            defer { withExtendedLifetime(lock) {} }
            let manifest = try await store.manifest()
            let kind = try await registry.load(
                RunSource(document: manifest.document, file: manifest.sourceFile, purpose: .report))
            guard let source = kind as? any ConversationSource else {
                throw EvaluationError(
                    .invalidRun,
                    "this \(manifest.kind) run has no conversations to judge; evaluate an interview, focus-group, brainstorm or tool-task run, or an experiment of them",
                    file: directory.path)
            }
            let data = try await RunData.load(store)
            let conversations = try source.conversations(data)
            let judge = try await models.model(settings.judge)
            // Q&A probes ask the people's model; a kind that cannot rebuild its speakers as agents
            // (tool-task users) has no probe to ask, so no model is connected for it.
            let probed = conversations.contains { $0.speakers.contains { $0.agent != nil } }
            let simulatorModel =
                settings.metrics.contains(.questionAnswer) && probed ? try await models.model(simulator) : nil
            outcome = try await run(
                conversations, store: store, seed: manifest.seed, judge: judge, simulator: simulatorModel,
                settings: settings)
        }
        _ = try await RunEngine.report(directory, registry: registry, format: .json)
        return outcome
    }

    /// Judges `conversations` and stores the judgments (resumable: groups already stored are read
    /// back, not asked again), then the summary and the lines as the run documents
    /// ``summaryDocument`` and ``linesDocument``.
    public static func run(
        _ conversations: [JudgedConversation], store: RunStore, seed: UInt64, judge: any LanguageModel,
        simulator: (any LanguageModel)?, settings: EvaluationSettings
    ) async throws -> ConsistencyOutcome {
        let selected = try select(conversations, settings: settings, seed: seed)
        if settings.metrics.contains(.questionAnswer), simulator == nil,
            selected.contains(where: { $0.speakers.contains { $0.agent != nil } })
        {
            throw EvaluationError(.invalidInput, "Q&A asks the simulated people themselves: give their model (--model)")
        }
        let tally = Tally()
        let prefix = "consistency/\(settings.judgmentKey)"
        let qaPrefix = "consistency/\(settings.judgmentKey)-\(simulator?.identifier ?? "none")"
        // The questions, once per persona, before any probe (in order of first appearance).
        var quizzes: [(speaker: String, questions: [QuizQuestion])] = []
        if simulator != nil, settings.metrics.contains(.questionAnswer) {
            for conversation in selected {
                for speaker in conversation.speakers
                where speaker.agent != nil && !quizzes.contains(where: { $0.speaker == speaker.speaker }) {
                    let questions = try await storedQuestions(
                        speaker, store: store, name: "\(qaPrefix)/questions/\(speaker.speaker)", seed: seed,
                        judge: judge, tally: tally)
                    quizzes.append((speaker.speaker, questions))
                }
            }
        }
        let judgeSettings = ConsistencyJudge(
            model: judge, contextLines: settings.contextLines, majority: settings.majority, seed: seed)
        let frozenQuizzes = quizzes
        var results = [[SpeakerResult]](repeating: [], count: selected.count)
        try await TaskWindow.run(count: selected.count, width: settings.concurrency) { i -> [SpeakerResult] in
            let conversation = selected[i]
            var speakers: [SpeakerResult] = []
            for speaker in conversation.speakers {
                var result = SpeakerResult(unit: conversation.unitID, speaker: speaker.speaker)
                for metric in settings.metrics {
                    let name =
                        "\(metric == .questionAnswer ? qaPrefix : prefix)/\(metric.rawValue)/\(conversation.unitID)/\(speaker.speaker)"
                    switch metric {
                    case .promptToLine, .lineToLine:
                        let judgments = try await storedJudgments(
                            metric, speaker: speaker, in: conversation, store: store, name: name,
                            judge: judgeSettings, tally: tally)
                        if metric == .promptToLine { result.p2l = judgments } else { result.l2l = judgments }
                    case .questionAnswer:
                        guard let simulator, let agent = speaker.agent,
                            let quiz = frozenQuizzes.first(where: { $0.speaker == speaker.speaker })?.questions
                        else {
                            result.qa = []
                            continue
                        }
                        result.qa = try await storedProbes(
                            quiz, speaker: speaker, agent: agent, in: conversation, store: store, name: name,
                            seed: seed, simulator: simulator, tally: tally)
                    }
                }
                speakers.append(result)
            }
            return speakers
        } receive: { i, speakers in
            results[i] = speakers
        }
        let summary = summarise(selected, results: results, settings: settings, seed: seed)
        let lines = judgedLines(selected, results: results)
        try await store.setArtifact(summaryDocument, summary)
        try await store.setArtifact(linesDocument, .array(lines))
        let counts = tally.state.withLock { $0 }
        return ConsistencyOutcome(
            summary: summary, lines: lines, calls: counts.calls, cachedCalls: counts.cached, reused: counts.reused,
            failures: counts.failures)
    }

    /// The conversations to judge: the speakers filter checked (an unknown name is an error naming
    /// the known ones), then a seeded sample of `sample` conversations kept in unit order.
    static func select(_ conversations: [JudgedConversation], settings: EvaluationSettings, seed: UInt64)
        throws(EvaluationError) -> [JudgedConversation]
    {
        guard !conversations.isEmpty else {
            throw EvaluationError(
                .invalidRun,
                "the run has no finished conversation to judge; finish it first (agora run --resume RUN_DIR)")
        }
        var selected = conversations
        if let wanted = settings.speakers {
            var known: [String] = []
            for c in conversations {
                for s in c.speakers where !known.contains(s.speaker) { known.append(s.speaker) }
            }
            for name in wanted
            where !conversations.contains(where: { $0.speakers.contains { $0.speaker == name || $0.name == name } }) {
                throw EvaluationError(
                    .invalidInput,
                    "no simulated speaker \"\(name)\" in this run; the speakers are \(known.prefix(20).joined(separator: ", "))"
                )
            }
            for i in selected.indices {
                selected[i].speakers = selected[i].speakers.filter {
                    wanted.contains($0.speaker) || wanted.contains($0.name)
                }
            }
            selected = selected.filter { !$0.speakers.isEmpty }
        }
        if let sample = settings.sample, sample < selected.count {
            var order = Array(selected.indices)
            var stream = RandomStream(seed: seed).substream("consistency/sample")
            stream.shuffle(&order)
            selected = order.prefix(sample).sorted().map { selected[$0] }
        }
        return selected
    }

    /// Calls, cache hits, reused groups and failures, counted across the window's children.
    final class Tally: Sendable {
        let state = Mutex((calls: 0, cached: 0, reused: 0, failures: 0))
    }

    /// What was judged of one speaker in one conversation.
    struct SpeakerResult: Sendable {
        var unit: String
        var speaker: String
        var p2l: [Judgment]?
        var l2l: [Judgment]?
        var qa: [ProbeCheckpoint]?
    }

    /// One Q&A checkpoint: the letters answered, in question order (`nil`: the probe failed).
    struct ProbeCheckpoint: Sendable, Hashable {
        var seq: Int
        var answers: [String?]
        var keys: [String]

        var correct: Int { zip(answers, keys).filter { $0.0 == $0.1 }.count }
        var asked: Int { answers.compactMap { $0 }.count }
    }

    static func callsJSON(_ calls: [StoredModelCall]) -> JSONValue {
        .array(
            calls.map { c in
                .object(
                    JSONObject([
                        ("model", .string(c.model)), ("cacheKey", .string(c.cacheKey)), ("purpose", .string(c.purpose)),
                        ("promptTokens", .integer(Int64(c.promptTokens))),
                        ("completionTokens", .integer(Int64(c.completionTokens))), ("cached", .bool(c.cached)),
                    ]))
            })
    }

    static func count(_ recorder: UnitModel, _ tally: Tally) {
        let calls = recorder.calls
        tally.state.withLock {
            $0.calls += calls.count
            $0.cached += calls.filter(\.cached).count
        }
    }

    /// The judgments of one (conversation, speaker, metric) group: read back when stored, else
    /// judged line by line and stored with the calls they made.
    static func storedJudgments(
        _ metric: ConsistencyMetric, speaker: JudgedSpeaker, in conversation: JudgedConversation, store: RunStore,
        name: String, judge: ConsistencyJudge, tally: Tally
    ) async throws -> [Judgment] {
        if let stored = try await store.artifact(name), let list = stored["judgments"]?.arrayValue {
            tally.state.withLock { $0.reused += 1 }
            return list.compactMap(Judgment.init(json:))
        }
        let recorder = UnitModel(base: judge.model)
        var judge = judge
        judge.model = recorder
        var judgments: [Judgment] = []
        var failed: [JSONValue] = []
        let lines = conversation.lines(of: speaker.participant)
        for (j, line) in lines.enumerated() {
            do {
                if metric == .promptToLine {
                    judgments.append(try await judge.promptToLine(line, speaker: speaker, in: conversation))
                } else if j >= 1 {
                    let allowed = lines.prefix(j).map(\.seq)
                    judgments.append(
                        try await judge.lineToLine(line, allowed: allowed, speaker: speaker, in: conversation))
                }
            } catch let error as InferenceError where !error.stopsRun {
                failed.append(["seq": .integer(Int64(line.seq)), "error": .string(error.message)])
            }
        }
        count(recorder, tally)
        tally.state.withLock { $0.failures += failed.count }
        try await store.setArtifact(
            name,
            .object(
                JSONObject([
                    ("judgments", .array(judgments.map(\.json))), ("failed", .array(failed)),
                    ("calls", callsJSON(recorder.calls)),
                ])))
        return judgments
    }

    /// The questions of one persona: read back when stored, else written and stored.
    static func storedQuestions(
        _ speaker: JudgedSpeaker, store: RunStore, name: String, seed: UInt64, judge: any LanguageModel,
        tally: Tally
    ) async throws -> [QuizQuestion] {
        if let stored = try await store.artifact(name), let list = stored["questions"]?.arrayValue {
            tally.state.withLock { $0.reused += 1 }
            return list.compactMap(QuizQuestion.init(json:))
        }
        let recorder = UnitModel(base: judge)
        let generated = try await PersonaQuiz(judge: recorder, seed: seed).questions(
            persona: speaker.persona, name: speaker.name, personaID: speaker.speaker)
        count(recorder, tally)
        try await store.setArtifact(
            name,
            .object(
                JSONObject([
                    ("questions", .array(generated.questions.map(\.json))), ("rejected", .array(generated.rejected)),
                    ("calls", callsJSON(recorder.calls)),
                ])))
        return generated.questions
    }

    /// The probes of one speaker in one conversation: read back when stored, else asked (forks of
    /// the speaker's projection, never written to the log) and stored.
    static func storedProbes(
        _ quiz: [QuizQuestion], speaker: JudgedSpeaker, agent: Agent, in conversation: JudgedConversation,
        store: RunStore, name: String, seed: UInt64, simulator: any LanguageModel,
        tally: Tally
    ) async throws -> [ProbeCheckpoint] {
        let keys = quiz.map(\.answer)
        if let stored = try await store.artifact(name), let list = stored["checkpoints"]?.arrayValue {
            tally.state.withLock { $0.reused += 1 }
            return list.map { c in
                ProbeCheckpoint(
                    seq: Int(c["seq"]?.intValue ?? 0),
                    answers: (c["answers"]?.arrayValue ?? []).map(\.stringValue), keys: keys)
            }
        }
        let recorder = UnitModel(base: simulator)
        var checkpoints: [ProbeCheckpoint] = []
        var failures = 0
        let lines = conversation.lines(of: speaker.participant).map(\.seq)
        for seq in PersonaQuiz.checkpoints(lines) where !quiz.isEmpty {
            var answers: [String?] = []
            for (q, question) in quiz.enumerated() {
                var stream = RandomStream(seed: seed).substream(
                    "consistency/qa/\(conversation.unitID)/\(speaker.speaker)/\(seq)/\(q)")
                let request = try PersonaQuiz.probeRequest(
                    question, speaker: speaker, agent: agent, through: seq, in: conversation,
                    seed: Int(truncatingIfNeeded: stream.next() & 0x7FFF_FFFF))
                do {
                    answers.append(try await PersonaQuiz.probe(request, simulator: recorder))
                } catch let error as InferenceError where !error.stopsRun {
                    answers.append(nil)
                    failures += 1
                }
            }
            checkpoints.append(ProbeCheckpoint(seq: seq, answers: answers, keys: keys))
        }
        count(recorder, tally)
        tally.state.withLock { $0.failures += failures }
        try await store.setArtifact(
            name,
            .object(
                JSONObject([
                    (
                        "checkpoints",
                        .array(
                            checkpoints.map { c in
                                [
                                    "seq": .integer(Int64(c.seq)),
                                    "answers": .array(c.answers.map { $0.map(JSONValue.string) ?? .null }),
                                    "correct": .integer(Int64(c.correct)),
                                ]
                            })
                    ),
                    ("calls", callsJSON(recorder.calls)),
                ])))
        return checkpoints
    }

    static func scores(_ result: SpeakerResult) -> [(ConsistencyMetric, MetricScore)] {
        var scores: [(ConsistencyMetric, MetricScore)] = []
        if let p2l = result.p2l { scores.append((.promptToLine, ConsistencyScore.promptToLine(p2l.map(\.verdict)))) }
        if let l2l = result.l2l {
            scores.append(
                (
                    .lineToLine,
                    ConsistencyScore.lineToLine(
                        l2l.map { .init(earlier: $0.earlier, valid: $0.valid.count, judgeErrors: $0.judgeErrors) })
                ))
        }
        if let qa = result.qa {
            scores.append((.questionAnswer, ConsistencyScore.questionAnswer(qa.map { ($0.correct, $0.asked) })))
        }
        return scores
    }

    /// results.json's `consistency`: per (unit, speaker), then per condition.
    static func summarise(
        _ conversations: [JudgedConversation], results: [[SpeakerResult]], settings: EvaluationSettings,
        seed: UInt64
    ) -> JSONValue {
        var speakers: [JSONValue] = []
        var conditions: [(name: String, scores: [(ConsistencyMetric, Double)])] = []
        for (conversation, list) in zip(conversations, results) {
            if !conditions.contains(where: { $0.name == conversation.condition }) {
                conditions.append((conversation.condition, []))
            }
            let c = conditions.firstIndex { $0.name == conversation.condition } ?? 0
            for result in list {
                var object = JSONObject([("unit", .string(result.unit)), ("speaker", .string(result.speaker))])
                for (metric, score) in scores(result) {
                    object[metric.rawValue] = score.json
                    if let value = score.score { conditions[c].scores.append((metric, value)) }
                }
                speakers.append(.object(object))
            }
        }
        let aggregates: [JSONValue] = conditions.map { condition in
            var object = JSONObject([("condition", .string(condition.name))])
            for metric in settings.metrics {
                let values = condition.scores.filter { $0.0 == metric }.map(\.1)
                var stream = RandomStream(seed: seed).substream(
                    "consistency/bootstrap/\(condition.name)/\(metric.rawValue)")
                object[metric.rawValue] = ConsistencyScore.aggregate(values, seed: stream.next())
            }
            return .object(object)
        }
        return .object(
            JSONObject([
                ("judge", .string(settings.judge)), ("metrics", .array(settings.metrics.map { .string($0.rawValue) })),
                ("speakers", .array(speakers)), ("conditions", .array(aggregates)),
            ]))
    }

    /// consistency-lines.jsonl's objects: by unit, then seq, then metric (p2l before l2l).
    static func judgedLines(_ conversations: [JudgedConversation], results: [[SpeakerResult]]) -> [JSONValue] {
        var lines: [JSONValue] = []
        for (conversation, list) in zip(conversations, results) {
            var rows: [(seq: Int, metric: ConsistencyMetric, speaker: String, judgment: Judgment)] = []
            for result in list {
                for j in result.p2l ?? [] { rows.append((j.seq, .promptToLine, result.speaker, j)) }
                for j in result.l2l ?? [] { rows.append((j.seq, .lineToLine, result.speaker, j)) }
            }
            rows.sort { ($0.seq, $0.metric == .promptToLine ? 0 : 1) < ($1.seq, $1.metric == .promptToLine ? 0 : 1) }
            for row in rows {
                let value = row.judgment.value(row.metric)
                lines.append(
                    .object(
                        JSONObject([
                            ("item", .string("\(conversation.unitID)#\(row.seq)")),
                            ("unit", .string(conversation.unitID)),
                            ("speaker", .string(row.speaker)), ("seq", .integer(Int64(row.seq))),
                            ("metric", .string(row.metric.rawValue)),
                            ("verdict", .string(row.judgment.verdict.rawValue)),
                            (
                                "value",
                                row.metric == .promptToLine ? .integer(Int64(value)) : ConsistencyScore.rounded(value)
                            ),
                            ("reason", .string(row.judgment.reason)),
                        ])))
            }
        }
        return lines
    }
}
