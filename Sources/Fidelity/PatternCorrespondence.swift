import Foundation
import Storage

/// Argyle et al.'s pattern correspondence: Cramér's V of every pair of scored questions in the
/// human and in the simulated answers, their mean absolute difference and their correlation.
public struct PatternCorrespondence: Sendable {
    /// One question pair.
    public struct Pair: Sendable, Hashable {
        /// Question positions in the table.
        public var a: Int
        /// The second question.
        public var b: Int
        /// V in the human answers (NaN: undefined).
        public var human: Double
        /// V in the simulated answers.
        public var simulated: Double
    }

    /// Every pair, in (a, b) order.
    public var pairs: [Pair]
    /// Mean |V_human − V_simulated| over pairs where both are defined.
    public var meanAbsoluteDifference: FigureEstimate
    /// Correlation of the two lists of V.
    public var correlation: FigureEstimate

    /// V of every pair of `table` for respondents counted `times[r]` times (human and simulated).
    ///
    /// The drawn respondents' answers are first copied into one contiguous column per question, so
    /// each pair reads two short columns instead of striding through the whole table.
    static func values(_ table: FidelityTable, times: [Int32], scratch: inout [Double]) -> ([Double], [Double]) {
        let q = table.questionCount
        guard case .answers(let sim) = table.simulated else { return ([], []) }
        var weight: [Double] = []
        var active: [Int] = []
        for r in 0..<table.respondentCount where times[r] > 0 {
            active.append(r)
            weight.append(Double(times[r]) * table.weights[r])
        }
        let m = active.count
        var humanColumns = [Int32](repeating: -1, count: q * m)
        var simulatedColumns = humanColumns
        for (i, r) in active.enumerated() {
            for j in 0..<q {
                humanColumns[j * m + i] = table.human[r * q + j]
                simulatedColumns[j * m + i] = sim[r * q + j]
            }
        }
        var human: [Double] = []
        var simulated: [Double] = []
        let k = table.optionCounts.max() ?? 0
        if scratch.count < 2 * k * k { scratch = [Double](repeating: 0, count: 2 * k * k) }
        for a in 0..<q {
            for b in (a + 1)..<max(q, a + 1) {
                let ka = table.optionCounts[a]
                let kb = table.optionCounts[b]
                let cells = ka * kb
                scratch.withUnsafeMutableBufferPointer { t in
                    for i in 0..<(2 * cells) { t[i] = 0 }
                    humanColumns.withUnsafeBufferPointer { h in
                        simulatedColumns.withUnsafeBufferPointer { s in
                            weight.withUnsafeBufferPointer { w in
                                for i in 0..<m {
                                    let x = Int(h[a * m + i])
                                    let y = Int(h[b * m + i])
                                    if x >= 0, y >= 0 { t[x * kb + y] += w[i] }
                                    let u = Int(s[a * m + i])
                                    let v = Int(s[b * m + i])
                                    if u >= 0, v >= 0 { t[cells + u * kb + v] += w[i] }
                                }
                            }
                        }
                    }
                }
                human.append(FidelityMetrics.cramersV(Array(scratch[0..<cells]), rows: ka, columns: kb))
                simulated.append(FidelityMetrics.cramersV(Array(scratch[cells..<(2 * cells)]), rows: ka, columns: kb))
            }
        }
        return (human, simulated)
    }

    static func summary(_ human: [Double], _ simulated: [Double]) -> (Double, Double, Int) {
        var x: [Double] = []
        var y: [Double] = []
        for i in human.indices where !human[i].isNaN && !simulated[i].isNaN {
            x.append(human[i])
            y.append(simulated[i])
        }
        guard !x.isEmpty else { return (.nan, .nan, 0) }
        let mad = zip(x, y).map { abs($0 - $1) }.reduce(0, +) / Double(x.count)
        return (mad, FidelityMetrics.correlation(x, y), x.count)
    }

    /// The pattern correspondence of a table with simulated answers, with seeded bootstrap intervals
    /// over `resamples` resamples (the same resample streams as the other figures).
    public static func compute(_ table: FidelityTable, resamples: Int, seed: UInt64, workers: Int = 2) async
        -> PatternCorrespondence
    {
        let n = table.respondentCount
        var scratch: [Double] = []
        let ones = [Int32](repeating: 1, count: n)
        let (human, simulated) = values(table, times: ones, scratch: &scratch)
        let (mad, r, pairsN) = summary(human, simulated)
        var pairs: [Pair] = []
        var index = 0
        for a in 0..<table.questionCount {
            for b in (a + 1)..<max(table.questionCount, a + 1) {
                pairs.append(Pair(a: a, b: b, human: human[index], simulated: simulated[index]))
                index += 1
            }
        }
        var madSamples: [Double] = []
        var rSamples: [Double] = []
        if resamples > 0, n > 0, !human.isEmpty {
            // Resamples split across `workers` child tasks; each resample draws from its own stream.
            let workers = max(1, min(workers, resamples))
            let chunk = (resamples + workers - 1) / workers
            let parts = await withTaskGroup(of: (Int, [Double], [Double]).self) { group in
                for w in 0..<workers {
                    let start = w * chunk
                    let end = min(resamples, start + chunk)
                    guard start < end else { continue }
                    group.addTask {
                        var times = [Int32](repeating: 0, count: n)
                        var scratch: [Double] = []
                        var mads: [Double] = []
                        var rs: [Double] = []
                        for b in start..<end {
                            FidelityBootstrap.draw(b, n: n, seed: seed, strata: table.strata, into: &times)
                            let (h, s) = values(table, times: times, scratch: &scratch)
                            let (m, c, _) = summary(h, s)
                            mads.append(m)
                            rs.append(c)
                        }
                        return (w, mads, rs)
                    }
                }
                var parts: [(Int, [Double], [Double])] = []
                for await part in group { parts.append(part) }
                return parts.sorted { $0.0 < $1.0 }
            }
            madSamples = parts.flatMap(\.1).filter { !$0.isNaN }
            rSamples = parts.flatMap(\.2).filter { !$0.isNaN }
        }
        madSamples.sort()
        rSamples.sort()
        func estimate(_ x: Double, _ samples: [Double]) -> FigureEstimate {
            FigureEstimate(
                value: FidelityJSON.defined(x),
                low: samples.isEmpty ? nil : FidelityMetrics.quantile(sorted: samples, 0.025),
                high: samples.isEmpty ? nil : FidelityMetrics.quantile(sorted: samples, 0.975), n: pairsN)
        }
        return PatternCorrespondence(
            pairs: pairs, meanAbsoluteDifference: estimate(mad, madSamples), correlation: estimate(r, rSamples))
    }
}
