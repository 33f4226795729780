import Foundation
public import Storage
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What Agora learned about an endpoint on first contact: which server software answers, its
/// context window and where that came from, and the structured-output form to start with. Recorded
/// in the run manifest (`models`) and in `results.json`'s usage.
public struct ServerProfile: Sendable, Hashable {
    /// Server software that speaks the OpenAI wire format, each with its own quirks.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// llama-cpp-python's server (`python -m llama_cpp.server`; the local model runs on it).
        case llamaCppPython = "llama-cpp-python"
        /// llama.cpp's own C++ `llama-server`.
        case llamaServer = "llama-server"
        /// vLLM's OpenAI-compatible server.
        case vLLM = "vllm"
        /// Ollama's `/v1` API.
        case ollama
        /// OpenAI itself, Azure OpenAI, or a server that did not say what it is (LM Studio, proxies).
        case openAI = "openai"

        /// The wire variant this server gets.
        public var dialect: Endpoint.Dialect {
            switch self {
            case .llamaCppPython, .llamaServer: .llamaCpp
            case .vLLM: .vLLM
            case .ollama, .openAI: .openAI
            }
        }
    }

    /// The server software.
    public var kind: Kind
    /// The context window in tokens, when known.
    public var contextWindow: Int?
    /// Where ``contextWindow`` came from (`--context-window`, `llama.cpp /props n_ctx`, …), or
    /// `unknown`.
    public var contextSource: String
    /// The structured-output mode the first call uses (a rejection still steps down from it).
    public var structuredMode: StructuredOutputMode
    /// Where ``structuredMode`` came from: `detected` or `--structured`.
    public var structuredSource: String

    /// Creates a profile.
    public init(
        kind: Kind, contextWindow: Int?, contextSource: String, structuredMode: StructuredOutputMode = .jsonSchema,
        structuredSource: String = "detected"
    ) {
        self.kind = kind
        self.contextWindow = contextWindow
        self.contextSource = contextWindow == nil ? "unknown" : contextSource
        self.structuredMode = structuredMode
        self.structuredSource = structuredSource
    }

    /// The wire variant.
    public var dialect: Endpoint.Dialect { kind.dialect }

    /// How the first structured request is sent, in words (`json_schema`, or llama.cpp's
    /// `json_object+schema` grammar, or vLLM's `guided_json`).
    public var structuredForm: String {
        switch (structuredMode, dialect) {
        case (.jsonSchema, .llamaCpp): "json_object+schema (grammar)"
        case (.jsonObjectSchema, .vLLM): "guided_json"
        case (.jsonObjectSchema, _): "json_object+schema (grammar)"
        default: structuredMode.description
        }
    }

    /// The profile as JSON, keys in a fixed order.
    public func json(model: String, endpoint: String) -> JSONValue {
        .object(
            JSONObject([
                ("model", .string(model)), ("endpoint", .string(endpoint)), ("server", .string(kind.rawValue)),
                ("contextWindow", contextWindow.map { .integer(Int64($0)) } ?? .null),
                ("contextSource", .string(contextSource)), ("structured", .string(structuredForm)),
                ("structuredSource", .string(structuredSource)),
            ]))
    }
}

/// Learns a ``ServerProfile`` with a few cheap `GET`s (cached per endpoint for the process): `/v1/models`
/// (`owned_by`, vLLM's `max_model_len`), llama.cpp's `/props` (`n_ctx`), Ollama's `/api/version` and
/// `/api/show` (`num_ctx`, `model_info`). A discovery request that fails only leaves a field unknown.
public enum ServerProbe {
    private static let cache = Mutex<[String: ServerProfile]>([:])

    /// The seconds one discovery request may take.
    static let discoveryTimeout: TimeInterval = 5

    /// The profile of `endpoint`, probed on first use and cached for the process; the overrides
    /// (`--context-window`, `--structured`) win over what the server says.
    public static func profile(
        for endpoint: Endpoint, contextWindow: Int? = nil, structured: StructuredOutputMode? = nil
    ) async -> ServerProfile {
        let key = endpoint.displayURL + "#" + endpoint.model
        var profile: ServerProfile
        if let known = cache.withLock({ $0[key] }) {
            profile = known
        } else {
            profile = await discover(endpoint)
            let learned = profile
            cache.withLock { $0[key] = learned }
        }
        if let contextWindow {
            profile.contextWindow = contextWindow
            profile.contextSource = "--context-window"
        }
        if let structured {
            profile.structuredMode = structured
            profile.structuredSource = "--structured"
        }
        return profile
    }

    /// Forgets every cached profile (tests).
    public static func reset() { cache.withLock { $0.removeAll() } }

    /// The windows of hosted models, by name prefix (the longest matching prefix wins).
    static let knownWindows: [(prefix: String, tokens: Int)] = [
        ("gpt-3.5-turbo", 16_385), ("gpt-4", 8_192), ("gpt-4-32k", 32_768), ("gpt-4-turbo", 128_000),
        ("gpt-4o", 128_000), ("gpt-4o-mini", 128_000), ("gpt-4.1", 1_047_576), ("gpt-4.5", 128_000),
        ("gpt-5", 400_000), ("o1", 200_000), ("o1-mini", 128_000), ("o3", 200_000), ("o3-mini", 200_000),
        ("o4-mini", 200_000),
    ]

    /// The context window of a known hosted model, by name (`gpt-4o-mini-2024-07-18` → 128,000).
    public static func knownContextWindow(model: String) -> Int? {
        let name = model.lowercased()
        return knownWindows.filter { name.hasPrefix($0.prefix) }.max { $0.prefix.count < $1.prefix.count }?.tokens
    }

