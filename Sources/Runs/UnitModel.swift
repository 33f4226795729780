public import Inference
import Synchronization

/// The model as one unit of work sees it: forwards every call to the shared (cached) model and
/// records it (cache key, usage, latency, cached or not) for the unit's commit.
///
/// Each unit owns its own `UnitModel`, so nothing is shared across units but the model behind it.
public final class UnitModel: LanguageModel {
    /// The model asked (usually a `CachedModel`).
    public let base: any LanguageModel
    private let records = Mutex<[StoredModelCall]>([])
    private let observer: (@Sendable (StoredModelCall) -> Void)?
    private let tracker: RunMonitor?

    /// Creates a recorder; `observer` sees each record as it happens (progress display).
    public convenience init(base: any LanguageModel, observer: (@Sendable (StoredModelCall) -> Void)? = nil) {
        self.init(base: base, observer: observer, tracker: nil)
    }

    /// Creates a recorder whose calls in flight `tracker` sees (stalled requests in the progress line).
    init(base: any LanguageModel, observer: (@Sendable (StoredModelCall) -> Void)?, tracker: RunMonitor?) {
        self.base = base
        self.tracker = tracker
        self.observer = observer
    }

    /// The base model's identifier.
    public var identifier: String { base.identifier }
    /// The base model's context window.
    public var contextWindow: Int? { base.contextWindow }

    /// The calls so far, in order.
    public var calls: [StoredModelCall] { records.withLock { $0 } }

    /// Forwards the call and records it.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var purpose = "text"
        if case .jsonSchema(let name, _, _) = request.responseFormat { purpose = name }
        let clock = ContinuousClock()
        let start = clock.now
        let ticket = tracker?.callStarted()
        defer { if let ticket { tracker?.callEnded(ticket) } }
        do {
            let response = try await base.complete(request)
            let d = (clock.now - start).components
            let seconds = response.fromCache ? 0 : Double(d.seconds) + Double(d.attoseconds) * 1e-18
            append(
                StoredModelCall(
                    seq: 0, model: base.identifier,
                    cacheKey: response.cacheKey ?? ResponseCache.key(for: request, model: base.identifier),
                    purpose: purpose,
                    promptTokens: response.usage.promptTokens, completionTokens: response.usage.completionTokens,
                    latencySeconds: seconds, cached: response.fromCache,
                    cachedPromptTokens: response.usage.cachedPromptTokens, batch: response.fromBatch))
            return response
        } catch {
            append(
                StoredModelCall(
                    seq: 0, model: base.identifier, cacheKey: ResponseCache.key(for: request, model: base.identifier),
                    purpose: purpose, promptTokens: 0,
                    completionTokens: 0,
                    latencySeconds: 0, cached: false, error: String(describing: error).prefix(500).description))
            throw error
        }
    }

    private func append(_ record: StoredModelCall) {
        let numbered = records.withLock { list in
            var r = record
            r.seq = list.count
            list.append(r)
            return r
        }
        observer?(numbered)
    }
}
