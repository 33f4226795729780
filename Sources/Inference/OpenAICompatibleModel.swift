import Foundation
import Storage

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A model behind an OpenAI-compatible HTTP API (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp's
/// server, LM Studio), with retries, a per-endpoint limiter and connection reuse.
///
/// Create one per endpoint and share it: it owns the endpoint's `URLSession` and limiter.
public final class OpenAICompatibleModel: LanguageModel, EmbeddingModel {
    /// The endpoint.
    public let endpoint: Endpoint
    /// The stable identifier used in cache keys and ledgers.
    public let identifier: String
    /// The limiter every call of this model goes through.
    public let limiter: EndpointLimiter
    private let retries: RetryLoop
    /// The URLs of the two API paths, built once (building a URL per call showed in profiles).
    private let chatURL: URL
    private let embeddingsURL: URL

    /// What was learned about the server (``ServerProbe``), or `nil` when it was not probed.
    public let profile: ServerProfile?
    /// The context window: the profile's (probed, configured or a known model's), else `nil`.
    public var contextWindow: Int? { profile?.contextWindow }

    /// Creates a client. `identifier` defaults to `"<base URL>#<model>"`; give a stable one when the
    /// URL changes from run to run (the local server's port) but the model does not. `profile`
    /// gives the window (``contextWindow``) and the structured-output form to start with.
    public init(endpoint: Endpoint, identifier: String? = nil, profile: ServerProfile? = nil) {
        self.endpoint = endpoint
        self.profile = profile
        self.identifier = identifier ?? "\(endpoint.displayURL)#\(endpoint.model)"
        self.limiter = EndpointLimiter(limits: endpoint.limits)
        self.chatURL = endpoint.url(for: "chat/completions")
        self.embeddingsURL = endpoint.url(for: "embeddings")
        self.retries = RetryLoop(
            transport: HTTPTransport(
                maxConnections: endpoint.limits.maxInFlight, requestTimeout: endpoint.requestTimeout,
                transport: endpoint.transport),
            limiter: limiter, policy: endpoint.retry, requestTimeout: endpoint.requestTimeout,
            target: endpoint.displayURL, model: endpoint.model,
            advice: "Check the endpoint, lower --concurrency, or retry later.")
        if let profile { StructuredOutputSupport.start(self.identifier, at: profile.structuredMode) }
    }

    /// Sends a chat-completions request.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let body = OpenAIWire.chatBody(request, model: endpoint.model, dialect: endpoint.dialect)
        let estimate = Self.estimateTokens(request)
        return try await send(path: "chat/completions", body: body, estimatedTokens: estimate) {
            data throws(InferenceError) in
            do throws(OpenAIWire.WireError) {
                return try OpenAIWire.decodeChat(data)
            } catch let wire {
                throw self.error(.malformedResponse, wire.message, status: 200)
            }
        }
    }

    /// Sends an embeddings request.
    public func embed(_ texts: [String]) async throws -> [[Double]] {
        guard !texts.isEmpty else { return [] }
        let body = OpenAIWire.embeddingsBody(texts, model: endpoint.model)
        let estimate = texts.reduce(0) { $0 + $1.utf8.count / 4 + 1 }
        return try await send(path: "embeddings", body: body, estimatedTokens: estimate) {
            data throws(InferenceError) in
            do throws(OpenAIWire.WireError) {
                return try OpenAIWire.decodeEmbeddings(data, count: texts.count)
            } catch let wire {
                throw self.error(.malformedResponse, wire.message, status: 200)
            }
        }
    }

    /// A rough token estimate (4 bytes a token) for the per-minute token budget.
    static func estimateTokens(_ request: ChatRequest) -> Int {
        let promptBytes = request.messages.reduce(0) { $0 + $1.content.utf8.count + 8 }
        return promptBytes / 4 + (request.maxTokens ?? 256)
    }

    /// The advice for a server's "context length exceeded" answer, or `nil` when the answer is
    /// something else. Recognised: OpenAI's and llama-cpp-python's `context_length_exceeded` ("This
    /// model's maximum context length is N tokens"), vLLM's "longer than the maximum model length",
    /// llama.cpp's `exceed_context_size_error` ("exceeds the available context size").
    static func contextOverflow(status: Int, body: Data, message: String) -> String? {
        guard status == 400 || status == 413 || status == 422 || status == 500 else { return nil }
        let text = message.lowercased()
        let raw = String(decoding: body.prefix(4096), as: UTF8.self).lowercased()
        let matches =
            raw.contains("context_length_exceeded") || raw.contains("exceed_context_size")
            || text.contains("maximum context length") || text.contains("exceeds the available context size")
            || text.contains("longer than the maximum model length")
        guard matches else { return nil }
        var window: Int?
        for marker in ["maximum context length is ", "maximum model length of ", "\"n_ctx\":"] {
            guard let range = raw.range(of: marker) else { continue }
            let digits = raw[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber }
            if let n = Int(digits) {
                window = n
                break
            }
        }
        let advice =
            window.map {
                " The server's window is \($0) tokens: run with --context-window \($0) so prompts are fitted to it, or serve the model with a larger context."
            }
            ?? " Give the server's window with --context-window N so prompts are fitted to it, or serve the model with a larger context."
        return "the prompt does not fit the model's context window (server: \(message))." + advice
    }

    private func error(
        _ code: InferenceError.Code, _ message: String, status: Int? = nil,
        underlying: (any Error & Sendable)? = nil
    ) -> InferenceError {
        retries.error(code, message, status: status, underlying: underlying)
    }

    /// Posts `body` to `path` with retries; `decode` turns a 2xx body into the result. A 2xx body
    /// that does not decode is retried like a dropped connection (a proxy or server cut it short).
    private func send<T: Sendable>(
        path: String,
        body: JSONValue,
        estimatedTokens: Int,
        decode: (Data) throws(InferenceError) -> T
    ) async throws -> T {
        let url =
            switch path {
            case "chat/completions": chatURL
            case "embeddings": embeddingsURL
            default: endpoint.url(for: path)
            }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        endpoint.authorize(&request)
        request.httpBody = Data(body.serializedBytes())
        request.timeoutInterval = endpoint.requestTimeout

        return try await retries.run(request, estimatedTokens: estimatedTokens) { result in
            classify(result, decode: decode)
        }
    }

    private func classify<T>(
        _ result: HTTPResult, decode: (Data) throws(InferenceError) -> T
    ) -> AttemptOutcome<T> {
        if (200...299).contains(result.status) {
            do {
                return .success(try decode(result.body))
            } catch {
                return .retry(error, retryAfter: nil)
            }
        }
        let serverMessage = OpenAIWire.serverMessage(result.body)
        if let overflow = Self.contextOverflow(status: result.status, body: result.body, message: serverMessage) {
            return .fatal(error(.contextLengthExceeded, overflow, status: result.status))
        }
        // Some servers (llama-cpp-python) answer 500 to a request they cannot validate, such as an
        // unsupported response_format: that is not transient, so it is not retried.
        let isFormatRejection = result.status >= 500 && serverMessage.contains("response_format")
        if RetryPolicy.isRetryable(status: result.status), !isFormatRejection {
            return retries.outcome(forStatus: result, failure: error(.httpError, serverMessage, status: result.status))
        }
        var hint = ""
        switch result.status {
        case 401, 403:
            hint = " Check the API key in the environment (OPENAI_API_KEY, AZURE_OPENAI_API_KEY or AGORA_API_KEY)."
        case 404: hint = " Check the base URL (it usually ends in /v1) and the model name."
        default: break
        }
        return .fatal(error(.httpError, serverMessage + hint, status: result.status))
    }
}
