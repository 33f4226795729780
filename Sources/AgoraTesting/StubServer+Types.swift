public import Foundation
public import Storage

/// One HTTP request received by a ``StubServer``, as its responder sees it and as it is recorded.
public struct StubRequest: Sendable {
    /// The OpenAI-compatible endpoint a request was routed to.
    public enum Endpoint: Sendable, Hashable {
        /// `POST …/chat/completions`.
        case chatCompletions
        /// `POST …/embeddings`.
        case embeddings
        /// `GET …/models`.
        case models
        /// `GET /props` (llama.cpp's server settings).
        case props
        /// `GET /api/version` (Ollama).
        case ollamaVersion
        /// `POST /api/show` (Ollama's model details).
        case ollamaShow
        /// OpenAI's Batch API: `/v1/files…` and `/v1/batches…` (see `StubServer+Batch.swift`).
        case batchAPI
        /// Any other method or path; the server answers 404.
        case unknown

        /// Whether this is a discovery request (what a client asks to learn which server it talks
        /// to): answered by the ``StubServer/Imitation``, never counted in
        /// ``StubServer/requestCount``, never given a fault, recorded in
        /// ``StubServer/discoveryRequests`` instead of ``StubServer/requests``.
        public var isDiscovery: Bool {
            switch self {
            case .models, .props, .ollamaVersion, .ollamaShow: true
            case .chatCompletions, .embeddings, .batchAPI, .unknown: false
            }
        }
    }

    /// The per-server sequence number: 1 for the first complete request received, then 2, 3, ….
    ///
    /// Requests are numbered in the order their bodies finished arriving; it is never reset.
    public let sequence: Int
    /// The request method, as sent (`"POST"`, `"GET"`, …).
    public let method: String
    /// The path without the query string, e.g. `/v1/chat/completions`.
    public let path: String
    /// The query string without the leading `?`, or `nil` when the target had none.
    public let query: String?
    /// The header fields in the order they were received, names as sent.
    public let headers: [(name: String, value: String)]
    /// The raw body bytes (empty when the server records without bodies).
    public let body: [UInt8]
    /// The body parsed as JSON, or `nil` when it is empty, not JSON, or not recorded.
    public let json: JSONValue?
    /// The endpoint this request was routed to.
    public let endpoint: Endpoint

    /// Creates a request value; the server builds these, tests may build them to call a responder directly.
    public init(
        sequence: Int, method: String, path: String, query: String? = nil,
        headers: [(name: String, value: String)] = [], body: [UInt8] = [], json: JSONValue? = nil,
        endpoint: Endpoint? = nil
    ) {
        self.sequence = sequence
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.json = json
        self.endpoint = endpoint ?? StubRequest.route(method: method, path: path)
    }

    /// The value of the first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { headerNamesMatch($0.name, name) }?.value
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The `model` field of the JSON body, if any.
    public var model: String? { json?["model"]?.stringValue }

    /// Maps a method and path to an endpoint: `/v1/…` paths and Azure-style
    /// `/openai/deployments/NAME/…` paths are both accepted.
    static func route(method: String, path: String) -> Endpoint {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        let segments = trimmed.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        switch (method, segments) {
        case ("GET", ["props"]): return .props
        case ("GET", ["api", "version"]): return .ollamaVersion
        case ("POST", ["api", "show"]): return .ollamaShow
        default: break
        }
        let rest: [String]
        if segments.first == "v1" {
            rest = Array(segments.dropFirst())
        } else if segments.count >= 3, segments[0] == "openai", segments[1] == "deployments" {
            rest = Array(segments.dropFirst(3))
        } else {
            return .unknown
        }
        switch (method, rest) {
        case ("POST", ["chat", "completions"]): return .chatCompletions
        case ("POST", ["embeddings"]): return .embeddings
        case ("GET", ["models"]): return .models
        case (_, let parts) where parts.first == "files" || parts.first == "batches": return .batchAPI
        default: return .unknown
        }
    }
}

