public import Foundation
public import Inference
public import Storage
import Synchronization

/// The models a run may call, by spec: the seam between a kind (which names models in its
/// document: `agent: "model:openai:gpt-4o"`) and how they are reached (servers, keys, the response
/// cache, replay-only).
public protocol ModelProvider: Sendable {
    /// The model `spec` names (`local`, `openai:MODEL`, `azure:DEPLOYMENT`, an `http(s)://…/v1`
    /// URL), or the run's default model (`--model`) when `spec` is `nil`. Every model comes wrapped
    /// in the run's response cache; asking twice for one spec returns the same model.
    func model(_ spec: String?) async throws -> any LanguageModel

    /// Requests in flight the default endpoint allows, once connected (a run's default concurrency).
    var defaultConcurrency: Int? { get }

    /// What was learned about each endpoint connected so far (server, context window, structured
    /// form), in connection order: the run manifest's `models`.
    var profiles: [JSONValue] { get }

    /// With `--batch`: the models whose missed requests go to the OpenAI Batch API, and the
    /// response cache their answers are fed into (``BatchPass``); none by default.
    var batching: (models: [BatchingModel], cache: ResponseCache?) { get }
}

extension ModelProvider {
    /// Unknown.
    public var defaultConcurrency: Int? { nil }
    /// None.
    public var profiles: [JSONValue] { [] }
    /// None.
    public var batching: (models: [BatchingModel], cache: ResponseCache?) { ([], nil) }
}

/// A provider with no model: for `agora report`, which never calls one.
public struct NoModels: ModelProvider {
    /// Creates the provider.
    public init() {}

    /// Always throws: reports are rebuilt from the run store alone.
    public func model(_ spec: String?) async throws -> any LanguageModel {
        throw RunError(.invalidInput, "this command does not call a model (asked for \(spec ?? "the default model"))")
    }
}

/// One model for every spec: tests and library callers that bring their own (already cached) model.
public struct FixedModels: ModelProvider {
    /// The model.
    public let base: any LanguageModel

    /// Creates the provider.
    public init(_ base: any LanguageModel) {
        self.base = base
    }

    /// `base`, whatever the spec.
    public func model(_ spec: String?) async throws -> any LanguageModel { base }
}

/// The provider `agora` uses: connects each spec once (starting the local server when needed),
/// wraps it in the shared response cache, and stops servers on ``close()``.
public final class ConnectedModels: ModelProvider {
    /// How the cache is used.
    public let mode: ResponseCache.Mode
    private let cache: ResponseCache?
    private let defaultSpec: String
    private let modelName: String?
    private let concurrency: Int?
    private let requestTimeout: TimeInterval?
    private let contextWindow: Int?
    private let structured: StructuredOutputMode?
    private let ledger = Ledger()
    private let batch: Bool
    private let state = Mutex<(models: [(String, any LanguageModel)], connected: [ConnectedModel])>(([], []))
    private let batchingModels = Mutex<[BatchingModel]>([])

    /// Creates a provider.
    ///
    /// - Parameters:
    ///   - defaultSpec: `--model` (default `local`).
    ///   - modelName: `--model-name`, for URL specs.
    ///   - cache: the response cache (`nil`: `--no-cache`).
    ///   - replayOnly: answer only from the cache; a miss stops the run, and the local server is
    ///     never started.
    ///   - concurrency: requests in flight per endpoint (`nil`: the endpoint's default).
    ///   - requestTimeout: the longest one request may take (`--timeout`; `nil`: the endpoint's
    ///     default, ``ConnectedModel/localRequestTimeout`` or ``ConnectedModel/remoteRequestTimeout``).
    ///   - contextWindow: `--context-window`: the default model's window, whatever its server says.
    ///   - structured: `--structured`: the structured-output mode the default model starts with.
    ///   - batch: `--batch`: requests the cache misses go to the OpenAI Batch API first
    ///     (``BatchPass``); needs the cache and an `openai:MODEL` or URL endpoint.
    public init(
        defaultSpec: String = "local", modelName: String? = nil, cache: ResponseCache?, replayOnly: Bool = false,
        concurrency: Int? = nil, requestTimeout: TimeInterval? = nil, contextWindow: Int? = nil,
        structured: StructuredOutputMode? = nil, batch: Bool = false
    ) throws(RunError) {
        if batch, cache == nil || replayOnly {
            throw RunError(
                .invalidInput,
                "--batch feeds the batch's answers into the response cache: drop --no-cache and --replay-only")
        }
        self.batch = batch
        self.contextWindow = contextWindow
        self.structured = structured
        if replayOnly, cache == nil {
            throw RunError(.invalidInput, "--replay-only needs the cache; drop --no-cache")
        }
        self.defaultSpec = defaultSpec
        self.modelName = modelName
        self.cache = cache
        self.mode = replayOnly ? .replayOnly : (cache == nil ? .off : .readWrite)
        self.concurrency = concurrency
        self.requestTimeout = requestTimeout
    }

