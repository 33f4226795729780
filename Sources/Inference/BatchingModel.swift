import Foundation
public import Storage
import Synchronization

/// The model behind the response cache in a `--batch` run: it either calls its endpoint (live) or,
/// while a collecting pass runs, records each request the cache could not answer and declines it,
/// so the missed requests can be sent as one OpenAI batch and their answers fed into the cache.
///
/// In collecting mode a declined request throws an ``InferenceError``: with
/// ``Collecting/independent`` the code is `invalidStructuredOutput` (a unit of a kind whose calls
/// do not depend on each other records a failed answer and asks its next question, so one pass
/// collects all of them); with ``Collecting/firstMissPerUnit`` it is `cacheMiss`, which stops the
/// unit (a conversation asks its next turn only once this one is answered: one turn of every open
/// session per batch). Requests marked live (their batch answer failed or expired) are sent to the
/// endpoint even while collecting.
public final class BatchingModel: LanguageModel {
    /// How a collecting pass declines a request.
    public enum Collecting: Sendable, Hashable {
        /// As a failed answer: the unit goes on to its next, independent call.
        case independent
        /// As a cache miss: the unit stops at its first unanswered call.
        case firstMissPerUnit
    }

    /// A request the cache could not answer during a collecting pass.
    public struct Miss: Sendable, Hashable {
        /// The response-cache key (also the batch line's `custom_id`).
        public var key: String
        /// The canonical request text the cache stores beside the answer.
        public var requestText: String
        /// The request body as the endpoint would receive it.
        public var body: JSONValue
    }

    private struct State {
        var collecting: Collecting?
        var misses: [String: Miss] = [:]
        var live: Set<String> = []
        var liveCalls = 0
    }

    /// The endpoint's client.
    public let base: OpenAICompatibleModel
    /// The Batch API on the same endpoint.
    public let batches: BatchAPIClient
    private let state = Mutex(State())

    /// Wraps `base`.
    public init(base: OpenAICompatibleModel) {
        self.base = base
        self.batches = BatchAPIClient(endpoint: base.endpoint)
    }

    /// The base model's identifier (cache keys are the live run's).
    public var identifier: String { base.identifier }
    /// The base model's window.
    public var contextWindow: Int? { base.contextWindow }

    /// Starts collecting (clearing what an earlier pass collected), or with `nil` goes live.
    public func collect(_ mode: Collecting?) {
        state.withLock { s in
            s.collecting = mode
            if mode != nil { s.misses.removeAll() }
        }
    }

    /// The requests declined since collecting started, sorted by key (the batch file's order).
    public var misses: [Miss] {
        state.withLock { $0.misses.values.sorted { $0.key < $1.key } }
    }

    /// Marks requests (by cache key) to be sent to the endpoint even while collecting: their batch
    /// answer failed or never came.
    public func sendLive(_ keys: some Sequence<String>) {
        state.withLock { $0.live.formUnion(keys) }
    }

    /// Requests sent to the endpoint directly while collecting (batch fall-backs).
    public var liveCalls: Int { state.withLock { $0.liveCalls } }

    /// Calls the endpoint, or records and declines the request while collecting.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let entry = ResponseCache.entry(for: request, model: base.identifier)
        let mode = state.withLock { s -> Collecting? in
            guard let mode = s.collecting else { return nil }
            if s.live.contains(entry.key) {
                s.liveCalls += 1
                return nil
            }
            if s.misses[entry.key] == nil {
                s.misses[entry.key] = Miss(key: entry.key, requestText: entry.request, body: batches.body(for: request))
            }
            return mode
        }
        switch mode {
        case nil:
            return try await base.complete(request)
        case .independent:
            throw InferenceError(
                .invalidStructuredOutput, "deferred to the batch (\(entry.key.prefix(12))…)", model: identifier)
        case .firstMissPerUnit:
            throw InferenceError(.cacheMiss, "deferred to the batch (\(entry.key.prefix(12))…)", model: identifier)
        }
    }
}
