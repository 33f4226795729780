public import Foundation
public import Storage
import Synchronization

/// One model served by several OpenAI-compatible endpoints (vLLM or llama.cpp replicas): requests
/// go to the endpoint with the fewest requests outstanding, each endpoint keeps its own in-flight
/// limit, and an endpoint that fails repeatedly is taken out by a circuit breaker and probed back in.
///
/// The breaker of each endpoint is closed (in use), open (out for a back-off period after
/// ``Policy/failureThreshold`` failures in a row) or half-open (the back-off is over: one request
/// probes it; success closes it, failure opens it again for twice as long, up to
/// ``Policy/maxOpenFor``). A failure is a transport error, a timeout, a 5xx or a 429 (what
/// ``InferenceError/isEndpointUnusable`` calls unusable, `httpError` aside): the request is then
/// sent to another endpoint. When every endpoint is out, a request waits for the earliest to turn
/// half-open, up to ``Policy/maxWait``, rather than failing at once.
///
/// The fleet answers under one ``identifier`` (`fleet#MODEL`), so the response cache key of a
/// request does not depend on which endpoint answered it.
public final class FleetModel: LanguageModel {
    /// How the fleet spreads and retries requests.
    public struct Policy: Sendable, Hashable {
        /// Failures in a row that take an endpoint out.
        public var failureThreshold: Int
        /// The first back-off period of an endpoint taken out, in seconds.
        public var openFor: TimeInterval
        /// The longest back-off period (each failed probe doubles it up to this).
        public var maxOpenFor: TimeInterval
        /// Endpoints tried for one request before it fails.
        public var attempts: Int
        /// The longest one request waits, in all, for an endpoint to come back when every one is out.
        public var maxWait: TimeInterval

        /// Creates a policy.
        public init(
            failureThreshold: Int = 3, openFor: TimeInterval = 2, maxOpenFor: TimeInterval = 60, attempts: Int = 6,
            maxWait: TimeInterval = 300
        ) {
            self.failureThreshold = max(1, failureThreshold)
            self.openFor = max(0.001, openFor)
            self.maxOpenFor = max(self.openFor, maxOpenFor)
            self.attempts = max(1, attempts)
            self.maxWait = max(0, maxWait)
        }

        /// The default: out after 3 failures in a row, for 2 s doubling up to 60 s; 6 attempts a
        /// request; at most 5 minutes of waiting when every endpoint is out.
        public static let standard = Policy()
    }

    /// The state of one endpoint's circuit breaker.
    public enum BreakerState: String, Sendable, Hashable {
        /// In use.
        case closed
        /// Out until its back-off period ends.
        case open
        /// Back-off over: the next request probes it.
        case halfOpen = "half-open"
    }

    /// A change of one endpoint's breaker, in the order they happened.
    public struct Transition: Sendable, Hashable, CustomStringConvertible {
        /// The endpoint's position in the fleet.
        public var member: Int
        /// The state before.
        public var from: BreakerState
        /// The state after.
        public var to: BreakerState

        /// `#1 closed→open`.
        public var description: String { "#\(member) \(from.rawValue)→\(to.rawValue)" }
    }

    /// The endpoints, in the order given.
    public let members: [OpenAICompatibleModel]
    /// `fleet#MODEL`: the same whichever endpoint answers.
    public let identifier: String
    /// The smallest known window of the endpoints (a prompt must fit wherever it is sent).
    public let contextWindow: Int?
    /// How requests are spread and retried.
    public let policy: Policy

    private struct Member {
        var limit: Int
        var outstanding = 0
        var state = BreakerState.closed
        var failuresInARow = 0
        var openUntil: ContinuousClock.Instant?
        var openFor: TimeInterval
        var probing = false
        var served = 0
        var failed = 0
    }

    private struct State {
        var members: [Member]
        var transitions: [Transition] = []
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var cancelled: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>
    private let clock = ContinuousClock()

    /// The identifier of a fleet serving `model`.
    public static func identifier(model: String) -> String { "fleet#\(model)" }

    /// Creates a fleet of `members`, which serve the same model (the first one's name is used).
    public init(members: [OpenAICompatibleModel], policy: Policy = .standard) {
        precondition(!members.isEmpty, "a fleet needs at least one endpoint")
        self.members = members
        self.policy = policy
        self.identifier = Self.identifier(model: members[0].endpoint.model)
        self.contextWindow = members.compactMap(\.contextWindow).min()
        state = Mutex(
            State(members: members.map { Member(limit: $0.endpoint.limits.maxInFlight, openFor: policy.openFor) }))
        // Start structured output at the weakest form any endpoint needs, so no request is refused.
        let weakest = members.compactMap { $0.profile?.structuredMode }.max()
        if let weakest { StructuredOutputSupport.start(identifier, at: weakest) }
    }