    /// The in-flight limit of the default endpoint once connected (the run's default concurrency).
    public var defaultConcurrency: Int? {
        state.withLock { $0.connected.first?.maxInFlight }
    }

    /// The profiles of the endpoints connected so far, in connection order.
    public var profiles: [JSONValue] {
        state.withLock { $0.connected }.compactMap(\.profileJSON)
    }

    /// The batching models connected so far, and the cache.
    public var batching: (models: [BatchingModel], cache: ResponseCache?) {
        (batchingModels.withLock { $0 }, cache)
    }

    /// The model `spec` names, connected once and wrapped in the cache.
    public func model(_ spec: String?) async throws -> any LanguageModel {
        let text = spec ?? defaultSpec
        if let existing = state.withLock({ s in s.models.first { $0.0 == text }?.1 }) { return existing }
        let parsed = try ModelSpec.parse(text, modelName: modelName)
        if batch {
            switch parsed {
            case .openAI, .url: break
            case .local, .azure, .fleet:
                throw RunError(
                    .invalidInput,
                    "--batch needs one endpoint that offers OpenAI's Batch API (openai:MODEL, or a URL); \(parsed) does not: run it without --batch"
                )
            }
        }
        let base: any LanguageModel
        if mode == .replayOnly, case .local(let choice) = parsed {
            // Replay never starts the local server; the window is the one a live run would get, so
            // prompts are fitted alike and hit the cache.
            let window =
                text == defaultSpec ? contextWindow : nil
            base = UnreachableModel(
                identifier: choice.identifier,
                contextWindow: window ?? LocalModelServer.contextSize(for: LocalModel(choice: choice).modelFile))
        } else {
            let isDefault = text == defaultSpec
            let connected = try await ConnectedModel.connect(
                parsed, concurrency: concurrency, requestTimeout: requestTimeout,
                contextWindow: isDefault ? contextWindow : nil, structured: isDefault ? structured : nil)
            state.withLock { $0.connected.append(connected) }
            if batch {
                base = batchingModel(connected)
            } else {
                base = connected.model
            }
        }
        let model = CachedModel(base: base, cache: cache, mode: mode, ledger: ledger)
        return state.withLock { s in
            if let raced = s.models.first(where: { $0.0 == text })?.1 { return raced }
            s.models.append((text, model))
            return model
        }
    }

    /// The batching wrapper of a connected endpoint (an `openai:` or URL spec, checked before).
    private func batchingModel(_ connected: ConnectedModel) -> BatchingModel {
        let model = BatchingModel(base: connected.client)
        batchingModels.withLock { $0.append(model) }
        return model
    }

    /// Stops every local server this provider started.
    public func close() {
        for connected in state.withLock({ $0.connected }) { connected.close() }
    }

    /// The response cache file `agora` uses when `--cache` is not given.
    public static func defaultCachePath(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        LocalModel(environment: environment).cacheDirectory.appendingPathComponent("responses.sqlite").path
    }

    /// Opens the response cache at `path` (creating its folder).
    public static func openCache(_ path: String) throws -> ResponseCache {
        try? FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        return try ResponseCache(.file(path))
    }
}

/// The model behind `--replay-only` with the local model: never called (the cache answers or the
/// run stops with a cache miss before reaching it).
struct UnreachableModel: LanguageModel {
    let identifier: String
    var contextWindow: Int? = nil

    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        throw InferenceError(.cacheMiss, "replay-only: the request is not in the cache", model: identifier)
    }
}
