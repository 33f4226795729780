import Foundation
import Runs
import Testing

/// Reference values were computed on this machine with SciPy 1.17 (scipy.stats: chi2_contingency
/// without correction, fisher_exact, ttest_ind(equal_var=False), mannwhitneyu(asymptotic,
/// use_continuity=True), kruskal, ncx2, t.ppf) and NumPy for the sandwich variance; Newcombe,
/// Cohen's d, Cliff's delta and Holm by hand from their formulas. Quoted here to 1e-6 or better.
@Suite("Experiment statistics against reference values")
struct ExperimentStatisticsTests {
    static let tolerance = 1e-6

    func close(_ a: Double, _ b: Double, _ tolerance: Double = Self.tolerance) -> Bool { abs(a - b) <= tolerance }

    @Test("normal and t quantiles, χ² tails and the noncentral χ² match SciPy")
    func distributions() {
        #expect(close(Statistics.normalQuantile(0.975), 1.959963984540054, 1e-12))
        #expect(close(Statistics.tQuantile(0.975, df: 10), 2.228138851986274, 1e-9))
        #expect(close(Statistics.tQuantile(0.975, df: 4.330254041570438), 2.694896090415049, 1e-9))
        #expect(close(Statistics.chiSquareSurvival(30, df: 12), 0.0027924293327009145, 1e-10))
        #expect(close(Statistics.chiSquareSurvival(1.5, df: 7), 0.9823096598068504, 1e-10))
        #expect(close(Statistics.noncentralChiSquareCDF(5, df: 3, lambda: 2.5), 0.5402389857908148, 1e-9))
        #expect(close(Statistics.noncentralChiSquareCDF(900, df: 4, lambda: 800), 0.9519669748106829, 1e-8))
    }

    @Test("Newcombe's hybrid score interval reproduces his 56/70 vs 48/80 example (0.0524, 0.3339)")
    func newcombe() throws {
        let e = try #require(Statistics.newcombe(56, 70, 48, 80))
        #expect(close(e.value, 0.2))
        #expect(close(e.low, 0.05243147240236498))
        #expect(close(e.high, 0.333872654036906))
    }

    @Test("χ² with a zero cell: 6.256535 on 2 df, p = 0.043794")
    func chiSquare() throws {
        let t = try #require(Statistics.chiSquare([[12, 5, 0], [7, 9, 4]]))
        #expect(close(t.statistic, 6.256534719150817))
        #expect(t.df == 2)
        #expect(close(t.p, 0.043793610134811096))
        #expect(close(Statistics.smallestExpected([[12, 5, 0], [7, 9, 4]]), 4 * 17 / 37.0))
    }

    @Test("Fisher's exact test: the tea-tasting table and a table with a zero cell")
    func fisher() {
        #expect(close(Statistics.fisherExact(3, 1, 1, 3), 0.48571428571428565))
        #expect(close(Statistics.fisherExact(0, 5, 4, 1), 0.04761904761904762))
    }

    @Test("Welch's t with unequal variances: t, df, p and the interval of the difference")
    func welch() throws {
        let w = try #require(Statistics.welch([1, 2, 3, 4, 10], [2, 2.5, 3, 3.5]))
        #expect(close(w.difference.value, 1.25))
        #expect(close(w.test.statistic, 0.7745966692414834))
        #expect(close(w.test.df ?? 0, 4.330254041570438))
        #expect(close(w.test.p, 0.47870875459881435))
        #expect(close(w.difference.low, -3.0988698658070675))
        #expect(close(w.difference.high, 5.5988698658070675))
    }

    @Test("the paired t test (SciPy ttest_rel): t = 3.240370 on 6 df, p = 0.017679")
    func pairedT() throws {
        let w = try #require(Statistics.pairedT([3, 4, 2, 5, 4, 3, 5], [2, 4, 1, 3, 4, 2, 3]))
        #expect(close(w.difference.value, 1))
        #expect(close(w.test.statistic, 3.24037034920393))
        #expect(w.test.df == 6)
        #expect(close(w.test.p, 0.017678667376839822))
        #expect(close(w.difference.low, 0.24486660861277243))
        #expect(close(w.difference.high, 1.7551333913872276))
    }

    @Test("Mann–Whitney U with ties: U = 15.5, z = −1.416840, p = 0.156530")
    func mannWhitney() throws {
        let m = try #require(Statistics.mannWhitney([1, 2, 2, 3, 4, 4, 5], [2, 3, 3, 4, 5, 5, 5, 6]))
        #expect(m.u == 15.5)
        #expect(close(m.test.statistic, -1.4168397736645872))
        #expect(close(m.test.p, 0.15652977813221672))
    }

    @Test("Cohen's d with its large-sample interval")
    func cohensD() throws {
        let d = try #require(Statistics.cohensD([1, 2, 3, 4, 10], [2, 2.5, 3, 3.5]))
        #expect(close(d.value, 0.4619682176798979))
        #expect(close(d.low, -0.8700236069619531))
        #expect(close(d.high, 1.7939600423217488))
    }