    /// The requests in flight the whole fleet allows (the sum of the endpoints' limits).
    public var maxInFlight: Int { members.reduce(0) { $0 + $1.endpoint.limits.maxInFlight } }

    /// Every breaker change so far, in order.
    public var transitions: [Transition] { state.withLock { $0.transitions } }

    /// Each endpoint's breaker state now.
    public var breakerStates: [BreakerState] { state.withLock { $0.members.map(\.state) } }

    /// Requests answered by each endpoint.
    public var served: [Int] { state.withLock { $0.members.map(\.served) } }

    /// Failed attempts on each endpoint.
    public var failed: [Int] { state.withLock { $0.members.map(\.failed) } }

    /// The base URLs, without credentials, in order.
    public var endpoints: [String] { members.map(\.endpoint.displayURL) }

    /// Sends the request to the least busy endpoint in service, and to another one if it fails.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var tried: Set<Int> = []
        var last: InferenceError?
        var random = SystemRandomNumberGenerator()
        for attempt in 0..<policy.attempts {
            if attempt >= members.count, attempt > 0 {
                // Every endpoint failed this request once: back off before going round again.
                let retry = RetryPolicy.standard
                let delay = retry.backoff(retry: attempt - members.count, random: &random)
                do { try await Task.sleep(for: .seconds(delay)) } catch {
                    throw InferenceError(.cancelled, "the call was cancelled while waiting to retry", model: identifier)
                }
            }
            let index = try await acquire(avoiding: tried)
            do {
                let response = try await members[index].complete(request)
                release(index, outcome: .answered)
                return response
            } catch let error as InferenceError where Self.isEndpointFailure(error) {
                release(index, outcome: .failed)
                tried.insert(index)
                last = error
            } catch let error as InferenceError where error.code == .cancelled {
                release(index, outcome: .abandoned)
                throw error
            } catch is CancellationError {
                release(index, outcome: .abandoned)
                throw InferenceError(.cancelled, "the call was cancelled", model: identifier)
            } catch {
                // The endpoint answered (a 4xx, a refused format, an overlong prompt): it is healthy,
                // the request is not; no other endpoint would answer it differently.
                release(index, outcome: .answered)
                throw error
            }
        }
        throw InferenceError(
            .retriesExhausted,
            "every attempt on the fleet failed (\(policy.attempts) attempts over \(members.count) endpoints); last: \(last?.description ?? "none"). Check the endpoints, lower --concurrency, or retry later.",
            status: last?.status, model: identifier)
    }

    /// Whether an error counts against the endpoint that gave it (and the request goes elsewhere).
    static func isEndpointFailure(_ error: InferenceError) -> Bool {
        [.unreachable, .timeout, .retriesExhausted, .malformedResponse].contains(error.code)
    }

    private enum Outcome {
        case answered, failed, abandoned
    }

    /// What ``acquire(avoiding:)`` decided under the lock.
    private enum Decision {
        case use(Int)
        case waitForRelease(UInt64)
        case sleep(Duration)
    }

