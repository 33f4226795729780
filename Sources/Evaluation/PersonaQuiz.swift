public import Agents
import Foundation
public import Inference
import Memory
public import Storage

/// One multiple-choice question about a persona: five options A–E and the key.
public struct QuizQuestion: Sendable, Hashable {
    /// The question, in the second person.
    public var question: String
    /// The five options, in letter order.
    public var options: [String]
    /// The key, `A`…`E`.
    public var answer: String
    /// The seed the accepted question was generated with.
    public var seed: Int

    /// Creates a question.
    public init(question: String, options: [String], answer: String, seed: Int) {
        self.question = question
        self.options = options
        self.answer = answer
        self.seed = seed
    }

    /// The letters of the options.
    public static let letters = ["A", "B", "C", "D", "E"]

    /// The structural problems of a generated question (empty when valid): five non-empty,
    /// mutually distinct options, a key among A–E, a non-empty question distinct from `earlier`.
    public static func problems(_ value: JSONValue, earlier: [QuizQuestion]) -> [String] {
        var problems: [String] = []
        func normal(_ text: String) -> String {
            text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        }
        let question = value["question"]?.stringValue ?? ""
        if normal(question).isEmpty { problems.append("the question is empty") }
        if earlier.contains(where: { normal($0.question) == normal(question) }) {
            problems.append("the question repeats an earlier one")
        }
        let options = (value["options"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
        if options.count != 5 { problems.append("\(options.count) options instead of 5") }
        if options.contains(where: { normal($0).isEmpty }) { problems.append("an option is empty") }
        var seen: [String] = []
        for option in options.map(normal) where !option.isEmpty {
            if seen.contains(option) { problems.append("the options are not unique") }
            seen.append(option)
        }
        if !letters.contains(value["answer"]?.stringValue ?? "") { problems.append("the key is not one of A–E") }
        return problems
    }

    /// The question and its lettered options, as a probe shows them.
    public var text: String {
        question + "\n" + zip(Self.letters, options).map { "\($0)) \($1)" }.joined(separator: "\n")
    }

    /// The stored form.
    public var json: JSONValue {
        [
            "question": .string(question), "options": .array(options.map { .string($0) }),
            "answer": .string(answer), "seed": .integer(Int64(seed)),
        ]
    }

    /// Reads the stored form back.
    public init?(json: JSONValue) {
        guard let question = json["question"]?.stringValue, let answer = json["answer"]?.stringValue,
            let options = json["options"]?.arrayValue?.compactMap(\.stringValue), options.count == 5
        else { return nil }
        self.init(question: question, options: options, answer: answer, seed: Int(json["seed"]?.intValue ?? 0))
    }
}

/// Q&A (evaluation.md §C.2): five MCQs per persona written by the judge once, validated
/// structurally (a malformed one is written again with the next seed of its recorded stream), then
/// probes that fork the simulated person's own projection.
public struct PersonaQuiz: Sendable {
    /// Questions per persona.
    public static let questionCount = 5
    /// Tries per question (the first and two regenerations).
    public static let attempts = 3
    /// A checkpoint every `checkpointEvery` lines of the speaker, and at the last line.
    public static let checkpointEvery = 2

    /// The judge that writes the questions.
    public var judge: any LanguageModel
    /// The seed the question seeds are drawn from (the run seed).
    public var seed: UInt64

    /// Creates a quiz writer.
    public init(judge: any LanguageModel, seed: UInt64) {
        self.judge = judge
        self.seed = seed
    }

    static let questionSchema: JSONValue = [
        "type": "object",
        "properties": [
            "question": ["type": "string", "maxLength": 300],
            "options": ["type": "array", "maxItems": 8, "items": ["type": "string", "maxLength": 150]],
            "answer": ["type": "string", "enum": ["A", "B", "C", "D", "E"]],
        ],
        "required": ["question", "options", "answer"], "additionalProperties": false,
    ]

    /// The generation request of question `k` (1-based) given the questions already accepted.
    public func questionRequest(persona: String, name: String, k: Int, earlier: [QuizQuestion]) -> ChatRequest {
        var text =
            "The persona of \(name):\n\(persona)\n\nWrite question \(k) of \(Self.questionCount): one multiple-choice "
            + "question about a fact stated in this persona, in the second person (\"What is your …?\"), with exactly "
            + "5 different options (without letters) of which exactly one is true by the persona, and the letter "
            + "(A to E) of the true option."
        if !earlier.isEmpty {
            text +=
                "\n\nYour question must differ from these earlier ones:\n"
                + earlier.map { "- \($0.question)" }.joined(separator: "\n")
        }
        return ChatRequest(
            messages: [
                .system("You write multiple-choice questions that test whether someone knows facts about a person."),
                .user(text),
            ], temperature: 0, maxTokens: 400)
    }

    /// What one question's generation did: the accepted question (if any) and the rejected tries.
    public struct Generated: Sendable {
        /// The questions accepted, in order.
        public var questions: [QuizQuestion]
        /// The rejected tries: question number, seed, problems.
        public var rejected: [JSONValue]
    }

    /// Writes the questions of one persona, one at a time, each prompt listing the earlier ones.
    public func questions(persona: String, name: String, personaID: String) async throws -> Generated {
        var accepted: [QuizQuestion] = []
        var rejected: [JSONValue] = []
        for k in 1...Self.questionCount {
            var stream = RandomStream(seed: seed).substream("consistency/qa/\(personaID)/q\(k)")
            for _ in 0..<Self.attempts {
                let seed = Int(truncatingIfNeeded: stream.next() & 0x7FFF_FFFF)
                var request = questionRequest(persona: persona, name: name, k: k, earlier: accepted)
                request.seed = seed
                let value: JSONValue
                do {
                    value = try await StructuredGenerator(model: judge).generate(
                        request, schema: Self.questionSchema, name: "qa_question"
                    ).value
                } catch {
                    guard error.code == .invalidStructuredOutput else { throw error }
                    let problem = JSONValue.string(error.message)
                    rejected.append([
                        "question": .integer(Int64(k)), "seed": .integer(Int64(seed)), "problems": [problem],
                    ])
                    continue
                }
                let problems = QuizQuestion.problems(value, earlier: accepted)
                if problems.isEmpty,
                    let question = QuizQuestion(
                        json: value.with("seed", .integer(Int64(seed))))
                {
                    accepted.append(question)
                    break
                }
                rejected.append(
                    [
                        "question": .integer(Int64(k)), "seed": .integer(Int64(seed)),
                        "problems": .array(problems.map { .string($0) }),
                    ])
            }
        }
        return Generated(questions: accepted, rejected: rejected)
    }

    static let answerSchema: JSONValue = [
        "type": "object", "properties": ["answer": ["type": "string", "enum": ["A", "B", "C", "D", "E"]]],
        "required": ["answer"], "additionalProperties": false,
    ]

    /// The probe: `speaker`'s own projection of the log up to and including `seq` (the fork, built
    /// by the agent's prompt assembly and never written to the log), with one more user message
    /// asking `question` for a single letter.
    public static func probeRequest(
        _ question: QuizQuestion, speaker: JudgedSpeaker, agent: Agent, through seq: Int,
        in conversation: JudgedConversation, seed: Int
    ) throws -> ChatRequest {
        let prefix = conversation.transcript.events.filter { $0.seq <= seq }
        let fork = try Transcript(roster: conversation.transcript.roster, events: prefix)
        let context = TurnContext(
            transcript: fork, scenario: conversation.turnScenario, projection: conversation.projection, seed: 0)
        let cue =
            "(A question for you only; it is not part of the conversation.) Answer as yourself:\n\(question.text)\n"
            + "Reply with the letter of the true option only."
        let messages = try agent.messages(for: context, extraCue: cue)
        return ChatRequest(messages: messages, temperature: 0, maxTokens: 20, seed: seed)
    }

    /// Asks the simulator one probe: the letter it chose.
    public static func probe(_ request: ChatRequest, simulator: any LanguageModel) async throws -> String {
        let value = try await StructuredGenerator(model: simulator).generate(
            request, schema: answerSchema, name: "qa_answer"
        ).value
        return value["answer"]?.stringValue ?? ""
    }

    /// The checkpoints of a speaker with `lines` (their seqs, in order): every second line and the last.
    public static func checkpoints(_ lines: [Int]) -> [Int] {
        var result: [Int] = []
        for (i, seq) in lines.enumerated() where (i + 1) % checkpointEvery == 0 || i == lines.count - 1 {
            result.append(seq)
        }
        return result
    }
}

extension JSONValue {
    /// This object with `key` set to `value` (other values unchanged).
    func with(_ key: String, _ value: JSONValue) -> JSONValue {
        guard var object = objectValue else { return self }
        object[key] = value
        return .object(object)
    }
}