    @Test("Cliff's delta with ties and Cliff's asymmetric interval (brute force over all pairs)")
    func cliffsDelta() throws {
        let d = try #require(Statistics.cliffsDelta([1, 2, 2, 3, 4, 4, 5], [2, 3, 3, 4, 5, 5, 5, 6]))
        #expect(close(d.value, -0.44642857142857145))
        #expect(close(d.low, -0.8073206980751506))
        #expect(close(d.high, 0.15750271463260934))
    }

    @Test(
        "Cramér's V with the interval from the noncentral χ²",
        arguments: [
            ([[20, 10], [10, 20]], 0.33333333333333337, 0.07872248573595676, 0.5863635957085069),
            ([[12, 5, 0], [7, 9, 4]], 0.4112122723728246, 0.0, 0.7082668427954902),
        ])
    func cramersV(table: [[Int]], v: Double, low: Double, high: Double) throws {
        let e = try #require(Statistics.cramersV(table))
        #expect(close(e.value, v))
        #expect(close(e.low, low))
        #expect(close(e.high, high))
    }

    @Test("Kruskal–Wallis with ties: H = 9.000847, p = 0.011104")
    func kruskalWallis() throws {
        let k = try #require(Statistics.kruskalWallis([[1, 2, 2, 3], [2, 3, 4, 4, 5], [5, 5, 6, 7]]))
        #expect(close(k.statistic, 9.000847457627124))
        #expect(k.df == 2)
        #expect(close(k.p, 0.011104290333466996))
    }

    @Test("Holm's adjustment keeps the order and is monotone")
    func holm() {
        let adjusted = Statistics.holm([0.01, 0.04, 0.03, 0.005])
        for (a, b) in zip(adjusted, [0.03, 0.06, 0.06, 0.02]) { #expect(close(a, b, 1e-12)) }
        #expect(Statistics.holm([0.5, 0.6]) == [1, 1])
    }

    @Test("the minimum detectable effect at n = 100 vs 120, sd 0.5, is 0.189668")
    func mde() throws {
        let mde = try #require(Statistics.minimumDetectableEffect(sd: 0.5, n1: 100, n2: 120))
        #expect(close(mde, 0.18966821588175142))
    }

    @Test("the small-sample warning names the small arms only")
    func smallSample() throws {
        #expect(Statistics.smallSampleWarning(arms: [("A", 30), ("B", 40)]) == nil)
        let warning = try #require(Statistics.smallSampleWarning(arms: [("A", 12), ("B", 40)]))
        #expect(warning.hasPrefix("small sample: A (n = 12) below 30 respondents per arm"))
    }

    @Test("pass^k per task and the paired bootstrap of its difference")
    func passHat() throws {
        #expect(close(Statistics.passHat(k: 2, successes: 3, trials: 4), 0.5, 1e-12))
        #expect(Statistics.passHat(k: 3, successes: 2, trials: 4) == 0)
        let a = [(successes: 1, trials: 4), (2, 4), (0, 4), (4, 4)]
        let b = [(successes: 4, trials: 4), (4, 4), (3, 4), (4, 4)]
        let e = try #require(Statistics.bootstrapPassHatDifference(k: 1, a: a, b: b, seed: 9))
        #expect(close(e.value, (3 + 2 + 3 + 0) / 16.0, 1e-12))
        #expect(e.low <= e.value && e.value <= e.high)
        #expect(e.low >= 0 && e.high <= 0.75)
        let again = try #require(Statistics.bootstrapPassHatDifference(k: 1, a: a, b: b, seed: 9))
        #expect(again == e)
    }

    @Test("least squares with respondent-clustered standard errors (CR1) and a clustered marginal mean")
    func clustered() throws {
        let x: [[Double]] = [
            [1, 0, 1], [1, 1, 0], [1, 1, 1], [1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 0, 0],
        ]
        let y: [Double] = [1, 0, 1, 0, 1, 1, 1, 0]
        let cluster = [1, 1, 2, 2, 3, 3, 4, 4]
        let fit = try #require(Statistics.clusteredLeastSquares(x: x, y: y, cluster: cluster))
        for (a, b) in zip(fit.coefficients, [0.125, 0.25, 0.75]) { #expect(close(a, b, 1e-12)) }
        for (a, b) in zip(fit.standardErrors, [0.1479019945774904, 0.24152294576982397, 0.24152294576982397]) {
            #expect(close(a, b))
        }
        #expect(fit.clusters == 4)
        let mm = try #require(
            Statistics.clusteredMean(y: y, include: x.map { $0[1] == 1 }, cluster: cluster))
        #expect(close(mm.value, 0.75))
        #expect(close(mm.low, 0.2600090038649865))
        #expect(close(mm.high, 1.2399909961350135))
    }
}
