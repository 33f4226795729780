/// A model in front of another that serves answers from a ``ResponseCache`` and counts every call
/// in a ``Ledger``.
public struct CachedModel: LanguageModel {
    /// The model asked on a miss.
    public let base: any LanguageModel
    /// The cache, or `nil` with mode `.off`.
    public let cache: ResponseCache?
    /// How the cache is used.
    public let mode: ResponseCache.Mode
    /// Where calls are counted.
    public let ledger: Ledger

    /// Creates a cached model. With `mode == .off` or no cache, every call goes to `base`.
    public init(base: any LanguageModel, cache: ResponseCache?, mode: ResponseCache.Mode, ledger: Ledger = Ledger()) {
        self.base = base
        self.cache = cache
        self.mode = cache == nil ? .off : mode
        self.ledger = ledger
    }

    /// The base model's identifier (a cache does not change what is answered).
    public var identifier: String { base.identifier }
    /// The base model's context window.
    public var contextWindow: Int? { base.contextWindow }

    /// Serves from the cache, or asks the base model and stores its answer.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var entry: (key: String, request: String)?
        if let cache, mode != .off {
            let e = ResponseCache.entry(for: request, model: base.identifier)
            entry = e
            let k = e.key
            if var hit = try await cache.lookup(k) {
                ledger.record(model: base.identifier, usage: hit.usage, latency: .zero, cached: true)
                hit.cacheKey = k
                return hit
            }
            if mode == .replayOnly {
                throw InferenceError(
                    .cacheMiss,
                    "replay-only mode and the request \(k.prefix(12))… is not in the cache; run without --replay-only to call the model",
                    model: base.identifier)
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        var response: ChatResponse
        do {
            response = try await base.complete(request)
        } catch {
            ledger.recordFailure(model: base.identifier)
            throw error
        }
        ledger.record(model: base.identifier, usage: response.usage, latency: clock.now - start, cached: false)
        if let cache, let entry {
            // The answer is paid for: a cache that cannot be written now (another process holds its
            // lock past the busy timeout) costs a re-ask later, never this answer.
            if (try? await cache.store(response, key: entry.key, requestText: entry.request, model: base.identifier))
                != nil
            {
                response.cacheKey = entry.key
            }
        }
        return response
    }
}
