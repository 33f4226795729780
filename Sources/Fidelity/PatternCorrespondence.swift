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
    static func values(_ table: FidelityTable, times: [Int32], scratch: inout [Double]) -> ([Double], [Double]) {
        let q = table.questionCount
        guard case .answers(let sim) = table.simulated else { return ([], []) }
        var human: [Double] = []
        var simulated: [Double] = []
        for a in 0..<q {
            for b in (a + 1)..<max(q, a + 1) {
                let ka = table.optionCounts[a]
                let kb = table.optionCounts[b]
                for side in 0...1 {
                    let answers = side == 0 ? table.human : sim
                    for i in 0..<(ka * kb) { scratch[i] = 0 }
                    for r in 0..<table.respondentCount where times[r] > 0 {
                        let x = answers[r * q + a]
                        let y = answers[r * q + b]
                        if x >= 0, y >= 0 { scratch[Int(x) * kb + Int(y)] += Double(times[r]) * table.weights[r] }
                    }
                    let v = FidelityMetrics.cramersV(scratch, rows: ka, columns: kb)
                    if side == 0 { human.append(v) } else { simulated.append(v) }
                }
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
    public static func compute(_ table: FidelityTable, resamples: Int, seed: UInt64) -> PatternCorrespondence {
        let n = table.respondentCount
        let k = table.optionCounts.max() ?? 0
        var scratch = [Double](repeating: 0, count: k * k)
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
            var times = [Int32](repeating: 0, count: n)
            for b in 0..<resamples {
                FidelityBootstrap.draw(b, n: n, seed: seed, into: &times)
                let (h, s) = values(table, times: times, scratch: &scratch)
                let (m, c, _) = summary(h, s)
                if !m.isNaN { madSamples.append(m) }
                if !c.isNaN { rSamples.append(c) }
            }
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
