public import Inference
import Synchronization

/// A deterministic ``LanguageModel`` for tests: it answers from a queue of replies or by a rule,
/// and records every request it receives.
///
/// ```swift
/// let model = ScriptedModel(replies: [#"{"action": "speak", "content": "Hi"}"#])
/// let answer = try await model.complete(ChatRequest(messages: [.user("Hello")]))
/// #expect(model.requests.count == 1)
/// ```
public final class ScriptedModel: LanguageModel {
    /// What a rule may answer: a reply, or an error to throw.
    public enum Answer: Sendable {
        /// Reply with this text.
        case text(String)
        /// Reply with tool calls (and optional text).
        case toolCalls([ToolCall], content: String = "")
        /// Throw this error.
        case failure(InferenceError)
    }

    private enum Source {
        case queue
        case rule(@Sendable (ChatRequest) -> Answer)
    }

    private struct State {
        var replies: [Answer]
        var requests: [ChatRequest] = []
    }

    /// The identifier (part of cache keys).
    public let identifier: String
    /// The context window it claims (`nil`: unknown), for tests of prompt fitting.
    public let contextWindow: Int?
    private let source: Source
    private let state: Mutex<State>

    /// Serves `replies` in order; a request after the last one throws `cacheMiss`-like
    /// `.invalidConfiguration` ("script exhausted").
    public init(identifier: String = "scripted", contextWindow: Int? = nil, replies: [String]) {
        self.identifier = identifier
        self.contextWindow = contextWindow
        self.source = .queue
        self.state = Mutex(State(replies: replies.map(Answer.text)))
    }

    /// Serves a queue of answers that may include tool calls and failures.
    public init(identifier: String = "scripted", contextWindow: Int? = nil, answers: [Answer]) {
        self.identifier = identifier
        self.contextWindow = contextWindow
        self.source = .queue
        self.state = Mutex(State(replies: answers))
    }

    /// Answers every request with `rule(request)`.
    public init(
        identifier: String = "scripted", contextWindow: Int? = nil, rule: @escaping @Sendable (ChatRequest) -> String
    ) {
        self.identifier = identifier
        self.contextWindow = contextWindow
        self.source = .rule { .text(rule($0)) }
        self.state = Mutex(State(replies: []))
    }

    /// Answers every request with `rule(request)`, which may return tool calls or failures.
    public init(
        identifier: String = "scripted", contextWindow: Int? = nil,
        answering rule: @escaping @Sendable (ChatRequest) -> Answer
    ) {
        self.identifier = identifier
        self.contextWindow = contextWindow
        self.source = .rule(rule)
        self.state = Mutex(State(replies: []))
    }

    /// Every request received, in arrival order.
    public var requests: [ChatRequest] { state.withLock { $0.requests } }

    /// Replies still queued.
    public var remainingReplies: Int { state.withLock { $0.replies.count } }

    /// Answers from the script.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let answer: Answer? = state.withLock { s in
            s.requests.append(request)
            switch source {
            case .queue: return s.replies.isEmpty ? nil : s.replies.removeFirst()
            case .rule(let rule): return rule(request)
            }
        }
        guard let answer else {
            throw InferenceError(
                .invalidConfiguration,
                "ScriptedModel \(identifier): the script has no reply left for request \(requests.count)")
        }
        let prompt = request.messages.reduce(0) { $0 + $1.content.count } / 4
        switch answer {
        case .text(let text):
            return ChatResponse(
                content: text, finishReason: .stop,
                usage: Usage(promptTokens: prompt, completionTokens: text.count / 4 + 1))
        case .toolCalls(let calls, let content):
            return ChatResponse(
                content: content, toolCalls: calls, finishReason: .toolCalls,
                usage: Usage(promptTokens: prompt, completionTokens: 8 * calls.count))
        case .failure(let error):
            throw error
        }
    }
}
