import Foundation

/// A least-squares fit with standard errors clustered by a grouping (respondents).
public struct ClusteredFit: Sendable, Hashable {
    /// The coefficients, in the order of the design's columns.
    public var coefficients: [Double]
    /// Their cluster-robust standard errors (CR1: G/(G−1) · (N−1)/(N−K)).
    public var standardErrors: [Double]
    /// The number of observations.
    public var observations: Int
    /// The number of clusters.
    public var clusters: Int

    /// Coefficient `i` with its 95% interval (normal quantile).
    public func estimate(_ i: Int) -> Estimate {
        let half = Statistics.z95 * standardErrors[i]
        return Estimate(coefficients[i], low: coefficients[i] - half, high: coefficients[i] + half)
    }

    /// The two-sided p-value of coefficient `i` (normal approximation).
    public func p(_ i: Int) -> Double {
        guard standardErrors[i] > 0 else { return coefficients[i] == 0 ? 1 : 0 }
        return erfc(abs(coefficients[i] / standardErrors[i]) / 2.0.squareRoot())
    }
}

extension Statistics {
    /// Ordinary least squares of `y` on the rows of `x` (each row one observation, the same width,
    /// an intercept column included by the caller), with the sandwich variance clustered by
    /// `cluster` (one id per row; ids need not be dense). `nil` when the design is singular or has no
    /// more rows than columns.
    public static func clusteredLeastSquares(x: [[Double]], y: [Double], cluster: [Int]) -> ClusteredFit? {
        guard let width = x.first?.count, x.count == y.count, x.count == cluster.count, x.count > width
        else { return nil }
        var xtx = [Double](repeating: 0, count: width * width)
        var xty = [Double](repeating: 0, count: width)
        for (row, target) in zip(x, y) {
            for i in 0..<width where row[i] != 0 {
                let ri = row[i]
                xty[i] += ri * target
                for j in i..<width { xtx[i * width + j] += ri * row[j] }
            }
        }
        for i in 0..<width { for j in 0..<i { xtx[i * width + j] = xtx[j * width + i] } }
        guard let inverse = invert(xtx, width) else { return nil }
        var beta = [Double](repeating: 0, count: width)
        for i in 0..<width { for j in 0..<width { beta[i] += inverse[i * width + j] * xty[j] } }
        // Score sums per cluster: Σ_{i∈g} x_i e_i, in order of first appearance.
        var slot: [Int: Int] = [:]
        var scores: [[Double]] = []
        for (index, row) in x.enumerated() {
            var fitted = 0.0
            for i in 0..<width { fitted += row[i] * beta[i] }
            let residual = y[index] - fitted
            let g: Int
            if let existing = slot[cluster[index]] {
                g = existing
            } else {
                g = scores.count
                slot[cluster[index]] = g
                scores.append([Double](repeating: 0, count: width))
            }
            for i in 0..<width where row[i] != 0 { scores[g][i] += row[i] * residual }
        }
        var meat = [Double](repeating: 0, count: width * width)
        for score in scores {
            for i in 0..<width where score[i] != 0 { for j in 0..<width { meat[i * width + j] += score[i] * score[j] } }
        }
        let n = Double(x.count)
        let k = Double(width)
        let groups = Double(scores.count)
        let adjustment = groups > 1 ? groups / (groups - 1) * (n - 1) / (n - k) : 1
        // V = A⁻¹ M A⁻¹; only the diagonal is needed.
        var left = [Double](repeating: 0, count: width * width)
        for i in 0..<width {
            for j in 0..<width {
                var s = 0.0
                for m in 0..<width { s += inverse[i * width + m] * meat[m * width + j] }
                left[i * width + j] = s
            }
        }
        var errors = [Double](repeating: 0, count: width)
        for i in 0..<width {
            var s = 0.0
            for m in 0..<width { s += left[i * width + m] * inverse[m * width + i] }
            errors[i] = (max(0, s) * adjustment).squareRoot()
        }
        return ClusteredFit(coefficients: beta, standardErrors: errors, observations: x.count, clusters: scores.count)
    }

    /// The inverse of a symmetric positive-definite `n`×`n` matrix (row-major) by Gauss–Jordan
    /// elimination with partial pivoting; `nil` when singular.
    static func invert(_ matrix: [Double], _ n: Int) -> [Double]? {
        var a = matrix
        var inverse = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inverse[i * n + i] = 1 }
        let scale = (0..<n).reduce(0.0) { max($0, abs(matrix[$1 * n + $1])) }
        for column in 0..<n {
            var pivot = column
            for r in column..<n where abs(a[r * n + column]) > abs(a[pivot * n + column]) { pivot = r }
            guard abs(a[pivot * n + column]) > 1e-12 * max(1, scale) else { return nil }
            if pivot != column {
                for j in 0..<n {
                    a.swapAt(pivot * n + j, column * n + j)
                    inverse.swapAt(pivot * n + j, column * n + j)
                }
            }
            let p = a[column * n + column]
            for j in 0..<n {
                a[column * n + j] /= p
                inverse[column * n + j] /= p
            }
            for r in 0..<n where r != column {
                let f = a[r * n + column]
                guard f != 0 else { continue }
                for j in 0..<n {
                    a[r * n + j] -= f * a[column * n + j]
                    inverse[r * n + j] -= f * inverse[column * n + j]
                }
            }
        }
        return inverse
    }

    /// The mean of `y` over the rows where `include` holds, with its standard error clustered by
    /// `cluster` (the marginal mean of a conjoint level).
    public static func clusteredMean(y: [Double], include: [Bool], cluster: [Int]) -> Estimate? {
        var total = 0.0
        var count = 0.0
        for i in y.indices where include[i] {
            total += y[i]
            count += 1
        }
        guard count > 1 else { return nil }
        let mean = total / count
        var slot: [Int: Int] = [:]
        var sums: [Double] = []
        for i in y.indices where include[i] {
            if let g = slot[cluster[i]] {
                sums[g] += y[i] - mean
            } else {
                slot[cluster[i]] = sums.count
                sums.append(y[i] - mean)
            }
        }
        let groups = Double(sums.count)
        guard groups > 1 else { return nil }
        let variance = sums.reduce(0) { $0 + $1 * $1 } / (count * count) * groups / (groups - 1)
        let half = z95 * variance.squareRoot()
        return Estimate(mean, low: mean - half, high: mean + half)
    }
}
