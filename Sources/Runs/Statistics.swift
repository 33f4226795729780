import Foundation

/// Small, deterministic statistics for reports.
public enum Statistics {
    public static let z95 = 1.959963984540054

    /// The Wilson score interval (95%) of a proportion `k / n`; `(0, 0)` when `n == 0`.
    public static func wilson(_ k: Int, _ n: Int) -> (Double, Double) {
        guard n > 0 else { return (0, 0) }
        let p = Double(k) / Double(n)
        let z2 = z95 * z95
        let nd = Double(n)
        let centre = (p + z2 / (2 * nd)) / (1 + z2 / nd)
        let half = z95 * (p * (1 - p) / nd + z2 / (4 * nd * nd)).squareRoot() / (1 + z2 / nd)
        return (max(0, centre - half), min(1, centre + half))
    }

    /// Mean, sample standard deviation, and the normal-approximation 95% interval of the mean.
    public static func meanInterval(_ xs: [Double]) -> (mean: Double, sd: Double, low: Double, high: Double)? {
        guard !xs.isEmpty else { return nil }
        let n = Double(xs.count)
        let mean = xs.reduce(0, +) / n
        let sd = xs.count > 1 ? (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot() : 0
        let half = z95 * sd / n.squareRoot()
        return (mean, sd, mean - half, mean + half)
    }

    /// The median (average of the two middle values for an even count).
    public static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// `x` rounded to 6 decimals (stable, readable JSON).
    public static func round6(_ x: Double) -> Double {
        (x * 1e6).rounded() / 1e6
    }
}
