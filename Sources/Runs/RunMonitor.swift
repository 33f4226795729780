public import Foundation
import Synchronization

/// Live counters of a run, for the progress display (updated by the units as they go).
public final class RunMonitor: Sendable {
    /// A snapshot of the counters.
    public struct Counts: Sendable, Hashable {
        /// Units to run in this invocation.
        public var unitsTotal = 0
        /// Units finished (done or failed) in this invocation.
        public var unitsFinished = 0
        /// Units that failed as a whole.
        public var unitsFailed = 0
        /// Units skipped because an earlier invocation finished them.
        public var unitsSkipped = 0
        /// Model calls (cached or not).
        public var calls = 0
        /// Calls served from the cache.
        public var cachedCalls = 0
        /// Calls that failed.
        public var failedCalls = 0
        /// Prompt + completion tokens.
        public var tokens = 0
        /// Items or turns recorded as failed inside finished units.
        public var itemFailures = 0
        /// Model calls in flight for longer than ``RunMonitor/stallAfter`` when the snapshot was taken.
        public var stalledCalls = 0
        /// How long the oldest call in flight has waited, in whole seconds.
        public var longestWaitSeconds = 0
        /// What the most recently active unit is doing (`session-1: phase 2/3, turn 5/10, Alex`), for
        /// units that take minutes; `nil` until a unit reports.
        public var activity: String?
        /// How far along the most recently active unit is (0…1), when it says.
        public var activityFraction: Double?
    }

    /// How long a call may be in flight before the progress display calls it stalled.
    public static let stallAfter: Duration = .seconds(30)

    private let state = Mutex(Counts())
    private let inFlight = Mutex<(next: Int, started: [Int: ContinuousClock.Instant])>((0, [:]))
    private let directory = Mutex<URL?>(nil)

    /// The run folder, once the engine has created or opened it (for messages after a failure).
    public var runDirectory: URL? { directory.withLock { $0 } }

    package func setRunDirectory(_ url: URL) { directory.withLock { $0 = url } }
    private let onChange: (@Sendable (Counts) -> Void)?

    /// Creates a monitor; `onChange` is called (on the calling task) after each update.
    public init(onChange: (@Sendable (Counts) -> Void)? = nil) {
        self.onChange = onChange
    }

    /// The current counts (the stall figures measured now).
    public var counts: Counts { withWaits(state.withLock { $0 }) }

    /// A unit says what it is doing (shown on the progress line, never stored).
    public func note(_ activity: String, fraction: Double? = nil) {
        update {
            $0.activity = activity
            $0.activityFraction = fraction.map { min(max($0, 0), 1) }
        }
    }

    /// A call starts: returns its ticket for ``callEnded(_:)``.
    package func callStarted() -> Int {
        let now = ContinuousClock.now
        return inFlight.withLock { s in
            s.next += 1
            s.started[s.next] = now
            return s.next
        }
    }

    /// A call ended (answered, failed or cancelled).
    package func callEnded(_ ticket: Int) {
        _ = inFlight.withLock { $0.started.removeValue(forKey: ticket) }
    }

    /// `counts` with the stall figures of the calls in flight now (display only: never stored).
    private func withWaits(_ counts: Counts) -> Counts {
        let now = ContinuousClock.now
        let waits = inFlight.withLock { $0.started.values.map { now - $0 } }
        var c = counts
        c.stalledCalls = waits.filter { $0 > Self.stallAfter }.count
        c.longestWaitSeconds = Int(waits.max()?.components.seconds ?? 0)
        return c
    }

    package func update(_ body: (inout Counts) -> Void) {
        let snapshot = state.withLock { c in
            body(&c)
            return c
        }
        onChange?(withWaits(snapshot))
    }

    package func record(_ call: StoredModelCall) {
        update { c in
            c.calls += 1
            if call.cached { c.cachedCalls += 1 }
            if call.error != nil { c.failedCalls += 1 }
            c.tokens += call.promptTokens + call.completionTokens
        }
    }
}
