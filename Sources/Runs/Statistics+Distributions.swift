import Foundation

/// The distribution functions the tests of ``Statistics`` need: normal, Student's t, χ² and
/// noncentral χ², written from their series and continued fractions (no library).
extension Statistics {
    /// The standard normal distribution function Φ(x).
    public static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// The standard normal quantile Φ⁻¹(p) for 0 < p < 1 (bisection to machine precision).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a probability strictly between 0 and 1")
        var low = -40.0
        var high = 40.0
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if normalCDF(mid) < p { low = mid } else { high = mid }
            if high - low < 1e-15 { break }
        }
        return (low + high) / 2
    }

    /// The regularized lower incomplete gamma function P(a, x).
    public static func gammaP(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        if x < a + 1 {
            // The series Σ xⁿ / (a (a+1) … (a+n)).
            var term = 1 / a
            var sum = term
            var n = 1.0
            while n < 10_000 {
                term *= x / (a + n)
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
                n += 1
            }
            return min(1, sum * exp(-x + a * log(x) - lgamma(a)))
        }
        return max(0, 1 - gammaQContinuedFraction(a, x))
    }

    /// Q(a, x) = 1 − P(a, x) by Lentz's method on its continued fraction (for x ≥ a + 1).
    static func gammaQContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        var i = 1.0
        while i < 10_000 {
            let an = -i * (i - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
            i += 1
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }

    /// The upper tail P(χ²_df ≥ x).
    public static func chiSquareSurvival(_ x: Double, df: Double) -> Double {
        guard x > 0 else { return 1 }
        return x / 2 < df / 2 + 1 ? 1 - gammaP(df / 2, x / 2) : gammaQContinuedFraction(df / 2, x / 2)
    }

    /// The regularized incomplete beta function I_x(a, b).
    public static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logPowers - logBeta)
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(x, a, b) / a }
        return 1 - front * betaContinuedFraction(1 - x, b, a) / b
    }

    static func betaContinuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        var m = 1.0
        while m < 10_000 {
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
            m += 1
        }
        return h
    }

    /// Student's t distribution function with `df` (real, > 0) degrees of freedom.
    public static func tCDF(_ t: Double, df: Double) -> Double {
        guard df.isFinite else { return normalCDF(t) }
        let tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The two-sided p-value of `t` under Student's t with `df` degrees of freedom.
    public static func tTwoSided(_ t: Double, df: Double) -> Double {
        guard df.isFinite else { return erfc(abs(t) / 2.0.squareRoot()) }
        return min(1, incompleteBeta(df / (df + t * t), df / 2, 0.5))
    }

    /// Student's t quantile (bisection).
    public static func tQuantile(_ p: Double, df: Double) -> Double {
        precondition(p > 0 && p < 1, "a probability strictly between 0 and 1")
        var low = -1e4
        var high = 1e4
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if tCDF(mid, df: df) < p { low = mid } else { high = mid }
            if high - low < 1e-13 * max(1, abs(mid)) { break }
        }
        return (low + high) / 2
    }

    /// The noncentral χ² distribution function P(χ²_df(λ) ≤ x): the Poisson(λ/2) mixture of central
    /// χ²s, summed outwards from its largest term with the recurrence of P(a, y) in a.
    public static func noncentralChiSquareCDF(_ x: Double, df: Double, lambda: Double) -> Double {
        guard x > 0 else { return 0 }
        guard lambda > 0 else { return gammaP(df / 2, x / 2) }
        let half = lambda / 2
        let y = x / 2
        let mode = floor(half)
        func poisson(_ j: Double) -> Double { exp(-half + j * log(half) - lgamma(j + 1)) }
        let start = gammaP(df / 2 + mode, y)
        var total = poisson(mode) * start
        // Upwards: P(a+1, y) = P(a, y) − yᵃ e^{−y} / Γ(a+1).
        var p = start
        var j = mode
        while true {
            let a = df / 2 + j
            p -= exp(a * log(y) - y - lgamma(a + 1))
            j += 1
            let w = poisson(j)
            let term = w * max(0, p)
            total += term
            if (w < 1e-17 && j > half) || j - mode > 100_000 { break }
        }
        // Downwards: P(a−1, y) = P(a, y) + y^{a−1} e^{−y} / Γ(a).
        p = start
        j = mode
        while j > 0 {
            let a = df / 2 + j
            p += exp((a - 1) * log(y) - y - lgamma(a))
            j -= 1
            let w = poisson(j)
            total += w * min(1, p)
            if w < 1e-17 { break }
        }
        return min(1, max(0, total))
    }
}
