import Foundation
import Storage

/// The four reference points of spec §F.3, computed with no model, on the same respondents and
/// questions as the simulation they are read against.
public enum ReferencePoints {
    /// Everyone answers the humans' weighted modal option (ties: the first in option order).
    public static func majorityAnswers(_ subject: FidelitySubject) -> [Int32] {
        let modes = majorityModes(subject)
        let n = subject.respondents.count
        var answers = [Int32](repeating: 0, count: n * modes.count)
        for r in 0..<n {
            for j in modes.indices { answers[r * modes.count + j] = modes[j] }
        }
        return answers
    }

    /// The humans' weighted modal option of each scored question (ties: the first in option order).
    public static func majorityModes(_ subject: FidelitySubject) -> [Int32] {
        let table = subject.table(.uniform)
        let q = table.questionCount
        var modes: [Int32] = []
        for j in 0..<q {
            var shares = [Double](repeating: 0, count: table.optionCounts[j])
            for r in 0..<table.respondentCount {
                let h = table.human[r * q + j]
                if h >= 0 { shares[Int(h)] += table.weights[r] }
            }
            var best = 0
            for k in shares.indices where shares[k] > shares[best] { best = k }
            modes.append(Int32(best))
        }
        return modes
    }

    /// The demographic baseline: a naive Bayes predictor (Laplace-smoothed, weighted counts) from the
    /// attribute groups and the conditioning answers only, trained on one seeded half of the
    /// respondents and scored on the other, both ways. Ties go to the first option.
    public static func demographicAnswers(_ subject: FidelitySubject, seed: UInt64) -> [Int32] {
        let table = subject.table(.uniform)
        let n = table.respondentCount
        let q = table.questionCount
        let survey = subject.survey
        let allQ = survey.questions.count
        // Features: each attribute's group (local index), then each conditioning answer.
        var levels: [Int] = subject.groups.attributeCells.map(\.count)
        levels += subject.conditioning.map { survey.questions[$0].optionCount }
        let f = levels.count
        var features = [Int32](repeating: -1, count: n * f)
        for (i, r) in subject.respondents.enumerated() {
            for a in 0..<subject.groups.attributeCount {
                let cell = table.groups[i * table.attributeCount + a]
                if cell >= 0, let local = subject.groups.attributeCells[a].firstIndex(of: Int(cell)) {
                    features[i * f + a] = Int32(local)
                }
            }
            for (c, j) in subject.conditioning.enumerated() {
                features[i * f + subject.groups.attributeCount + c] = survey.answers[r * allQ + j]
            }
        }
        var order = Array(0..<n)
        var stream = RandomStream(seed: seed).substream("fidelity/demographic-folds")
        stream.shuffle(&order)
        var fold = [Int](repeating: 0, count: n)
        for (position, r) in order.enumerated() where position >= n / 2 { fold[r] = 1 }
        var answers = [Int32](repeating: -1, count: n * q)
        for j in 0..<q {
            let k = table.optionCounts[j]
            for test in 0...1 {
                var prior = [Double](repeating: 0, count: k)
                var conditional: [[Double]] = levels.map { [Double](repeating: 0, count: $0 * k) }
                for r in 0..<n where fold[r] != test {
                    let h = Int(table.human[r * q + j])
                    guard h >= 0 else { continue }
                    let w = table.weights[r]
                    prior[h] += w
                    for x in 0..<f {
                        let v = Int(features[r * f + x])
                        if v >= 0 { conditional[x][v * k + h] += w }
                    }
                }
                var featureTotals: [[Double]] = []
                for x in 0..<f {
                    var totals = [Double](repeating: 0, count: k)
                    for v in 0..<levels[x] {
                        for h in 0..<k { totals[h] += conditional[x][v * k + h] }
                    }
                    featureTotals.append(totals)
                }
                let priorTotal = prior.reduce(0, +)
                for r in 0..<n where fold[r] == test {
                    var best = 0
                    var bestScore = -Double.infinity
                    for h in 0..<k {
                        var score = log((prior[h] + 1) / (priorTotal + Double(k)))
                        for x in 0..<f {
                            let v = Int(features[r * f + x])
                            guard v >= 0 else { continue }
                            score += log((conditional[x][v * k + h] + 1) / (featureTotals[x][h] + Double(levels[x])))
                        }
                        if score > bestScore + 1e-12 {
                            best = h
                            bestScore = score
                        }
                    }
                    answers[r * q + j] = Int32(best)
                }
            }
        }
        return answers
    }

