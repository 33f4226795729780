public import Inference
import Runs
public import Storage

/// Decides whether an episode meets one natural-language assertion of a task (spec §10.8 NL_ASSERTION).
///
/// A judge is optional: without one, NL assertions are reported as needing a judge and never
/// counted as passed. Conformers must be deterministic for a given input when the run is to be
/// reproducible (the model judge asks at temperature 0 through the response cache).
public protocol Judge: Sendable {
    /// A label for manifests and results (`model:<identifier>` for the model judge).
    var label: String { get }

    /// The verdict on `assertion` for an episode of `task` whose transcript is `transcript`.
    ///
    /// - Throws: whatever the judge's backend throws; the grader records it as a judge failure.
    func verdict(on assertion: String, task: ToolTask, transcript: [TranscriptEntry]) async throws -> JudgeVerdict
}

/// What a judge said about one assertion.
public struct JudgeVerdict: Sendable, Hashable, Codable {
    /// Whether the assertion holds.
    public var met: Bool
    /// The judge's reason, one or two sentences.
    public var justification: String

    /// Creates a verdict.
    public init(met: Bool, justification: String) {
        self.met = met
        self.justification = justification
    }
}

/// One NL assertion as graded: the verdict, or the judge failure that left it ungraded.
public struct NLAssertionResult: Sendable, Hashable {
    /// The assertion text.
    public var assertion: String
    /// The verdict, `nil` when the judge failed.
    public var verdict: JudgeVerdict?
    /// The judge failure, if any (never counted as met).
    public var error: String?
    /// Whether the failure means the endpoint is gone (the unit is retried on `--resume`, not graded).
    public var infrastructure: Bool

    /// Creates a result.
    public init(assertion: String, verdict: JudgeVerdict?, error: String? = nil, infrastructure: Bool = false) {
        self.assertion = assertion
        self.verdict = verdict
        self.error = error
        self.infrastructure = infrastructure
    }

    /// Whether the judge said the assertion holds.
    public var met: Bool { verdict?.met == true }

    /// `{assertion, met, justification}` (spec §10.8), plus `error` when the judge failed (`met` and
    /// `justification` are then `null`).
    public var json: JSONValue {
        var o = JSONObject([
            ("assertion", .string(assertion)), ("met", verdict.map { .bool($0.met) } ?? .null),
            ("justification", verdict.map { .string($0.justification) } ?? .null),
        ])
        if let error { o["error"] = .string(error) }
        return .object(o)
    }
}

/// A judge backed by any language model: one structured call per assertion at temperature 0, with
/// the schema `{"met": boolean, "justification": string}`.
///
/// The prompt shows the assertion, the customer's scenario (reason for call and task instructions),
/// and the episode transcript as a neutral log: agent and user text, tool calls with their
/// arguments, and tool results (each cut to `maxToolResultCharacters` so large records stay bounded).
public struct ModelJudge: Judge {
    /// The model.
    public var model: any LanguageModel
    /// The answer length cap.
    public var maxTokens: Int?
    /// Each tool result is cut to this many characters in the prompt.
    public var maxToolResultCharacters: Int

    /// Creates the judge.
    public init(model: any LanguageModel, maxTokens: Int? = 256, maxToolResultCharacters: Int = 1_500) {
        self.model = model
        self.maxTokens = maxTokens
        self.maxToolResultCharacters = maxToolResultCharacters
    }

    /// `model:` + the model's identifier.
    public var label: String { "model:" + model.identifier }

    /// The answer schema.
    public static let schema: JSONValue = [
        "type": "object",
        "properties": [
            "met": ["type": "boolean"],
            "justification": ["type": "string"],
        ],
        "required": ["met", "justification"],
        "additionalProperties": false,
    ]

    /// The judge's system prompt.
    public static let instructions = """
        You grade a conversation between a customer-support agent and a customer. You are given one assertion \
        about the agent's behaviour and the full log of the conversation, including the tools the agent called \
        and what they returned. Decide whether the assertion holds, using only what the log shows. Answer with \
        JSON: {"met": true or false, "justification": "one or two sentences citing the log"}.
        """

    /// The transcript as the judge reads it: one line (or block) per entry, in order.
    public static func transcriptText(_ entries: [TranscriptEntry], maxToolResultCharacters: Int = 1_500) -> String {
        var lines: [String] = []
        for entry in entries {
            let who = entry.party ?? (entry.side == .agent ? "agent" : "user")
            switch entry.role {
            case "tool":
                guard let result = entry.toolResult else { continue }
                var content = result.content
                if content.count > maxToolResultCharacters {
                    content = String(content.prefix(maxToolResultCharacters)) + " …[cut]"
                }
                lines.append("[tool result to \(who): \(result.name)\(entry.error ? ", error" : "")] \(content)")
            default:
                if let content = entry.content, !content.isEmpty { lines.append("[\(who)] \(content)") }
                for call in entry.toolCalls { lines.append("[\(who) calls \(call.name)] \(call.arguments)") }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The request for one assertion.
    public func request(assertion: String, task: ToolTask, transcript: [TranscriptEntry]) -> ChatRequest {
        var context: [String] = []
        if let reason = task.scenario.reasonForCall {
            context.append("Customer's reason for contacting support: \(reason)")
        }
        if let plain = task.scenario.plainInstructions { context.append("Customer's instructions: \(plain)") }
        if let instructions = task.scenario.taskInstructions {
            context.append("Customer's instructions: \(instructions)")
        }
        let body =
            (context.isEmpty ? "" : context.joined(separator: "\n") + "\n\n")
            + "Assertion:\n\(assertion)\n\nConversation log:\n"
            + Self.transcriptText(transcript, maxToolResultCharacters: maxToolResultCharacters)
            + "\n\nDoes the assertion hold? Reply with JSON only."
        return ChatRequest(messages: [.system(Self.instructions), .user(body)], temperature: 0, maxTokens: maxTokens)
    }

    /// Asks the model (structured output with one repair round).
    public func verdict(on assertion: String, task: ToolTask, transcript: [TranscriptEntry]) async throws
        -> JudgeVerdict
    {
        let result = try await StructuredGenerator(model: model).generate(
            request(assertion: assertion, task: task, transcript: transcript), schema: Self.schema, name: "nl_assertion"
        )
        guard let met = result.value["met"]?.boolValue else {
            throw InferenceError(
                .invalidStructuredOutput, "the judge answer has no boolean \"met\"", model: model.identifier)
        }
        return JudgeVerdict(met: met, justification: result.value["justification"]?.stringValue ?? "")
    }
}
