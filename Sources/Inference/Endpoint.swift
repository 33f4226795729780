public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where and how to reach an OpenAI-compatible endpoint.
///
/// The key is held in memory only; it is sent in a header and never written to logs, caches, run
/// stores or error messages (`description` redacts it).
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// How the key is sent.
    public enum Authentication: Sendable, Hashable {
        /// No key (local servers).
        case none
        /// `Authorization: Bearer KEY` (OpenAI, vLLM, most servers).
        case bearer(String)
        /// Azure OpenAI: `api-key: KEY` and an `api-version` query item.
        case azure(key: String, apiVersion: String)
    }

    /// The base URL, ending in `/v1` for most servers (or the Azure deployment URL).
    public var baseURL: URL
    /// The model (or Azure deployment) name sent in requests.
    public var model: String
    /// How the key is sent.
    public var authentication: Authentication
    /// The longest a single request may take (generations can be long). Over URLSession (`https`,
    /// and `http` to a host that is not loopback) the timeout is at least 1 s (libcurl counts whole
    /// seconds; a shorter one would fire at once).
    public var requestTimeout: TimeInterval
    /// Bounds on concurrent and per-minute use.
    public var limits: EndpointLimiter.Limits
    /// Retry behaviour for transient failures.
    public var retry: RetryPolicy
    /// Which variant of the wire format the server speaks.
    public var dialect: Dialect
    /// Which HTTP stack carries the requests.
    public var transport: Transport

    /// HTTP stacks.
    public enum Transport: String, Sendable, Hashable {
        /// Agora's own epoll client for plain `http://` to a loopback host (127.0.0.0/8, `localhost`)
        /// on Linux, where call overhead matters (the local model server); URLSession for everything
        /// else: `https://`, and `http://` to any other host.
        case automatic
        /// Always URLSession (libcurl on Linux).
        case urlSession
    }

    /// Variants of the OpenAI wire format.
    public enum Dialect: String, Sendable, Hashable {
        /// OpenAI's own format (also Azure, Ollama, LM Studio).
        case openAI
        /// llama-cpp-python's server: it rejects `json_schema` but constrains `json_object` with a
        /// `schema` key by grammar, so a JSON-schema request is sent that way (llama.cpp's C++
        /// `llama-server` accepts that form too).
        case llamaCpp
        /// vLLM: `json_schema` as OpenAI's; the grammar form is vLLM's `guided_json` parameter.
        case vLLM = "vllm"
    }

    /// Creates an endpoint.
    public init(
        baseURL: URL,
        model: String,
        authentication: Authentication = .none,
        requestTimeout: TimeInterval = 600,
        limits: EndpointLimiter.Limits = .init(maxInFlight: 16),
        retry: RetryPolicy = .standard,
        dialect: Dialect = .openAI,
        transport: Transport = .automatic
    ) {
        self.baseURL = baseURL
        self.model = model
        self.authentication = authentication
        self.requestTimeout = requestTimeout
        self.limits = limits
        self.retry = retry
        self.dialect = dialect
        self.transport = transport
        switch authentication {
        case .none: break
        case .bearer(let key), .azure(let key, _): SecretRedaction.register(key)
        }
    }

    /// The base URL as text, without user info, query or fragment.
    public var displayURL: String { Self.display(baseURL) }

    /// `url` as text fit for errors and logs: without user info, query or fragment (where keys hide).
    static func display(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return "<invalid URL>"
        }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "<invalid URL>"
    }

    /// The endpoint without its key.
    public var description: String {
        let auth: String
        switch authentication {
        case .none: auth = "no key"
        case .bearer: auth = "bearer key (redacted)"
        case .azure(_, let version): auth = "azure key (redacted), api-version \(version)"
        }
        return "\(displayURL) model \(model), \(auth)"
    }

    /// The URL of an API path such as `chat/completions`.
    func url(for path: String) -> URL {
        var url = baseURL
        url.appendPathComponent(path)
        if case .azure(_, let version) = authentication,
            var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        {
            components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "api-version", value: version)]
            if let withQuery = components.url { url = withQuery }
        }
        return url
    }

    /// Adds the auth header to `request`.
    func authorize(_ request: inout URLRequest) {
        switch authentication {
        case .none: break
        case .bearer(let key): request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        case .azure(let key, _): request.setValue(key, forHTTPHeaderField: "api-key")
        }
    }
}
