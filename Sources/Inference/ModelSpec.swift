public import Foundation
public import Storage

/// Which model to use, as written on the command line (`--model SPEC`): `local` (the default),
/// `local:NAME` (another built-in model, ``LocalModelChoice``), `openai:MODEL`, `azure:DEPLOYMENT`, or an `http(s)://…/v1` base URL with `--model-name`;
/// a fleet of endpoints serving one model is several URLs joined by commas, or `@FILE` naming an
/// endpoints file (``FleetMember/parseFile(_:at:)``).
///
/// Keys come from the environment only: `OPENAI_API_KEY`, `AZURE_OPENAI_API_KEY` (with
/// `AZURE_OPENAI_ENDPOINT` and optionally `AZURE_OPENAI_API_VERSION`), `AGORA_API_KEY` for URLs.
public enum ModelSpec: Sendable, Hashable, CustomStringConvertible {
    /// The built-in llama.cpp server with a tiny model (`local`: ``LocalModelChoice/default``).
    case local(LocalModelChoice)
    /// OpenAI's API with this model.
    case openAI(model: String)
    /// Azure OpenAI with this deployment.
    case azure(deployment: String)
    /// Any OpenAI-compatible server.
    case url(URL, model: String)
    /// Several OpenAI-compatible servers serving one model (``FleetModel``).
    case fleet([FleetMember], model: String)

    /// Parses a spec; `modelName` is the `--model-name` flag (required with a URL).
    public static func parse(_ text: String, modelName: String? = nil) throws(InferenceError) -> ModelSpec {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "local" { return .local(.default) }
        if trimmed.hasPrefix("local:") {
            let name = String(trimmed.dropFirst("local:".count))
            guard let choice = LocalModelChoice.named(name) else {
                throw invalid(
                    text,
                    "no built-in model \"\(name)\"; choose one of "
                        + LocalModelChoice.all.map { "local:\($0.name)" }.joined(separator: ", "))
            }
            return .local(choice)
        }
        if trimmed.hasPrefix("openai:") {
            let model = String(trimmed.dropFirst("openai:".count))
            guard !model.isEmpty else { throw invalid(text, "openai: needs a model, e.g. openai:gpt-4o-mini") }
            return .openAI(model: model)
        }
        if trimmed.hasPrefix("azure:") {
            let deployment = String(trimmed.dropFirst("azure:".count))
            guard !deployment.isEmpty else {
                throw invalid(text, "azure: needs a deployment name, e.g. azure:my-gpt4o")
            }
            return .azure(deployment: deployment)
        }
        if trimmed.hasPrefix("@") {
            let members = try FleetMember.load(String(trimmed.dropFirst()))
            return members.count == 1 && members[0].maxInFlight == nil
                ? .url(members[0].url, model: modelName ?? "default")
                : .fleet(members, model: modelName ?? "default")
        }
        if trimmed.contains(",") {
            var members: [FleetMember] = []
            for (position, part) in trimmed.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                let item = part.trimmingCharacters(in: .whitespaces)
                guard item.hasPrefix("http://") || item.hasPrefix("https://"), let url = URL(string: item),
                    url.host != nil
                else {
                    throw invalid(
                        text,
                        "endpoint \(position + 1) (\"\(item)\") is not an http(s)://…/v1 URL; a fleet is base URLs separated by commas, or @FILE with one URL a line"
                    )
                }
                members.append(FleetMember(url: url))
            }
            return .fleet(members, model: modelName ?? "default")
        }
        if trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://") {
            guard let url = URL(string: trimmed), url.host != nil else {
                throw invalid(text, "not a valid URL; write the base URL, e.g. http://127.0.0.1:8000/v1")
            }
            return .url(url, model: modelName ?? "default")
        }
        throw invalid(
            text,
            "use local, openai:MODEL, azure:DEPLOYMENT or an http(s)://…/v1 URL with --model-name (local:NAME for another built-in model; URL,URL,… or @FILE for a fleet)"
        )
    }

    private static func invalid(_ text: String, _ reason: String) -> InferenceError {
        InferenceError(.invalidConfiguration, "--model \(text): \(reason)")
    }

    /// The spec as written.
    public var description: String {
        switch self {
        case .local(let choice): choice == .default ? "local" : "local:\(choice.name)"
        case .openAI(let model): "openai:\(model)"
        case .azure(let deployment): "azure:\(deployment)"
        case .url(let url, let model): "\(url.absoluteString) (model \(model))"
        case .fleet(let members, let model): "a fleet of \(members.count) endpoints (model \(model))"
        }
    }

    /// The endpoint for a remote spec, with the key read from `environment`.
    /// - Throws: `.invalidConfiguration` when a required key or setting is missing.
    public func endpoint(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        limits: EndpointLimiter.Limits,
        retry: RetryPolicy = .standard,
        requestTimeout: TimeInterval = 600
    ) throws(InferenceError) -> Endpoint {
        func key(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                return nil
            }
            return value
        }
        switch self {
        case .local:
            throw InferenceError(
                .invalidConfiguration, "the local model has no fixed endpoint; start it with LocalModelServer")
        case .openAI(let model):
            guard let apiKey = key("OPENAI_API_KEY") else {
                throw InferenceError(
                    .invalidConfiguration, "--model openai:\(model) needs OPENAI_API_KEY in the environment")
            }
            let base = key("OPENAI_BASE_URL").flatMap(URL.init(string:)) ?? URL(string: "https://api.openai.com/v1")
            guard let base else { throw InferenceError(.invalidConfiguration, "OPENAI_BASE_URL is not a URL") }
            return Endpoint(
                baseURL: base, model: model, authentication: .bearer(apiKey), requestTimeout: requestTimeout,
                limits: limits, retry: retry)
        case .azure(let deployment):
            guard let apiKey = key("AZURE_OPENAI_API_KEY") else {
                throw InferenceError(
                    .invalidConfiguration, "--model azure:\(deployment) needs AZURE_OPENAI_API_KEY in the environment")
            }
            guard let resource = key("AZURE_OPENAI_ENDPOINT"), let root = URL(string: resource) else {
                throw InferenceError(
                    .invalidConfiguration,
                    "--model azure:\(deployment) needs AZURE_OPENAI_ENDPOINT (https://RESOURCE.openai.azure.com) in the environment"
                )
            }
            let version = key("AZURE_OPENAI_API_VERSION") ?? "2024-10-21"
            let base = root.appendingPathComponent("openai/deployments/\(deployment)")
            return Endpoint(
                baseURL: base, model: deployment, authentication: .azure(key: apiKey, apiVersion: version),
                requestTimeout: requestTimeout, limits: limits, retry: retry)
        case .url(let url, let model):
            let auth: Endpoint.Authentication = key("AGORA_API_KEY").map { .bearer($0) } ?? .none
            return Endpoint(
                baseURL: url, model: model, authentication: auth, requestTimeout: requestTimeout,
                limits: limits, retry: retry)
        case .fleet:
            throw InferenceError(.invalidConfiguration, "a fleet has several endpoints; ask for endpoints(…)")
        }
    }

    /// The endpoints of a URL or fleet spec (one for a URL), each with its own limits: a fleet
    /// member's `concurrency=N` from the endpoints file, else `limits`; the key is `AGORA_API_KEY`.
    public func endpoints(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        limits: EndpointLimiter.Limits,
        retry: RetryPolicy = .standard,
        requestTimeout: TimeInterval = 600
    ) throws(InferenceError) -> [Endpoint] {
        guard case .fleet(let members, let model) = self else {
            return [
                try endpoint(environment: environment, limits: limits, retry: retry, requestTimeout: requestTimeout)
            ]
        }
        let key = environment["AGORA_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let auth: Endpoint.Authentication = key.isEmpty ? .none : .bearer(key)
        return members.map { member in
            var own = limits
            if let n = member.maxInFlight { own.maxInFlight = n }
            return Endpoint(
                baseURL: member.url, model: model, authentication: auth, requestTimeout: requestTimeout, limits: own,
                retry: retry)
        }
    }
}