    /// Takes a slot on the endpoint to use: in service (closed, or half-open with no probe out),
    /// under its limit, fewest outstanding requests; endpoints in `avoiding` (which failed this
    /// request) only when no other one is free.
    private func acquire(avoiding: Set<Int>) async throws -> Int {
        let started = clock.now
        while true {
            let now = clock.now
            let decision = state.withLock { s -> Decision in
                for i in s.members.indices where s.members[i].state == .open {
                    if let until = s.members[i].openUntil, now >= until {
                        s.members[i].state = .halfOpen
                        s.members[i].probing = false
                        s.transitions.append(Transition(member: i, from: .open, to: .halfOpen))
                    }
                }
                var best: Int?
                for pass in 0..<2 {
                    for i in s.members.indices {
                        let m = s.members[i]
                        let usable =
                            m.outstanding < m.limit && (m.state == .closed || (m.state == .halfOpen && !m.probing))
                        guard usable, pass == 1 || !avoiding.contains(i) else { continue }
                        if let b = best, s.members[b].outstanding <= m.outstanding { continue }
                        best = i
                    }
                    if best != nil { break }
                }
                if let i = best {
                    s.members[i].outstanding += 1
                    if s.members[i].state == .halfOpen { s.members[i].probing = true }
                    return .use(i)
                }
                // A slot frees when a request in flight ends; otherwise wait for the earliest end of
                // a back-off.
                let busy = s.members.contains { $0.outstanding > 0 }
                if busy {
                    s.nextWaiter &+= 1
                    return .waitForRelease(s.nextWaiter)
                }
                let earliest = s.members.compactMap(\.openUntil).min() ?? now
                return .sleep(max(.milliseconds(1), earliest - now))
            }
            switch decision {
            case .use(let index):
                return index
            case .sleep(let duration):
                let waited = clock.now - started
                guard waited + duration <= .seconds(policy.maxWait) else {
                    throw InferenceError(
                        .unreachable,
                        "every endpoint of the fleet has been out for \(Int(policy.maxWait)) s (\(endpoints.joined(separator: ", "))); check the servers, then --resume",
                        model: identifier)
                }
                do { try await Task.sleep(for: duration) } catch {
                    throw InferenceError(.cancelled, "the call was cancelled", model: identifier)
                }
            case .waitForRelease(let id):
                try await waitForRelease(id)
            }
        }
    }

    /// Suspends until the next release (or cancellation).
    private func waitForRelease(_ id: UInt64) async throws {
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let cancelled = state.withLock { s -> Bool in
                        if s.cancelled.remove(id) != nil { return true }
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
                    s.cancelled.insert(id)
                    return nil
                }
                waiter?.resume(throwing: CancellationError())
            }
        } catch {
            state.withLock { _ = $0.cancelled.remove(id) }
            throw InferenceError(.cancelled, "the call was cancelled", model: identifier)
        }
    }

    /// Frees the slot, moves the breaker, and wakes every waiter to choose again.
    private func release(_ index: Int, outcome: Outcome) {
        let now = clock.now
        let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            var m = s.members[index]
            m.outstanding -= 1
            let wasProbe = m.state == .halfOpen && m.probing
            switch outcome {
            case .answered:
                m.served += 1
                m.failuresInARow = 0
                if wasProbe {
                    m.state = .closed
                    m.probing = false
                    m.openFor = policy.openFor
                    m.openUntil = nil
                    s.transitions.append(Transition(member: index, from: .halfOpen, to: .closed))
                }
            case .failed:
                m.failed += 1
                m.failuresInARow += 1
                if wasProbe {
                    m.openFor = min(policy.maxOpenFor, m.openFor * 2)
                    m.state = .open
                    m.probing = false
                    m.openUntil = now + .seconds(m.openFor)
                    s.transitions.append(Transition(member: index, from: .halfOpen, to: .open))
                } else if m.state == .closed, m.failuresInARow >= policy.failureThreshold {
                    m.state = .open
                    m.openUntil = now + .seconds(m.openFor)
                    s.transitions.append(Transition(member: index, from: .closed, to: .open))
                }
            case .abandoned:
                if wasProbe { m.probing = false }
            }
            s.members[index] = m
            let woken = s.waiters.map(\.continuation)
            s.waiters.removeAll()
            return woken
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The fleet for the manifest: each endpoint's profile, served and failed counts, and the
    /// breaker changes (URLs without credentials).
    public func json() -> JSONValue {
        let (served, failed, transitions) = state.withLock { s in
            (s.members.map(\.served), s.members.map(\.failed), s.transitions.count)
        }
        let list = members.enumerated().map { i, member -> JSONValue in
            var entry =
                member.profile?.json(model: member.identifier, endpoint: member.endpoint.displayURL).objectValue
                ?? JSONObject([("endpoint", .string(member.endpoint.displayURL))])
            entry["maxInFlight"] = .integer(Int64(member.endpoint.limits.maxInFlight))
            entry["served"] = .integer(Int64(served[i]))
            entry["failed"] = .integer(Int64(failed[i]))
            return .object(entry)
        }
        return .object(
            JSONObject([
                ("model", .string(identifier)), ("endpoint", .string(endpoints.joined(separator: ","))),
                ("contextWindow", contextWindow.map { .integer(Int64($0)) } ?? .null),
                ("breakerChanges", .integer(Int64(transitions))), ("fleet", .array(list)),
            ]))
    }
}
