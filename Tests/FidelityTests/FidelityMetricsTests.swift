import Fidelity
import Foundation
import Storage
import Testing

@Suite("Fidelity metrics (spec §F.3) against hand-computed values")
struct FidelityMetricsTests {
    static func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test("TVD, SimBench score and ordinal similarity on a K = 3 ordinal question")
    func threeOptions() {
        let c = FidelityMetrics.compare(human: [0.5, 0.3, 0.2], simulated: [0.2, 0.3, 0.5], k: 3, ordinal: true)
        // TVD = ½(0.3 + 0 + 0.3) = 0.3; TVD(H,U) = ½(1/6 + 1/30 + 2/15) = 1/6; S = 100(1 − 0.3·6) = −80.
        #expect(Self.close(c.tvd, 0.3))
        #expect(Self.close(c.simbench, -80))
        // CDFs: H 0.5, 0.8; S 0.2, 0.5 → W1 = 0.3 + 0.3 = 0.6; 1 − 0.6/2 = 0.7.
        #expect(Self.close(c.ordinalSimilarity, 0.7))
    }

    @Test("K = 2 nominal: no ordinal similarity; a perfect match scores 100")
    func twoOptions() {
        let c = FidelityMetrics.compare(human: [0.8, 0.2], simulated: [0.8, 0.2], k: 2, ordinal: false)
        #expect(c.tvd == 0)
        #expect(Self.close(c.simbench, 100))
        #expect(c.ordinalSimilarity.isNaN)
        let u = FidelityMetrics.compare(human: [0.8, 0.2], simulated: [0.5, 0.5], k: 2, ordinal: false)
        #expect(Self.close(u.simbench, 0))
    }

    @Test("a uniform H makes the SimBench score undefined")
    func uniformHuman() {
        let c = FidelityMetrics.compare(human: [0.25, 0.25, 0.25, 0.25], simulated: [1, 0, 0, 0], k: 4, ordinal: true)
        #expect(c.simbench.isNaN)
        #expect(Self.close(c.tvd, 0.75))
    }

    @Test("Cramér's V: a perfect 2×2 association is 1, independence 0, a constant column undefined")
    func cramersV() {
        #expect(Self.close(FidelityMetrics.cramersV([5, 0, 0, 5], rows: 2, columns: 2), 1))
        #expect(Self.close(FidelityMetrics.cramersV([2, 2, 3, 3], rows: 2, columns: 2), 0))
        #expect(FidelityMetrics.cramersV([4, 0, 6, 0], rows: 2, columns: 2).isNaN)
    }

    @Test("expected ordinal error of a uniform guess")
    func uniformError() {
        // K = 3, position 0: (0 + 1 + 2)/3/2 = 0.5; position 1: (1 + 0 + 1)/3/2 = 1/3.
        #expect(Self.close(FidelityMetrics.uniformOrdinalError(0, 3), 0.5))
        #expect(Self.close(FidelityMetrics.uniformOrdinalError(1, 3), 1.0 / 3))
    }

    /// Four respondents, unequal weights, one ordinal K = 3 question and one nominal K = 2 one; one
    /// attribute with a group of n = 0 among the cells.
    static func table(_ simulated: FidelityTable.Simulated) -> FidelityTable {
        FidelityTable(
            optionCounts: [3, 2], ordinal: [true, false],
            human: [0, 1, 1, 0, 2, 1, 2, -1], simulated: simulated, weights: [1, 2, 1, 1],
            groups: [1, 1, 2, 2], attributeCount: 1, cellCount: 4)
    }

    @Test("weighted table figures, paired accuracy and a group with n = 0 (null, never 0)")
    func weightedTable() async {
        let sim: [Int32] = [0, 1, 0, 0, 2, 0, -1, 1]
        let e = await FidelityBootstrap.estimate(Self.table(.answers(sim)), resamples: 0, seed: 1)
        // Q1 human weights: pos0 1, pos1 2, pos2 2 (of 5) → H = (0.2, 0.4, 0.4); simulated (respondent 4
        // failed): pos0 3, pos2 1 of 4 → S = (0.75, 0, 0.25). TVD = ½(0.55 + 0.4 + 0.15) = 0.55.
        #expect(Self.close(e.estimate(question: 0, .tvd).value, 0.55))
        #expect(e.estimate(question: 0, .tvd).n == 3)
        // Accuracy over respondents with both answers (weights 1, 2, 1): matches r1 and r3 → 2/4.
        #expect(Self.close(e.estimate(question: 0, .accuracy).value, 0.5))
        // Ordinal error: r2 |1 − 0|/2 · 2 = 1 → 1/4.
        #expect(Self.close(e.estimate(question: 0, .ordinalError).value, 0.25))
        // Q2 (nominal) human: r1 1, r2 0 (w2), r3 1 → H = (0.5, 0.5) uniform → SimBench null.
        #expect(e.estimate(question: 1, .simbench).value == nil)
        // Cell 3 has nobody: every figure null with n = 0.
        #expect(e.estimate(cell: 3, .representativeness).value == nil)
        #expect(e.estimate(cell: 3, .representativeness).n == 0)
        #expect(e.estimate(cell: 3, question: 0, .tvd).value == nil)
    }

    @Test("the uniform reference point: S = U and expected accuracy 1/K")
    func uniformPoint() async {
        let e = await FidelityBootstrap.estimate(Self.table(.uniform), resamples: 0, seed: 1)
        #expect(Self.close(e.estimate(question: 0, .simbench).value, 0))
        #expect(Self.close(e.estimate(question: 0, .accuracy).value, 1.0 / 3))
        #expect(Self.close(e.estimate(question: 1, .accuracy).value, 0.5))
        // H = (0.2, 0.4, 0.4) vs U: CDF diffs |0.2 − 1/3| + |0.6 − 2/3| = 0.2 → 1 − 0.1 = 0.9.
        #expect(Self.close(e.estimate(question: 0, .ordinalSimilarity).value, 0.9))
    }

    @Test("bootstrap intervals are byte-identical across runs and across worker counts")
    func bootstrapDeterminism() async {
        let sim: [Int32] = [0, 1, 0, 0, 2, 0, -1, 1]
        let a = await FidelityBootstrap.estimate(Self.table(.answers(sim)), resamples: 200, seed: 9, workers: 1)
        let b = await FidelityBootstrap.estimate(Self.table(.answers(sim)), resamples: 200, seed: 9, workers: 2)
        let c = await FidelityBootstrap.estimate(Self.table(.answers(sim)), resamples: 200, seed: 9, workers: 7)
        #expect(a.low.map(\.bitPattern) == b.low.map(\.bitPattern))
        #expect(a.high.map(\.bitPattern) == c.high.map(\.bitPattern))
        let overall = a.estimate(.tvd)
        #expect((overall.low ?? 9) <= (overall.value ?? -9) || (overall.high ?? -9) >= (overall.value ?? 9))
        let other = await FidelityBootstrap.estimate(Self.table(.answers(sim)), resamples: 200, seed: 10, workers: 2)
        #expect(other.low.map(\.bitPattern) != a.low.map(\.bitPattern))
    }
}