    /// Probes the server behind `endpoint`.
    static func discover(_ endpoint: Endpoint) async -> ServerProfile {
        let transport = HTTPTransport(
            maxConnections: 1, requestTimeout: discoveryTimeout, transport: endpoint.transport)
        let models = await get(endpoint, transport, endpoint.url(for: "models"))
        let root = rootURL(endpoint.baseURL)
        var props: JSONValue?
        var ollama: JSONValue?
        var show: JSONValue?
        let owner = ownedBy(models)
        if owner == nil || owner == "llamacpp" {
            props = await get(endpoint, transport, root.appendingPathComponent("props"))
        }
        if owner == nil || owner == "library" || owner == "ollama" {
            ollama = await get(endpoint, transport, root.appendingPathComponent("api/version"))
            if ollama?["version"] != nil {
                show = await post(
                    endpoint, transport, root.appendingPathComponent("api/show"),
                    .object(JSONObject([("model", .string(endpoint.model))])))
            }
        }
        return identify(models: models, props: props, ollamaVersion: ollama, ollamaShow: show, model: endpoint.model)
    }

    /// The profile the discovery answers describe (each `nil` when the request failed).
    static func identify(
        models: JSONValue?, props: JSONValue?, ollamaVersion: JSONValue?, ollamaShow: JSONValue?, model: String
    ) -> ServerProfile {
        let owner = ownedBy(models)
        let entry = modelEntry(models, model: model)
        if let maxModelLength = entry?["max_model_len"]?.intValue ?? (owner == "vllm" ? 0 : nil) {
            let window = maxModelLength > 0 ? Int(maxModelLength) : nil
            return ServerProfile(kind: .vLLM, contextWindow: window, contextSource: "vLLM /v1/models max_model_len")
        }
        if let props, props["default_generation_settings"] != nil || props["n_ctx"] != nil || owner == "llamacpp" {
            let perSlot = props["default_generation_settings"]?["n_ctx"]?.intValue
            let total = props["n_ctx"]?.intValue
            let window = (perSlot ?? total).flatMap { $0 > 0 ? Int($0) : nil }
            let source =
                perSlot != nil ? "llama.cpp /props default_generation_settings.n_ctx" : "llama.cpp /props n_ctx"
            return ServerProfile(kind: .llamaServer, contextWindow: window, contextSource: source)
        }
        if owner == "llamacpp" {
            return ServerProfile(kind: .llamaServer, contextWindow: nil, contextSource: "unknown")
        }
        if owner == "me" {
            // llama-cpp-python says nothing about n_ctx; a "maximum context length is N" error names it.
            return ServerProfile(kind: .llamaCppPython, contextWindow: nil, contextSource: "unknown")
        }
        if ollamaVersion?["version"]?.stringValue != nil {
            let (window, source) = ollamaWindow(ollamaShow)
            return ServerProfile(kind: .ollama, contextWindow: window, contextSource: source)
        }
        let known = knownContextWindow(model: model)
        return ServerProfile(kind: .openAI, contextWindow: known, contextSource: "known model table")
    }

    /// Ollama's window: `num_ctx` from the model's parameters, else Ollama's default (2048), never
    /// more than the trained `context_length` (Ollama cuts longer prompts silently, so a guess too
    /// high would lose the start of the conversation without an error).
    static func ollamaWindow(_ show: JSONValue?) -> (Int?, String) {
        let parameters = show?["parameters"]?.stringValue ?? ""
        for line in parameters.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.count == 2, fields[0] == "num_ctx", let value = Int(fields[1]), value > 0 {
                return (value, "ollama /api/show num_ctx")
            }
        }
        var trained: Int?
        if case .object(let info)? = show?["model_info"] {
            for (key, value) in info where key.hasSuffix(".context_length") {
                if let n = value.intValue, n > 0 { trained = Int(n) }
            }
        }
        let fallback = 2048
        if let trained, trained < fallback { return (trained, "ollama /api/show model_info context_length") }
        return (fallback, "ollama default num_ctx (2048; set num_ctx in a Modelfile, or --context-window)")
    }

    static func ownedBy(_ models: JSONValue?) -> String? {
        models?["data"]?.arrayValue?.first?["owned_by"]?.stringValue
    }

    static func modelEntry(_ models: JSONValue?, model: String) -> JSONValue? {
        let data = models?["data"]?.arrayValue ?? []
        return data.first { $0["id"]?.stringValue == model } ?? data.first
    }

    /// The server root: the base URL without a trailing `/v1`.
    static func rootURL(_ base: URL) -> URL {
        var url = base
        while url.path.hasSuffix("/") && url.path.count > 1 { url.deleteLastPathComponent() }
        if url.lastPathComponent == "v1" { url.deleteLastPathComponent() }
        return url
    }

    private static func get(_ endpoint: Endpoint, _ transport: HTTPTransport, _ url: URL) async -> JSONValue? {
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        endpoint.authorize(&request)
        request.timeoutInterval = discoveryTimeout
        return await json(transport, request)
    }

    private static func post(_ endpoint: Endpoint, _ transport: HTTPTransport, _ url: URL, _ body: JSONValue) async
        -> JSONValue?
    {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        endpoint.authorize(&request)
        request.httpBody = Data(body.serializedBytes())
        request.timeoutInterval = discoveryTimeout
        return await json(transport, request)
    }

    private static func json(_ transport: HTTPTransport, _ request: URLRequest) async -> JSONValue? {
        guard let result = try? await transport.send(request), (200...299).contains(result.status) else { return nil }
        return try? JSONValue.parse(result.body)
    }
}
