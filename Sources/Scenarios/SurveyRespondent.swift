import Inference
import Memory
import Population
import Runs
import Storage

/// One survey respondent answering every item: one structured-output call per item, validated
/// against the item; an invalid answer gets one repair round and is then recorded as failed
/// (never replaced by a default value).
struct SurveyRespondent {
    let scenario: Scenario
    let survey: SurveySpec
    let persona: Persona
    /// The run seed.
    let seed: UInt64

    static let interviewerID = "survey"
    static let interviewerName = "Survey"

    /// The system message of every item: who the respondent is (`You are NAME.`), the persona block
    /// (`Persona.promptText`, the one renderer agents use too), then the survey's instructions.
    static func systemPrompt(persona: Persona, instructions: String) -> String {
        ["You are \(persona.displayName).", persona.promptText, "You are taking part in a survey. " + instructions]
            .filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    /// The options of `item` in the order this respondent sees them.
    func shownOptions(_ item: SurveyItem) -> [String] {
        var options = item.options
        if survey.randomizeOptions, options.count > 1 {
            var stream = RandomStream(seed: seed).substream("survey/options/\(persona.id)/\(item.id)")
            stream.shuffle(&options)
        }
        return options
    }

    func run(model: any LanguageModel) async throws -> (events: [RunEvent], result: JSONValue, failures: Int) {
        var events: [RunEvent] = []
        var answers = JSONObject()
        var failures: [JSONValue] = []
        var confused = 0
        let system = Self.systemPrompt(persona: persona, instructions: survey.instructions)
        let sanitizer = OutputSanitizer(selfName: persona.displayName, otherNames: [Self.interviewerName])
        let generator = StructuredGenerator(model: model)
        if let context = survey.context {
            events.append(
                RunEvent(seq: events.count, kind: "narration", speaker: nil, speakerName: nil, content: context))
        }
        for item in survey.items {
            let shown = shownOptions(item)
            let question = item.prompt(shown: shown)
            var itemData = JSONObject([("item", .string(item.id))])
            if !shown.isEmpty { itemData["options"] = .array(shown.map { .string($0) }) }
            events.append(
                RunEvent(
                    seq: events.count, kind: "utterance", speaker: Self.interviewerID,
                    speakerName: Self.interviewerName,
                    content: question, data: .object(itemData)))
            var user = question
            if let context = survey.context { user = "Please read this first:\n\(context)\n\n" + question }
            let request = ChatRequest(
                messages: [.system(system), .user(user)], temperature: scenario.generation.temperature,
                maxTokens: item.answerTokens(scenario.generation.maxTokens))
            var data = JSONObject([("item", .string(item.id))])
            do {
                let result = try await generator.generate(
                    request, schema: item.schema(shown: shown), name: "survey_answer")
                guard var value = result.value["answer"] else {
                    throw InferenceError(.invalidStructuredOutput, "the answer has no \"answer\" field")
                }
                if case .open = item.answer, let text = value.stringValue {
                    let cleaned = sanitizer.sanitize(text)
                    if cleaned.roleConfusion {
                        confused += 1
                        data["roleConfusion"] = true
                    }
                    guard !cleaned.needsRegeneration else {
                        throw InferenceError(
                            .invalidStructuredOutput, "the answer was empty once cleaned of other speakers' lines")
                    }
                    value = .string(cleaned.text)
                }
                if case .number(let x) = value, x.rounded() == x, abs(x) < 9e15 { value = .integer(Int64(x)) }
                answers[item.id] = value
                data["answer"] = value
                data["attempts"] = .integer(Int64(result.attempts))
                events.append(
                    RunEvent(
                        seq: events.count, kind: "answer", speaker: persona.id, speakerName: persona.displayName,
                        content: SurveyItem.text(of: value), data: .object(data)))
            } catch let error as InferenceError where error.code == .invalidStructuredOutput {
                answers[item.id] = .null
                let reason = error.message
                failures.append(["item": .string(item.id), "reason": .string(reason)])
                data["failed"] = .string(reason)
                events.append(
                    RunEvent(
                        seq: events.count, kind: "answer", speaker: persona.id, speakerName: persona.displayName,
                        content: "",
                        data: .object(data)))
            }
        }
        let result: JSONValue = [
            "persona": .string(persona.id),
            "answers": .object(answers),
            "failures": .array(failures),
            "roleConfusions": .integer(Int64(confused)),
            "termination": failures.isEmpty ? "completed" : "completed-with-failures",
        ]
        return (events, result, failures.count)
    }
}

extension SurveyItem {
    /// The token budget of an answer: open items get the scenario's budget, closed ones a small one
    /// (a constrained string can otherwise run on to the limit on small models).
    func answerTokens(_ budget: Int) -> Int {
        switch answer {
        case .open: budget
        case .multipleChoice(let options, _, _): min(budget, 16 + 12 * options.count)
        default: min(budget, 32)
        }
    }
}