/// A model ready to use, and what must be stopped when done (the local server).
public final class ConnectedModel: Sendable {
    /// The client.
    public let client: OpenAICompatibleModel
    /// The local server, when the spec was `local`.
    public let server: LocalModelServer?
    /// The fleet, when the spec named several endpoints (``client`` is then its first endpoint).
    public let fleet: FleetModel?

    init(client: OpenAICompatibleModel, server: LocalModelServer?, fleet: FleetModel? = nil) {
        self.client = client
        self.server = server
        self.fleet = fleet
    }

    /// The model to call: the fleet, or the one client.
    public var model: any LanguageModel { fleet ?? client }

    /// Requests in flight the connection allows: the sum over a fleet's endpoints.
    public var maxInFlight: Int { fleet?.maxInFlight ?? client.endpoint.limits.maxInFlight }

    /// What was learned about the endpoint (or each endpoint of a fleet), for the run manifest.
    public var profileJSON: JSONValue? {
        if let fleet { return fleet.json() }
        return client.profile?.json(model: client.identifier, endpoint: client.endpoint.displayURL)
    }

    /// The longest one request to the local model may take by default: a tiny model on two cores
    /// answers a short structured request in seconds, but a long generation can take minutes.
    public static let localRequestTimeout: TimeInterval = 300
    /// The longest one request to a remote endpoint may take by default (`--timeout` changes it): a
    /// server that accepts the connection and never answers costs two minutes an attempt, not ten.
    public static let remoteRequestTimeout: TimeInterval = 120