/// What a ``StubServer`` does with one request: a well-formed answer, an error, or a fault.
public indirect enum StubReply: Sendable {
    /// A chat completion (`"object": "chat.completion"`) with one choice.
    ///
    /// `toolCalls` become `message.tool_calls` (type `function`); when there are tool calls and
    /// `content` is empty, `message.content` is `null`, as OpenAI sends it.
    case chat(
        content: String,
        toolCalls: [(id: String, name: String, arguments: String)] = [],
        finishReason: String = "stop",
        promptTokens: Int,
        completionTokens: Int
    )
    /// An embeddings list, one vector per input, in order.
    case embeddings([[Double]])
    /// Exactly this status, these headers and this body. `Content-Type: application/json` and
    /// `Content-Length` are added unless given.
    case raw(status: Int, headers: [(String, String)], body: [UInt8])
    /// An OpenAI-style error body `{"error":{"message","type","param","code"}}` with this status,
    /// and a `Retry-After` header when `retryAfter` is given.
    case error(status: Int, message: String, retryAfter: String? = nil)
    /// Status 200 with a truncated, unparseable JSON body.
    case malformedJSON
    /// Closes the connection without sending any response.
    ///
    /// On a fresh connection the client fails at once (`URLError`). On a reused keep-alive
    /// connection, libcurl (URLSession on Linux) silently retries on a new connection but without
    /// the request body, so the client waits until its timeout (`URLError.timedOut`); use
    /// ``truncatedResponse`` for a fast failure on reused connections.
    case dropConnection
    /// Sends a response head announcing a longer body than it sends, then closes the connection:
    /// the client fails while reading (`URLError`), on fresh and reused connections alike.
    case truncatedResponse
    /// Sleeps this long on the connection's thread, then replies with `then`.
    ///
    /// The sleep ends early, and nothing is sent, when the server stops or the client closes the
    /// connection (counted in ``StubServer/hangUpCount``).
    case delay(TimeInterval, then: StubReply)

    /// A chat reply with `content`, finish reason `stop`, and token counts estimated from the text.
    public static func text(_ content: String, promptTokens: Int = 10) -> StubReply {
        .chat(
            content: content, toolCalls: [], finishReason: "stop", promptTokens: promptTokens,
            completionTokens: StubServer.estimateTokens(content))
    }
}

/// A fault the server injects into one request, consumed in order from
/// ``StubServer/Configuration/faults`` (or ``StubServer/injectFaults(_:)``), one per request.
public enum StubFault: Sendable {
    /// 429 with an OpenAI rate-limit error body, and `Retry-After` when given.
    case status429(retryAfter: String?)
    /// 500 with an OpenAI server-error body.
    case status500
    /// 503 with an OpenAI server-error body (an overloaded server).
    case status503
    /// Any status with an OpenAI-style error body carrying this message.
    case status(Int, message: String)
    /// 200 with a truncated, unparseable JSON body.
    case malformedJSON
    /// The connection is closed without any response (see ``StubReply/dropConnection`` for how
    /// URLSession on Linux reacts when the connection was reused).
    case dropConnection
    /// The response stops half-way and the connection is closed.
    case truncatedResponse
    /// The normal reply, sent only after sleeping this many seconds (e.g. past the client's timeout).
    case slow(TimeInterval)
    /// An arbitrary reply instead of the normal one.
    case reply(StubReply)
}

/// The error a ``StubServer`` throws when it cannot start.
public struct StubServerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The raw code text.
        public let rawValue: String
        /// The listening socket could not be created or configured.
        public static let socket = Code(rawValue: "socket")
        /// Binding or listening on 127.0.0.1 failed.
        public static let bind = Code(rawValue: "bind")
        /// The wake-up pipe used to stop the threads could not be created.
        public static let pipe = Code(rawValue: "pipe")
        /// The code text.
        public var description: String { rawValue }
    }

    /// The stable code of this failure.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// The system error, if one caused this.
    public var underlying: (any Error)?

    /// Creates an error value.
    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
