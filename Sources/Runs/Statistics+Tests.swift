import Foundation
import Storage

/// An estimate with its 95% interval.
public struct Estimate: Sendable, Hashable {
    /// The point estimate.
    public var value: Double
    /// The lower end of the 95% interval.
    public var low: Double
    /// The upper end of the 95% interval.
    public var high: Double

    /// Creates an estimate.
    public init(_ value: Double, low: Double, high: Double) {
        self.value = value
        self.low = low
        self.high = high
    }
}

/// A test statistic, its degrees of freedom (if any) and its two-sided p-value.
public struct TestOutcome: Sendable, Hashable {
    /// The statistic (χ², t, z, H…).
    public var statistic: Double
    /// Its degrees of freedom (`nil` for z and exact tests).
    public var df: Double?
    /// The p-value.
    public var p: Double

    /// Creates an outcome.
    public init(statistic: Double, df: Double?, p: Double) {
        self.statistic = statistic
        self.df = df
        self.p = p
    }
}

/// A t test of a difference of means (Welch's for two samples, or the paired test).
public struct WelchOutcome: Sendable, Hashable {
    /// The difference of means `mean(x) − mean(y)` with its 95% interval (t quantile at `df`).
    public var difference: Estimate
    /// t, the Welch–Satterthwaite degrees of freedom, and the two-sided p-value.
    public var test: TestOutcome
}

/// The Mann–Whitney U test of `x` against `y`.
public struct MannWhitneyOutcome: Sendable, Hashable {
    /// U of `x`: the number of pairs with x > y, plus half the ties.
    public var u: Double
    /// The normal approximation with tie and continuity corrections (statistic = z).
    public var test: TestOutcome
}

extension Statistics {
    // MARK: Proportions

    /// The difference of proportions `k1/n1 − k2/n2` with Newcombe's hybrid score interval
    /// (method 10 of Newcombe 1998, built from the two Wilson intervals).
    public static func newcombe(_ k1: Int, _ n1: Int, _ k2: Int, _ n2: Int) -> Estimate? {
        guard n1 > 0, n2 > 0 else { return nil }
        let p1 = Double(k1) / Double(n1)
        let p2 = Double(k2) / Double(n2)
        let (l1, u1) = wilson(k1, n1)
        let (l2, u2) = wilson(k2, n2)
        let d = p1 - p2
        let low = d - ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot()
        let high = d + ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot()
        return Estimate(d, low: low, high: high)
    }

    /// Pearson's χ² test of independence of a table of counts (rows × columns, no continuity
    /// correction); rows and columns that are all zero are left out. `nil` with fewer than two
    /// non-empty rows or columns.
    public static func chiSquare(_ table: [[Int]]) -> TestOutcome? {
        let rows = table.filter { $0.reduce(0, +) > 0 }
        guard rows.count >= 2, let width = rows.first?.count else { return nil }
        let columns = (0..<width).filter { c in rows.contains { $0[c] > 0 } }
        guard columns.count >= 2 else { return nil }
        let rowTotals = rows.map { row in columns.reduce(0.0) { $0 + Double(row[$1]) } }
        let columnTotals = columns.map { c in rows.reduce(0.0) { $0 + Double($1[c]) } }
        let total = rowTotals.reduce(0, +)
        var chi2 = 0.0
        for (r, row) in rows.enumerated() {
            for (j, c) in columns.enumerated() {
                let expected = rowTotals[r] * columnTotals[j] / total
                let diff = Double(row[c]) - expected
                chi2 += diff * diff / expected
            }
        }
        let df = Double((rows.count - 1) * (columns.count - 1))
        return TestOutcome(statistic: chi2, df: df, p: chiSquareSurvival(chi2, df: df))
    }

