import Synchronization

/// Bounds the calls to one endpoint: requests in flight, and optionally requests and tokens per
/// minute (sliding 60-second windows).
///
/// Waiters are served first come, first served; a slot freed by `release()` is handed straight to
/// the first waiter. A cancelled waiter leaves the queue at once and throws `CancellationError`.
/// State sits in a `Mutex` (short synchronous sections, never held across `await`).
public final class EndpointLimiter: Sendable {
    /// The bounds.
    public struct Limits: Sendable, Hashable {
        /// Requests in flight at once.
        public var maxInFlight: Int
        /// Requests started per minute, if bounded.
        public var requestsPerMinute: Int?
        /// Tokens (prompt estimate + completion bound) per minute, if bounded.
        public var tokensPerMinute: Int?

        /// Creates limits.
        public init(maxInFlight: Int, requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
            self.maxInFlight = max(1, maxInFlight)
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
        }
    }

    private struct State {
        var inFlight = 0
        var peak = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var cancelledBeforeQueued: Set<UInt64> = []
        var nextWaiterID: UInt64 = 0
        var recentStarts: [(time: ContinuousClock.Instant, tokens: Int)] = []
    }

    /// The bounds this limiter enforces.
    public let limits: Limits
    private let state = Mutex(State())
    private let clock = ContinuousClock()

    /// Creates a limiter.
    public init(limits: Limits) {
        self.limits = limits
    }

    /// The most calls that were ever in flight at once.
    public var peakInFlight: Int { state.withLock { $0.peak } }
    /// The calls in flight now.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Runs `body` once a slot is free and the per-minute budgets allow, then frees the slot.
    public func run<T: Sendable>(estimatedTokens: Int = 0, _ body: () async throws -> T) async throws -> T {
        try await acquire(estimatedTokens: estimatedTokens)
        defer { release() }
        return try await body()
    }

    /// Takes a slot, waiting as needed. Pair every successful call with `release()`.
    public func acquire(estimatedTokens: Int = 0) async throws {
        let ticket: UInt64? = state.withLock { s in
            if s.inFlight < limits.maxInFlight && s.waiters.isEmpty {
                s.inFlight += 1
                s.peak = max(s.peak, s.inFlight)
                return nil
            }
            s.nextWaiterID &+= 1
            return s.nextWaiterID
        }
        if let id = ticket {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let cancelled = state.withLock { s -> Bool in
                        if s.cancelledBeforeQueued.remove(id) != nil { return true }
                        s.waiters.append((id, continuation))
                        return false
                    }
                    if cancelled { continuation.resume(throwing: CancellationError()) }
                }
            } onCancel: {
                let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                    if let index = s.waiters.firstIndex(where: { $0.id == id }) {
                        return s.waiters.remove(at: index).continuation
                    }
                    s.cancelledBeforeQueued.insert(id)
                    return nil
                }
                waiter?.resume(throwing: CancellationError())
            }
            // The slot was handed over by `release()`; `inFlight` already counts it.
            state.withLock { s in
                s.cancelledBeforeQueued.remove(id)
                s.peak = max(s.peak, s.inFlight)
            }
        }
        do {
            try await waitForMinuteBudget(tokens: estimatedTokens)
        } catch {
            release()
            throw error
        }
    }

    /// Frees a slot taken by `acquire`.
    public func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if s.waiters.isEmpty {
                s.inFlight -= 1
                return nil
            }
            return s.waiters.removeFirst().continuation
        }
        next?.resume()
    }

    private func waitForMinuteBudget(tokens: Int) async throws {
        guard limits.requestsPerMinute != nil || limits.tokensPerMinute != nil else { return }
        while true {
            let now = clock.now
            let wait = state.withLock { s -> Duration in
                s.recentStarts.removeAll { now - $0.time >= .seconds(60) }
                var wait: Duration = .zero
                if let rpm = limits.requestsPerMinute, s.recentStarts.count >= max(1, rpm),
                    let first = s.recentStarts.first
                {
                    wait = max(wait, .seconds(60) - (now - first.time))
                }
                if let tpm = limits.tokensPerMinute {
                    var used = s.recentStarts.reduce(0) { $0 + $1.tokens }
                    var index = 0
                    // Wait until enough old starts leave the window for these tokens to fit; a
                    // request larger than the whole budget runs alone in its window.
                    while used + tokens > tpm, index < s.recentStarts.count {
                        wait = max(wait, .seconds(60) - (now - s.recentStarts[index].time))
                        used -= s.recentStarts[index].tokens
                        index += 1
                    }
                }
                if wait <= .zero { s.recentStarts.append((now, tokens)) }
                return wait
            }
            if wait <= .zero { return }
            try await Task.sleep(for: wait)
        }
    }
}