    /// Connects to the model a spec names, starting (and if needed building) the local server.
    ///
    /// A URL endpoint is probed on first contact (``ServerProbe``, cached per endpoint for the
    /// process): the server software picks the wire dialect and structured-output form, and its
    /// window becomes the client's ``OpenAICompatibleModel/contextWindow``. Hosted models get their
    /// window from a table; the local server's is the `--n_ctx` it was started with.
    ///
    /// - Parameters:
    ///   - requestTimeout: the longest one request may take; `nil`: ``localRequestTimeout``
    ///     for `local`, ``remoteRequestTimeout`` otherwise.
    ///   - contextWindow: `--context-window`: the window to assume (and the local server's `--n_ctx`).
    ///   - structured: `--structured`: the structured-output mode to start with.
    public static func connect(
        _ spec: ModelSpec,
        concurrency: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        retry: RetryPolicy = .standard,
        requestTimeout given: TimeInterval? = nil,
        contextWindow: Int? = nil,
        structured: StructuredOutputMode? = nil
    ) async throws(InferenceError) -> ConnectedModel {
        let requestTimeout: TimeInterval
        if case .local = spec {
            requestTimeout = given ?? localRequestTimeout
        } else {
            requestTimeout = given ?? remoteRequestTimeout
        }
        switch spec {
        case .local(let choice):
            let server = try await LocalModelServer.start(
                LocalModel(environment: environment, choice: choice), contextSize: contextWindow)
            // llama.cpp's server answers one request at a time; more in flight only queue there.
            let endpoint = Endpoint(
                baseURL: server.baseURL, model: choice.servedName, requestTimeout: requestTimeout,
                limits: .init(maxInFlight: concurrency ?? 1), retry: retry, dialect: .llamaCpp)
            let profile = ServerProfile(
                kind: .llamaCppPython, contextWindow: server.contextSize,
                contextSource: contextWindow == nil
                    ? "local server --n_ctx (the GGUF's trained context, bounded by 32768 and memory)"
                    : "--context-window",
                structuredMode: structured ?? .jsonSchema,
                structuredSource: structured == nil ? "detected" : "--structured")
            return ConnectedModel(
                client: OpenAICompatibleModel(endpoint: endpoint, identifier: choice.identifier, profile: profile),
                server: server)
        case .fleet:
            // Each endpoint keeps its own limiter; within the fleet one attempt each, since a
            // failed request moves to another endpoint (FleetModel counts and retries).
            var members: [OpenAICompatibleModel] = []
            for var endpoint in try spec.endpoints(
                environment: environment, limits: .init(maxInFlight: concurrency ?? 16),
                retry: RetryPolicy(maxAttempts: 1), requestTimeout: requestTimeout)
            {
                let profile = await ServerProbe.profile(
                    for: endpoint, contextWindow: contextWindow, structured: structured)
                endpoint.dialect = profile.dialect
                members.append(OpenAICompatibleModel(endpoint: endpoint, profile: profile))
            }
            let fleet = FleetModel(members: members, policy: FleetModel.Policy(attempts: max(retry.maxAttempts, 2)))
            return ConnectedModel(client: members[0], server: nil, fleet: fleet)
        case .url:
            var endpoint = try spec.endpoint(
                environment: environment, limits: .init(maxInFlight: concurrency ?? 16), retry: retry,
                requestTimeout: requestTimeout)
            let profile = await ServerProbe.profile(for: endpoint, contextWindow: contextWindow, structured: structured)
            endpoint.dialect = profile.dialect
            return ConnectedModel(client: OpenAICompatibleModel(endpoint: endpoint, profile: profile), server: nil)
        case .openAI, .azure:
            let endpoint = try spec.endpoint(
                environment: environment, limits: .init(maxInFlight: concurrency ?? 16), retry: retry,
                requestTimeout: requestTimeout)
            let known = ServerProbe.knownContextWindow(model: endpoint.model)
            let profile = ServerProfile(
                kind: .openAI, contextWindow: contextWindow ?? known,
                contextSource: contextWindow == nil ? "known model table" : "--context-window",
                structuredMode: structured ?? .jsonSchema,
                structuredSource: structured == nil ? "detected" : "--structured")
            return ConnectedModel(client: OpenAICompatibleModel(endpoint: endpoint, profile: profile), server: nil)
        }
    }

    /// Stops the local server, if any.
    public func close() {
        server?.stop()
    }
}

extension ModelSpec {
    /// The identifier a model connected from this spec uses in cache keys and ledgers, found
    /// without connecting (for estimates and cache look-ups before a run).
    public func identifier(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
                return nil
            }
            return text
        }
        switch self {
        case .local:
            return LocalModel.identifier
        case .openAI(let model):
            let base =
                value("OPENAI_BASE_URL").flatMap(URL.init(string:)) ?? URL(string: "https://api.openai.com/v1")
            return "\(base.map(Endpoint.display) ?? "https://api.openai.com/v1")#\(model)"
        case .azure(let deployment):
            let root = value("AZURE_OPENAI_ENDPOINT").flatMap(URL.init(string:))
            let base = root?.appendingPathComponent("openai/deployments/\(deployment)")
            return "\(base.map(Endpoint.display) ?? "azure")#\(deployment)"
        case .url(let url, let model):
            return "\(Endpoint.display(url))#\(model)"
        case .fleet(_, let model):
            return FleetModel.identifier(model: model)
        }
    }
}