    /// The smallest expected count of a table (the rule of five for χ²).
    public static func smallestExpected(_ table: [[Int]]) -> Double {
        let rowTotals = table.map { Double($0.reduce(0, +)) }
        let width = table.first?.count ?? 0
        let columnTotals = (0..<width).map { c in table.reduce(0.0) { $0 + Double($1[c]) } }
        let total = rowTotals.reduce(0, +)
        guard total > 0 else { return 0 }
        var smallest = Double.infinity
        for r in rowTotals where r > 0 { for c in columnTotals where c > 0 { smallest = min(smallest, r * c / total) } }
        return smallest
    }

    /// Fisher's exact test of a 2×2 table `[[a, b], [c, d]]`: the two-sided p-value, the sum of the
    /// probabilities of every table with the same margins no more likely than the observed one.
    public static func fisherExact(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
        let row1 = a + b
        let row2 = c + d
        let col1 = a + c
        let n = row1 + row2
        guard n > 0 else { return 1 }
        func logChoose(_ n: Int, _ k: Int) -> Double {
            lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
        }
        let denominator = logChoose(n, col1)
        func probability(_ x: Int) -> Double {
            exp(logChoose(row1, x) + logChoose(row2, col1 - x) - denominator)
        }
        let observed = probability(a)
        var p = 0.0
        for x in max(0, col1 - row2)...min(row1, col1) {
            let px = probability(x)
            if px <= observed * (1 + 1e-7) { p += px }
        }
        return min(1, p)
    }

    /// Cramér's V of a table, with a 95% interval by inverting the noncentral χ² distribution
    /// (V = √(λ / (n (min(r, c) − 1))) at the noncentrality λ whose 97.5th and 2.5th percentiles are
    /// the observed χ²).
    public static func cramersV(_ table: [[Int]]) -> Estimate? {
        guard let test = chiSquare(table), let df = test.df else { return nil }
        let rows = table.filter { $0.reduce(0, +) > 0 }
        let width = rows.first?.count ?? 0
        let columns = (0..<width).filter { c in rows.contains { $0[c] > 0 } }.count
        let n = Double(rows.reduce(0) { $0 + $1.reduce(0, +) })
        let scale = n * Double(min(rows.count, columns) - 1)
        let chi2 = test.statistic
        func lambda(solving target: Double) -> Double {
            // CDF(χ²; df, λ) falls as λ grows; find where it equals `target`.
            if noncentralChiSquareCDF(chi2, df: df, lambda: 0) <= target { return 0 }
            var low = 0.0
            var high = max(10, chi2 * 2 + 10)
            while noncentralChiSquareCDF(chi2, df: df, lambda: high) > target { high *= 2 }
            for _ in 0..<60 {
                let mid = (low + high) / 2
                if noncentralChiSquareCDF(chi2, df: df, lambda: mid) > target { low = mid } else { high = mid }
                if high - low < 1e-9 * max(1, mid) { break }
            }
            return (low + high) / 2
        }
        let v = (chi2 / scale).squareRoot()
        let low = (lambda(solving: 0.975) / scale).squareRoot()
        let high = min(1, (lambda(solving: 0.025) / scale).squareRoot())
        return Estimate(v, low: low, high: high)
    }

    // MARK: Means and ranks

    /// Welch's t test of `mean(x) − mean(y)` (each sample needs two values and some variance).
    public static func welch(_ x: [Double], _ y: [Double]) -> WelchOutcome? {
        guard x.count >= 2, y.count >= 2 else { return nil }
        let (m1, v1) = meanVariance(x)
        let (m2, v2) = meanVariance(y)
        let a = v1 / Double(x.count)
        let b = v2 / Double(y.count)
        let se = (a + b).squareRoot()
        guard se > 0 else { return nil }
        let df = (a + b) * (a + b) / (a * a / Double(x.count - 1) + b * b / Double(y.count - 1))
        let t = (m1 - m2) / se
        let q = tQuantile(0.975, df: df)
        return WelchOutcome(
            difference: Estimate(m1 - m2, low: m1 - m2 - q * se, high: m1 - m2 + q * se),
            test: TestOutcome(statistic: t, df: df, p: tTwoSided(t, df: df)))
    }

