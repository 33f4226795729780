import Inference
import Memory
import Population
import Runs
import Storage

/// One survey respondent answering the questionnaire: one structured-output call per item asked,
/// validated against the item (schema, then the item's own rules); an invalid answer gets one
/// repair round and is then recorded as failed (never replaced by a default value). Flow rules
/// skip items (recorded as skipped, never failed), jump forward or end the interview; templates
/// are filled from earlier answers, the persona and the stimulus; answer memory shows earlier
/// items as the respondent's own view of the interview.
struct SurveyRespondent {
    let scenario: Scenario
    let survey: SurveySpec
    let persona: Persona
    /// The run seed.
    let seed: UInt64
    /// The stimuli in the order this respondent meets them (one for between-subjects; none without stimuli).
    var stimuli: [SurveyStimuli.Row] = []

    static let interviewerID = "survey"
    static let interviewerName = "Survey"

    /// The system message of every item: who the respondent is (`You are NAME.`), the persona block
    /// (`Persona.promptText`, the one renderer agents use too), then the survey's instructions.
    static func systemPrompt(persona: Persona, instructions: String) -> String {
        ["You are \(persona.displayName).", persona.promptText, "You are taking part in a survey. " + instructions]
            .filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    /// The options of `item` in the order this respondent sees them (a checkbox's "other" stays last).
    func shownOptions(_ item: SurveyItem, round: String = "") -> [String] {
        var options = item.options
        guard survey.randomizeOptions, item.shufflesOptions, options.count > 1 else { return options }
        var other: String?
        if case .checkbox = item.answer { other = options.removeLast() }
        var stream = RandomStream(seed: seed).substream("survey/options/\(persona.id)/\(item.id)\(round)")
        stream.shuffle(&options)
        if let other { options.append(other) }
        return options
    }

    /// One earlier item as the memory shows it.
    struct Asked {
        let item: String
        let round: Int
        let question: String
        let answer: String
    }

    /// The items of the interview so far that `memory` shows before `item` (round `round`).
    static func remembered(_ history: [Asked], item: String, round: Int, memory: SurveyMemory) -> [Asked] {
        switch memory {
        case .none: return []
        case .full: return history
        case .lagged(let k): return Array(history.suffix(k))
        case .targeted(let table):
            let wanted = table[item] ?? []
            return history.filter { $0.round == round && wanted.contains($0.item) }
        }
    }

    /// The messages of one item: the system message, then the egocentric projection (Memory's
    /// `project`) of the remembered items — the survey's questions as user turns, the respondent's
    /// own answers as assistant turns — and the question; the context goes first.
    static func messages(
        system: String, context: String?, remembered: [Asked], question: String, persona: Persona
    ) -> [ChatMessage] {
        let prefix = context.map { "Please read this first:\n\($0)\n\n" } ?? ""
        guard !remembered.isEmpty else { return [.system(system), .user(prefix + question)] }
        let me = ParticipantID(unchecked: "respondent")
        let survey = ParticipantID(unchecked: interviewerID)
        var log: [Event] = []
        for (index, asked) in remembered.enumerated() {
            log.append(
                Event(
                    seq: log.count, speaker: survey, kind: .utterance,
                    content: index == 0 ? prefix + asked.question : asked.question))
            log.append(Event(seq: log.count, speaker: me, kind: .utterance, content: asked.answer))
        }
        log.append(Event(seq: log.count, speaker: survey, kind: .utterance, content: question))
        var config = ProjectionConfig()
        config.kickoff = .whenNeeded
        config.labelOthers = .never
        let roster = [
            Participant(id: survey, displayName: interviewerName),
            Participant(id: me, displayName: persona.displayName),
        ]
        guard let projected = try? project(log: log, viewer: me, roster: roster, system: system, config: config) else {
            return [.system(system), .user(prefix + question)]
        }
        return projected.map(\.message)
    }

    /// Where the interview goes next.
    enum Step {
        case ask
        case skip(String)
    }

    func run(model: any LanguageModel) async throws -> (events: [RunEvent], result: JSONValue, failures: Int) {
        var events: [RunEvent] = []
        var answers = JSONObject()
        var skipped = JSONObject()
        var failures: [JSONValue] = []
        var confused = 0
        var history: [Asked] = []
        var stopped = false
        let system = Self.systemPrompt(persona: persona, instructions: survey.instructions)
        let sanitizer = OutputSanitizer(selfName: persona.displayName, otherNames: [Self.interviewerName])
        let generator = StructuredGenerator(model: model)
        let rounds: [SurveyStimuli.Row?] = stimuli.isEmpty ? [nil] : stimuli
        let within = survey.stimuli?.design == .within
        for (roundIndex, stimulus) in rounds.enumerated() {
            let suffix = within ? "@\(stimulus?.id ?? "")" : ""
            var scope = SurveyScope(persona: persona, vars: stimulus?.vars ?? JSONObject())
            let context = survey.context.map { SurveyTemplate.render($0, scope) }
            if let context, roundIndex == 0 || within {
                events.append(
                    RunEvent(
                        seq: events.count, kind: "narration", speaker: nil, speakerName: nil, content: context,
                        data: stimulus.map { ["stimulus": .string($0.id)] } ?? .null))
            }
            var index = 0
            while index < survey.items.count {
                let item = survey.items[index]
                let key = item.id + suffix
                var step = Step.ask
                if stopped {
                    step = .skip("stopped")
                } else if let showIf = item.showIf, !showIf.holds(in: scope) {
                    step = .skip("showIf")
                } else if let skipIf = item.skipIf, skipIf.holds(in: scope) {
                    step = .skip("skipIf")
                }
                if case .skip(let reason) = step {
                    skipped[key] = .string(reason)
                    events.append(
                        RunEvent(
                            seq: events.count, kind: "skip", speaker: nil, speakerName: nil, content: "",
                            data: ["item": .string(key), "reason": .string(reason)]))
                    index += 1
                    continue
                }
                let shown = shownOptions(item, round: suffix).map { SurveyTemplate.render($0, scope) }
                let rendered = SurveyTemplate.render(item.question, scope)
                let question: String
                if case .matrix(let rows, _, _, _) = item.answer {
                    question = item.prompt(
                        shown: rows.map { SurveyTemplate.render($0.text, scope) }, question: rendered)
                } else {
                    question = item.prompt(shown: shown, question: rendered)
                }
                var itemData = JSONObject([("item", .string(key))])
                if !shown.isEmpty { itemData["options"] = .array(shown.map { .string($0) }) }
                events.append(
                    RunEvent(
                        seq: events.count, kind: "utterance", speaker: Self.interviewerID,
                        speakerName: Self.interviewerName,
                        content: question, data: .object(itemData)))
                let remembered = Self.remembered(history, item: item.id, round: roundIndex, memory: survey.memory)
                let request = ChatRequest(
                    messages: Self.messages(
                        system: system, context: context, remembered: remembered, question: question,
                        persona: persona),
                    temperature: scenario.generation.temperature,
                    maxTokens: item.answerTokens(scenario.generation.maxTokens))
                var data = JSONObject([("item", .string(key))])
                let value: JSONValue
                do {
                    let checked = item
                    let result = try await generator.generate(
                        request, schema: item.schema(shown: shown), name: "survey_answer",
                        check: { checked.check($0) })
                    guard var answer = result.value["answer"] else {
                        throw InferenceError(.invalidStructuredOutput, "the answer has no \"answer\" field")
                    }
                    if case .open = item.answer, let text = answer.stringValue {
                        let cleaned = sanitizer.sanitize(text)
                        if cleaned.roleConfusion {
                            confused += 1
                            data["roleConfusion"] = true
                        }
                        guard !cleaned.needsRegeneration else {
                            throw InferenceError(
                                .invalidStructuredOutput, "the answer was empty once cleaned of other speakers' lines")
                        }
                        answer = .string(cleaned.text)
                    }
                    if case .number(let x) = answer, x.rounded() == x, abs(x) < 9e15 { answer = .integer(Int64(x)) }
                    value = answer
                    data["answer"] = answer
                    data["attempts"] = .integer(Int64(result.attempts))
                    events.append(
                        RunEvent(
                            seq: events.count, kind: "answer", speaker: persona.id, speakerName: persona.displayName,
                            content: SurveyItem.text(of: answer), data: .object(data)))
                    history.append(
                        Asked(
                            item: item.id, round: roundIndex, question: question,
                            answer: JSONValue.object(JSONObject([("answer", answer)])).serialized()))
                } catch let error as InferenceError where error.code == .invalidStructuredOutput {
                    value = .null
                    let reason = error.message
                    failures.append(["item": .string(key), "reason": .string(reason)])
                    data["failed"] = .string(reason)
                    events.append(
                        RunEvent(
                            seq: events.count, kind: "answer", speaker: persona.id, speakerName: persona.displayName,
                            content: "",
                            data: .object(data)))
                }
                answers[key] = value
                scope.answers[item.id] = value
                if let stopIf = item.stopIf, stopIf.holds(in: scope) {
                    stopped = true
                }
                var next = index + 1
                if !stopped, let jump = item.branch.first(where: { $0.condition.holds(in: scope) }),
                    let target = survey.index(of: jump.target)
                {
                    for between in survey.items[(index + 1)..<target] {
                        skipped[between.id + suffix] = "branch"
                        events.append(
                            RunEvent(
                                seq: events.count, kind: "skip", speaker: nil, speakerName: nil, content: "",
                                data: ["item": .string(between.id + suffix), "reason": "branch"]))
                    }
                    next = target
                }
                index = next
            }
        }
        var result = JSONObject([
            ("persona", .string(persona.id)),
            ("answers", .object(answers)),
            ("failures", .array(failures)),
            ("roleConfusions", .integer(Int64(confused))),
            ("termination", stopped ? "stopped" : (failures.isEmpty ? "completed" : "completed-with-failures")),
        ])
        if !skipped.isEmpty { result["skipped"] = .object(skipped) }
        if let first = stimuli.first, !within { result["stimulus"] = .string(first.id) }
        if within { result["stimuli"] = .array(stimuli.map { .string($0.id) }) }
        return (events, .object(result), failures.count)
    }
}
