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
    }

    private let state = Mutex(Counts())
    private let directory = Mutex<URL?>(nil)

    /// The run folder, once the engine has created or opened it (for messages after a failure).
    public var runDirectory: URL? { directory.withLock { $0 } }

    package func setRunDirectory(_ url: URL) { directory.withLock { $0 = url } }
    private let onChange: (@Sendable (Counts) -> Void)?

    /// Creates a monitor; `onChange` is called (on the calling task) after each update.
    public init(onChange: (@Sendable (Counts) -> Void)? = nil) {
        self.onChange = onChange
    }

    /// The current counts.
    public var counts: Counts { state.withLock { $0 } }

    package func update(_ body: (inout Counts) -> Void) {
        let snapshot = state.withLock { c in
            body(&c)
            return c
        }
        onChange?(snapshot)
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
