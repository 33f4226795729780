import Foundation
public import Storage

/// The distribution metrics of spec §F.3 on one question's shares: pure functions, no weights, no
/// resampling (the table pass computes the shares).
public enum FidelityMetrics {
    /// The figures comparing human shares H with simulated shares S over K options.
    public struct Comparison: Sendable, Hashable {
        /// ½ Σ|H − S|.
        public var tvd: Double
        /// 100 · (1 − TVD(H,S) / TVD(H,U)); NaN when H is uniform.
        public var simbench: Double
        /// 1 − W1(H,S)/(K − 1) for ordinal questions; NaN for nominal ones.
        public var ordinalSimilarity: Double
    }

    /// Total variation distance between two share vectors (the first `k` entries).
    public static func tvd(_ h: [Double], _ s: [Double], k: Int? = nil) -> Double {
        let k = k ?? h.count
        var sum = 0.0
        for i in 0..<k { sum += abs(h[i] - s[i]) }
        return sum / 2
    }

    /// The 1-D Wasserstein distance between two share vectors over positions 0…K−1: the sum of the
    /// absolute differences of their CDFs.
    public static func wasserstein(_ h: [Double], _ s: [Double], k: Int? = nil) -> Double {
        let k = k ?? h.count
        var ch = 0.0
        var cs = 0.0
        var sum = 0.0
        for i in 0..<(k - 1) {
            ch += h[i]
            cs += s[i]
            sum += abs(ch - cs)
        }
        return sum
    }

    /// TVD, SimBench score and ordinal similarity of `simulated` against `human`.
    public static func compare(human h: [Double], simulated s: [Double], k: Int, ordinal: Bool) -> Comparison {
        let distance = tvd(h, s, k: k)
        var toUniform = 0.0
        for i in 0..<k { toUniform += abs(h[i] - 1 / Double(k)) }
        toUniform /= 2
        let score = toUniform < 1e-12 ? Double.nan : 100 * (1 - distance / toUniform)
        let similarity = ordinal && k > 1 ? 1 - wasserstein(h, s, k: k) / Double(k - 1) : Double.nan
        return Comparison(tvd: distance, simbench: score, ordinalSimilarity: similarity)
    }

    /// The expected |position difference|/(K − 1) between position `i` and a uniform guess.
    public static func uniformOrdinalError(_ i: Int, _ k: Int) -> Double {
        guard k > 1 else { return 0 }
        var sum = 0
        for j in 0..<k { sum += abs(i - j) }
        return Double(sum) / Double(k) / Double(k - 1)
    }

    /// Cramér's V of a weighted contingency table (`rows × columns`, row-major); rows and columns
    /// with no weight are left out. NaN when the table has no weight or fewer than 2 non-empty rows
    /// or columns.
    public static func cramersV(_ table: [Double], rows: Int, columns: Int) -> Double {
        var rowSums = [Double](repeating: 0, count: rows)
        var columnSums = [Double](repeating: 0, count: columns)
        var total = 0.0
        for i in 0..<rows {
            for j in 0..<columns {
                let x = table[i * columns + j]
                rowSums[i] += x
                columnSums[j] += x
                total += x
            }
        }
        let r = rowSums.filter { $0 > 0 }.count
        let c = columnSums.filter { $0 > 0 }.count
        guard total > 0, min(r, c) >= 2 else { return .nan }
        var chi2 = 0.0
        for i in 0..<rows where rowSums[i] > 0 {
            for j in 0..<columns where columnSums[j] > 0 {
                let expected = rowSums[i] * columnSums[j] / total
                let d = table[i * columns + j] - expected
                chi2 += d * d / expected
            }
        }
        return (chi2 / (total * Double(min(r, c) - 1))).squareRoot()
    }

    /// Pearson's correlation of two equally long lists (NaN with fewer than 2 pairs or no spread).
    public static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        guard x.count >= 2, x.count == y.count else { return .nan }
        let mx = x.reduce(0, +) / n
        let my = y.reduce(0, +) / n
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        guard sxx > 0, syy > 0 else { return .nan }
        return sxy / (sxx * syy).squareRoot()
    }

    /// The q-quantile (0…1) of sorted values by linear interpolation between order statistics.
    public static func quantile(sorted values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let position = q * Double(values.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, values.count - 1)
        let fraction = position - Double(low)
        return values[low] + (values[high] - values[low]) * fraction
    }
}

/// A figure with its 95% interval and its n; `value` is `nil` when the figure is undefined (n = 0,
/// uniform H for the SimBench score…).
public struct FigureEstimate: Sendable, Hashable {
    /// The point estimate.
    public var value: Double?
    /// The 2.5% bootstrap quantile.
    public var low: Double?
    /// The 97.5% bootstrap quantile.
    public var high: Double?
    /// How many respondents the figure is computed over.
    public var n: Int

    /// Creates an estimate.
    public init(value: Double?, low: Double? = nil, high: Double? = nil, n: Int) {
        self.value = value
        self.low = low
        self.high = high
        self.n = n
    }

    /// `{"value", "low", "high", "n"}` rounded to 6 decimals (nulls kept).
    public var json: JSONValue {
        [
            "value": FidelityJSON.number(value), "low": FidelityJSON.number(low), "high": FidelityJSON.number(high),
            "n": .integer(Int64(n)),
        ]
    }
}

/// Number formatting shared by the outputs.
enum FidelityJSON {
    /// A finite number rounded to 6 decimals, else `null`.
    static func number(_ x: Double?) -> JSONValue {
        guard let x, x.isFinite else { return .null }
        return .number((x * 1e6).rounded() / 1e6)
    }

    /// `x` or nil when NaN.
    static func defined(_ x: Double) -> Double? { x.isNaN ? nil : x }
}
