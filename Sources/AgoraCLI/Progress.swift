import Foundation
import Runs
import Synchronization

/// The progress display of `agora run` on stderr: redrawn in place on a terminal, a line every
/// `interval` seconds when piped. Shows units done/total, model calls, tokens, failures and ETA.
final class ProgressDisplay: Sendable {
    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var drewInPlace = false
        var finished = false
        var lastDrawn: RunMonitor.Counts?
    }

    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let inPlace: Bool
    private let interval: Duration
    private let state = Mutex(State())
    private let label: String

    init(label: String = "agora run", inPlace: Bool = Console.stderrIsTerminal, interval: Duration = .seconds(10)) {
        self.label = label
        self.inPlace = inPlace
        self.interval = inPlace ? .milliseconds(100) : interval
        self.start = ContinuousClock().now
    }

    /// Called on every counter change; draws when the last draw is old enough.
    func update(_ counts: RunMonitor.Counts) {
        let now = clock.now
        let due = state.withLock { s -> Bool in
            guard !s.finished else { return false }
            let done = counts.unitsFinished == counts.unitsTotal
            if let last = s.lastDraw, now - last < interval, !done { return false }
            s.lastDraw = now
            s.lastDrawn = counts
            if inPlace { s.drewInPlace = true }
            return true
        }
        if due { draw(counts, now: now) }
    }

    /// Draws the last line and ends the in-place line.
    /// Ends the display after a run that stopped with an error: nothing new is drawn.
    func abandon() {
        let drewInPlace = state.withLock { s -> Bool in
            defer { s.finished = true }
            return !s.finished && s.drewInPlace
        }
        if drewInPlace { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    func finish(_ counts: RunMonitor.Counts) {
        let (already, same) = state.withLock { s -> (Bool, Bool) in
            let was = s.finished
            s.finished = true
            return (was, s.lastDrawn == counts)
        }
        guard !already else { return }
        if !same { draw(counts, now: clock.now) }
        if inPlace { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func draw(_ c: RunMonitor.Counts, now: ContinuousClock.Instant) {
        let line = Self.line(c, elapsed: BenchClockSeconds.of(now - start), label: label)
        if inPlace {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// One progress line.
    static func line(_ c: RunMonitor.Counts, elapsed: Double, label: String) -> String {
        var parts = ["\(label): \(c.unitsFinished)/\(c.unitsTotal) units"]
        if c.unitsSkipped > 0 { parts.append("\(c.unitsSkipped) already done") }
        if c.unitsFailed > 0 { parts.append("\(c.unitsFailed) failed") }
        parts.append("\(c.calls) model calls" + (c.cachedCalls > 0 ? " (\(c.cachedCalls) cached)" : ""))
        parts.append("\(compact(c.tokens)) tokens")
        if c.itemFailures + c.failedCalls > 0 { parts.append("\(c.itemFailures + c.failedCalls) failures") }
        if let activity = c.activity, c.unitsFinished < c.unitsTotal { parts.append(activity) }
        if c.stalledCalls > 0 {
            parts.append("\(c.stalledCalls) waiting > 30s (longest \(duration(Double(c.longestWaitSeconds))))")
        }
        // Units done, plus how far the active unit is (its turns of the budget): the measured
        // rate so far gives the ETA, even before the first of a few long units finishes.
        let done = Double(c.unitsFinished) + (c.unitsFinished < c.unitsTotal ? c.activityFraction ?? 0 : 0)
        if done > 0, c.unitsFinished < c.unitsTotal {
            let eta = elapsed / done * (Double(c.unitsTotal) - done)
            parts.append("ETA \(duration(eta))")
        } else {
            parts.append("\(duration(elapsed)) elapsed")
        }
        return parts.joined(separator: " · ")
    }

    static func compact(_ n: Int) -> String {
        n >= 1_000_000
            ? String(format: "%.1fM", Double(n) / 1e6)
            : n >= 10_000 ? String(format: "%.1fk", Double(n) / 1e3) : String(n)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}

/// Seconds of a `Duration`.
enum BenchClockSeconds {
    static func of(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
