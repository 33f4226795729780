public import Foundation

/// When and how long to wait before retrying a failed call: exponential backoff with full jitter,
/// honouring the server's `Retry-After`.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 = no retry).
    public var maxAttempts: Int
    /// The backoff unit: attempt n waits a uniform random time in [0, min(maxDelay, baseDelay · 2ⁿ)).
    public var baseDelay: TimeInterval
    /// The cap on one backoff wait.
    public var maxDelay: TimeInterval
    /// The longest `Retry-After` that is honoured; a longer one gives up at once instead.
    public var maxRetryAfter: TimeInterval

    /// Creates a policy.
    public init(
        maxAttempts: Int = 6, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 30,
        maxRetryAfter: TimeInterval = 120
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The default: 6 attempts, 0.5 s base, 30 s cap.
    public static let standard = RetryPolicy()
    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Whether an HTTP status is worth retrying: 408, 409, 429 and 5xx.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || (500...599).contains(status)
    }

    /// The full-jitter backoff before retry number `retry` (0-based), drawn with `random`.
    public func backoff(retry: Int, random: inout some RandomNumberGenerator) -> TimeInterval {
        let exponent = min(retry, 30)
        let cap = min(maxDelay, baseDelay * pow(2, Double(exponent)))
        guard cap > 0 else { return 0 }
        return Double.random(in: 0..<cap, using: &random)
    }

    /// Parses a `Retry-After` value: delta-seconds or an HTTP date (relative to `now`).
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE',' dd MMM yyyy HH':'mm':'ss 'GMT'"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