    /// The human split-half ceiling: every distribution figure between two seeded random halves of
    /// the humans (the first half as H, the second as S), averaged over `settings.splits` splits;
    /// the interval is the 2.5–97.5% range over the splits. Paired figures (accuracy) are null.
    public static func splitHalf(_ subject: FidelitySubject, settings: FidelitySettings) -> FidelityEstimates {
        let table = subject.table(.answers([]))
        let n = table.respondentCount
        let layout = FigureLayout(questions: table.questionCount, cells: table.cellCount)
        let splits = max(1, settings.splits)
        var samples = [Double](repeating: .nan, count: splits * layout.count)
        var counts = FidelityCounts(table)
        var a = [Int32](repeating: 0, count: n)
        var b = a
        var half = 0
        for s in 0..<splits {
            var order = Array(0..<n)
            var stream = RandomStream(seed: settings.seed).substream("fidelity/split-half/\(s)")
            stream.shuffle(&order)
            for (position, r) in order.enumerated() {
                a[r] = position < n / 2 ? 1 : 0
                b[r] = position < n / 2 ? 0 : 1
            }
            half = n / 2
            counts.reset()
            counts.add(table, humanTimes: a, simulatedTimes: b, simulatedFromHuman: true)
            counts.figures(table, into: &samples, at: s * layout.count)
        }
        var point = [Double](repeating: .nan, count: layout.count)
        for f in 0..<layout.count {
            var sum = 0.0
            var count = 0
            for s in 0..<splits where !samples[s * layout.count + f].isNaN {
                sum += samples[s * layout.count + f]
                count += 1
            }
            if count > 0 { point[f] = sum / Double(count) }
        }
        let (low, high) = FidelityBootstrap.intervals(samples, figures: layout.count, resamples: splits)
        return FidelityEstimates(
            layout: layout, point: point, low: low, high: high, n: [Int](repeating: half, count: layout.count),
            humanShares: [], simulatedShares: [], humanN: [], simulatedN: [], cellN: [], resamples: splits)
    }

    /// All four reference points with their intervals.
    public static func all(_ subject: FidelitySubject, settings: FidelitySettings) async -> [(
        name: String, estimates: FidelityEstimates
    )] {
        await withSimulation(nil, subject: subject, settings: settings).references
    }

    /// The simulation's estimates (when `simulated` answers are given) and the four reference
    /// points. Uniform and majority are views of the first pass's human counts; the demographic
    /// baseline has its own pass (the first one when there is no simulation); split-half its splits.
    public static func withSimulation(
        _ simulated: [Int32]?, subject: FidelitySubject, settings: FidelitySettings
    ) async -> (simulation: FidelityEstimates?, references: [(name: String, estimates: FidelityEstimates)]) {
        let demographicTable = subject.table(.answers(demographicAnswers(subject, seed: settings.seed)))
        let base = simulated.map { subject.table(.answers($0)) } ?? demographicTable
        let first = await FidelityBootstrap.estimate(
            base, views: [.uniform, .majority(majorityModes(subject))], resamples: settings.resamples,
            seed: settings.seed, workers: settings.workers)
        let demographic =
            simulated == nil
            ? first[0]
            : await FidelityBootstrap.estimate(
                demographicTable, resamples: settings.resamples, seed: settings.seed, workers: settings.workers)
        return (
            simulated == nil ? nil : first[0],
            [
                ("uniform", first[1]), ("majority", first[2]), ("demographic", demographic),
                ("splitHalf", splitHalf(subject, settings: settings)),
            ]
        )
    }
}