    /// The paired t test of `x − y` (the same respondents, in the same order): the mean of the
    /// differences with its t interval, t on n − 1 degrees of freedom and the two-sided p-value.
    public static func pairedT(_ x: [Double], _ y: [Double]) -> WelchOutcome? {
        guard x.count == y.count, x.count >= 2 else { return nil }
        let differences = zip(x, y).map { $0 - $1 }
        let (mean, variance) = meanVariance(differences)
        let se = (variance / Double(differences.count)).squareRoot()
        guard se > 0 else { return nil }
        let df = Double(differences.count - 1)
        let t = mean / se
        let q = tQuantile(0.975, df: df)
        return WelchOutcome(
            difference: Estimate(mean, low: mean - q * se, high: mean + q * se),
            test: TestOutcome(statistic: t, df: df, p: tTwoSided(t, df: df)))
    }

    /// The mean and the sample variance (n − 1).
    public static func meanVariance(_ xs: [Double]) -> (mean: Double, variance: Double) {
        let n = Double(xs.count)
        guard n > 0 else { return (0, 0) }
        let mean = xs.reduce(0, +) / n
        guard n > 1 else { return (mean, 0) }
        return (mean, xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1))
    }

    /// Distinct values of two samples with their counts in each, in ascending order.
    static func groupedCounts(_ x: [Double], _ y: [Double]) -> [(value: Double, x: Int, y: Int)] {
        let sx = x.sorted()
        let sy = y.sorted()
        var out: [(value: Double, x: Int, y: Int)] = []
        var i = 0
        var j = 0
        while i < sx.count || j < sy.count {
            let v = j >= sy.count || (i < sx.count && sx[i] <= sy[j]) ? sx[i] : sy[j]
            var cx = 0
            var cy = 0
            while i < sx.count, sx[i] == v {
                cx += 1
                i += 1
            }
            while j < sy.count, sy[j] == v {
                cy += 1
                j += 1
            }
            out.append((v, cx, cy))
        }
        return out
    }

    /// The Mann–Whitney U test of `x` against `y`: midranks for ties, the tie-corrected variance and
    /// a continuity correction of ½ (the normal approximation).
    public static func mannWhitney(_ x: [Double], _ y: [Double]) -> MannWhitneyOutcome? {
        guard !x.isEmpty, !y.isEmpty else { return nil }
        let groups = groupedCounts(x, y)
        let n1 = Double(x.count)
        let n2 = Double(y.count)
        let n = n1 + n2
        var below = 0.0
        var rankSum = 0.0
        var ties = 0.0
        for g in groups {
            let t = Double(g.x + g.y)
            let midrank = below + (t + 1) / 2
            rankSum += Double(g.x) * midrank
            ties += t * t * t - t
            below += t
        }
        let u = rankSum - n1 * (n1 + 1) / 2
        let mu = n1 * n2 / 2
        let variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
        guard variance > 0 else {
            return MannWhitneyOutcome(u: u, test: TestOutcome(statistic: 0, df: nil, p: 1))
        }
        let deviation = u - mu
        let corrected = deviation == 0 ? 0 : deviation - 0.5 * (deviation > 0 ? 1 : -1)
        let z = corrected / variance.squareRoot()
        return MannWhitneyOutcome(
            u: u, test: TestOutcome(statistic: z, df: nil, p: min(1, erfc(abs(z) / 2.0.squareRoot()))))
    }

    /// Cohen's d of `x − y` (pooled standard deviation) with the large-sample 95% interval
    /// d ± z √((n1 + n2)/(n1 n2) + d² / (2 (n1 + n2))).
    public static func cohensD(_ x: [Double], _ y: [Double]) -> Estimate? {
        guard x.count >= 2, y.count >= 2 else { return nil }
        let (m1, v1) = meanVariance(x)
        let (m2, v2) = meanVariance(y)
        let n1 = Double(x.count)
        let n2 = Double(y.count)
        let pooled = (((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)).squareRoot()
        guard pooled > 0 else { return nil }
        let d = (m1 - m2) / pooled
        let se = ((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2))).squareRoot()
        return Estimate(d, low: d - z95 * se, high: d + z95 * se)
    }

    /// Cliff's delta P(x > y) − P(x < y) with Cliff's (1993) consistent variance and his asymmetric
    /// 95% interval.
    public static func cliffsDelta(_ x: [Double], _ y: [Double]) -> Estimate? {
        guard x.count >= 2, y.count >= 2 else { return nil }
        let groups = groupedCounts(x, y)
        let n1 = Double(x.count)
        let n2 = Double(y.count)
        // For each distinct value: how many of the other sample lie below and above it.
        var yBelow = 0.0
        var xBelow = 0.0
        var rowDominance: [(count: Int, d: Double)] = []  // d_i. for the x values
        var columnDominance: [(count: Int, d: Double)] = []  // d_.j for the y values
        var sum = 0.0
        var ties = 0.0
        for g in groups {
            let yAbove = n2 - yBelow - Double(g.y)
            let xAbove = n1 - xBelow - Double(g.x)
            if g.x > 0 {
                let d = (yBelow - yAbove) / n2
                rowDominance.append((g.x, d))
                sum += Double(g.x) * (yBelow - yAbove)
            }
            if g.y > 0 { columnDominance.append((g.y, (xAbove - xBelow) / n1)) }
            ties += Double(g.x) * Double(g.y)
            yBelow += Double(g.y)
            xBelow += Double(g.x)
        }
        let delta = sum / (n1 * n2)
        let si = rowDominance.reduce(0) { $0 + Double($1.count) * ($1.d - delta) * ($1.d - delta) } / (n1 - 1)
        let sj = columnDominance.reduce(0) { $0 + Double($1.count) * ($1.d - delta) * ($1.d - delta) } / (n2 - 1)
        // Σ (d_ij − δ)² = Σ d_ij² − n1 n2 δ², and d_ij² is 1 except for ties.
        let sij = (n1 * n2 - ties - n1 * n2 * delta * delta) / ((n1 - 1) * (n2 - 1))
        let variance = max(0, ((n2 - 1) * si + (n1 - 1) * sj + sij) / (n1 * n2))
        let s = variance.squareRoot()
        let z = z95
        let oneMinus = 1 - delta * delta
        let root = (oneMinus * oneMinus + z * z * variance).squareRoot()
        let denominator = oneMinus + z * z * variance
        guard denominator > 0 else { return Estimate(delta, low: delta, high: delta) }
        let low = (delta - delta * delta * delta - z * s * root) / denominator
        let high = (delta - delta * delta * delta + z * s * root) / denominator
        return Estimate(delta, low: max(-1, low), high: min(1, high))
    }

    /// The Kruskal–Wallis H test of k samples (tie-corrected), χ² with k − 1 degrees of freedom.
    public static func kruskalWallis(_ samples: [[Double]]) -> TestOutcome? {
        let groups = samples.filter { !$0.isEmpty }
        guard groups.count >= 2 else { return nil }
        var all: [(value: Double, group: Int)] = []
        for (g, sample) in groups.enumerated() { for v in sample { all.append((v, g)) } }
        all.sort { $0.value < $1.value || ($0.value == $1.value && $0.group < $1.group) }
        let n = Double(all.count)
        var rankSums = [Double](repeating: 0, count: groups.count)
        var ties = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j < all.count, all[j].value == all[i].value { j += 1 }
            let midrank = Double(i + j + 1) / 2
            for k in i..<j { rankSums[all[k].group] += midrank }
            let t = Double(j - i)
            ties += t * t * t - t
            i = j
        }
        var h = 0.0
        for (g, sample) in groups.enumerated() { h += rankSums[g] * rankSums[g] / Double(sample.count) }
        h = 12 / (n * (n + 1)) * h - 3 * (n + 1)
        let correction = 1 - ties / (n * n * n - n)
        guard correction > 0 else { return TestOutcome(statistic: 0, df: Double(groups.count - 1), p: 1) }
        h /= correction
        let df = Double(groups.count - 1)
        return TestOutcome(statistic: h, df: df, p: chiSquareSurvival(h, df: df))
    }

    // MARK: Several tests, power, small samples

    /// Holm's step-down adjustment of p-values, returned in the given order.
    public static func holm(_ ps: [Double]) -> [Double] {
        let order = ps.indices.sorted { ps[$0] < ps[$1] || (ps[$0] == ps[$1] && $0 < $1) }
        var adjusted = [Double](repeating: 1, count: ps.count)
        var running = 0.0
        for (rank, index) in order.enumerated() {
            running = max(running, min(1, Double(ps.count - rank) * ps[index]))
            adjusted[index] = running
        }
        return adjusted
    }

    /// The minimum detectable difference between two arms of sizes `n1`, `n2` (two-sided α = 0.05,
    /// power 0.8): (z₀.₉₇₅ + z₀.₈) · sd · √(1/n1 + 1/n2). For a share, sd = √(p (1 − p)).
    public static func minimumDetectableEffect(sd: Double, n1: Int, n2: Int, alpha: Double = 0.05, power: Double = 0.8)
        -> Double?
    {
        guard n1 > 0, n2 > 0 else { return nil }
        let multiplier = normalQuantile(1 - alpha / 2) + normalQuantile(power)
        return multiplier * sd * (1 / Double(n1) + 1 / Double(n2)).squareRoot()
    }

    /// The smallest arm a comparison trusts: below it the analysis warns that intervals are wide and
    /// tests have little power.
    public static let smallArm = 30

    /// A warning when an arm is too small for the comparison, or `nil`.
    public static func smallSampleWarning(arms: [(name: String, n: Int)]) -> String? {
        let small = arms.filter { $0.n < smallArm }
        guard !small.isEmpty else { return nil }
        let list = small.map { "\($0.name) (n = \($0.n))" }.joined(separator: ", ")
        return "small sample: \(list) below \(smallArm) respondents per arm; intervals are wide and only large effects "
            + "can be detected — raise --limit or the population size"
    }

    // MARK: pass^k

    /// pass^k of one task: C(c, k) / C(n, k).
    public static func passHat(k: Int, successes c: Int, trials n: Int) -> Double {
        guard n >= k, k > 0, c >= k else { return 0 }
        var value = 1.0
        for i in 0..<k { value *= Double(c - i) / Double(n - i) }
        return value
    }

    /// The mean pass^k over tasks of arm B minus arm A, with a seeded paired percentile bootstrap
    /// over tasks (both arms ran the same tasks, in the same order); the draws come from
    /// `RandomStream(seed: seed)`.
    public static func bootstrapPassHatDifference(
        k: Int, a: [(successes: Int, trials: Int)], b: [(successes: Int, trials: Int)], seed: UInt64,
        draws: Int = 2000
    ) -> Estimate? {
        guard !a.isEmpty, a.count == b.count else { return nil }
        let pa = a.map { passHat(k: k, successes: $0.successes, trials: $0.trials) }
        let pb = b.map { passHat(k: k, successes: $0.successes, trials: $0.trials) }
        let count = pa.count
        let observed = (pb.reduce(0, +) - pa.reduce(0, +)) / Double(count)
        var stream = RandomStream(seed: seed)
        var differences: [Double] = []
        differences.reserveCapacity(draws)
        for _ in 0..<draws {
            var total = 0.0
            for _ in 0..<count {
                let i = Int(stream.nextInt(below: UInt64(count)))
                total += pb[i] - pa[i]
            }
            differences.append(total / Double(count))
        }
        differences.sort()
        func percentile(_ q: Double) -> Double {
            let position = q * Double(draws - 1)
            let lower = Int(position.rounded(.down))
            let upper = min(draws - 1, lower + 1)
            let fraction = position - Double(lower)
            return differences[lower] * (1 - fraction) + differences[upper] * fraction
        }
        return Estimate(observed, low: percentile(0.025), high: percentile(0.975))
    }
}
