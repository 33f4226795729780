/// The one error type of the Inference module: what went wrong with a model call, said so that a
/// user can act on it. It never contains an API key or an auth header.
public struct InferenceError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's name.
        public var rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { rawValue }

        /// The endpoint could not be reached (refused, DNS, TLS).
        public static let unreachable = Code(rawValue: "unreachable")
        /// The request timed out, also after retries.
        public static let timeout = Code(rawValue: "timeout")
        /// The endpoint answered with an HTTP error that is not retried (4xx other than 408/409/429).
        public static let httpError = Code(rawValue: "httpError")
        /// Retryable failures (429, 5xx, dropped connections) persisted past the retry budget.
        public static let retriesExhausted = Code(rawValue: "retriesExhausted")
        /// The endpoint answered 2xx with a body that is not a chat completion.
        public static let malformedResponse = Code(rawValue: "malformedResponse")
        /// Structured output did not parse or validate, also after the repair round.
        public static let invalidStructuredOutput = Code(rawValue: "invalidStructuredOutput")
        /// Replay-only mode and the request is not in the cache.
        public static let cacheMiss = Code(rawValue: "cacheMiss")
        /// The call was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// A model spec, URL, key or option is unusable.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// The local model could not be built or started.
        public static let localModelUnavailable = Code(rawValue: "localModelUnavailable")
        /// The prompt does not fit the model's context window, even with the history and memory cut
        /// (a configuration error: exit code 2; the run stops).
        public static let promptTooLong = Code(rawValue: "promptTooLong")
        /// The server refused a request longer than its context window (HTTP 400 "maximum context
        /// length is N tokens", llama.cpp's "exceeds the available context size"): a configuration
        /// error (exit code 2; the run stops). Give the window with `--context-window` so prompts are fitted.
        public static let contextLengthExceeded = Code(rawValue: "contextLengthExceeded")
        /// The response cache could not be read or written.
        public static let cacheFailure = Code(rawValue: "cacheFailure")
    }

    /// The kind of failure.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// The HTTP status, when the endpoint answered.
    public var status: Int?
    /// The endpoint's base URL (never with credentials).
    public var endpoint: String?
    /// The model name.
    public var model: String?
    /// The error underneath, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        status: Int? = nil,
        endpoint: String? = nil,
        model: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = SecretRedaction.redact(message)  // servers may echo the key in an error body
        self.status = status
        self.endpoint = endpoint
        self.model = model
        self.underlying = underlying
    }

    /// One line: code, status, endpoint and model, then the message.
    public var description: String {
        var parts: [String] = []
        if let status { parts.append("HTTP \(status)") }
        if let endpoint { parts.append(endpoint) }
        if let model { parts.append("model \(model)") }
        let context = parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
        return "\(code)\(context): \(message)"
    }

    /// Whether this error means the endpoint itself is unusable (exit code 3 in the CLI).
    public var isEndpointUnusable: Bool {
        [
            .unreachable, .timeout, .httpError, .retriesExhausted, .malformedResponse, .localModelUnavailable,
        ].contains(code)
    }

    /// Whether this error stops a whole run rather than failing one answer: the endpoint is
    /// unusable, a replay-only run missed the cache, the call was cancelled, or a prompt does not
    /// fit the model's window (``Code/promptTooLong``, ``Code/contextLengthExceeded``). Every run kind
    /// and the population factory decide with this one predicate.
    public var stopsRun: Bool {
        isEndpointUnusable || code == .cacheMiss || code == .cancelled || code == .promptTooLong
            || code == .contextLengthExceeded
    }
}
