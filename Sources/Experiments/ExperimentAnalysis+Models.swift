import Runs
import Storage

/// The model-based parts of the analysis: pass^k with bootstrap intervals (tool tasks), factorial
/// effects and conjoint AMCEs (least squares with respondent-clustered standard errors).
extension ExperimentAnalysis {
    /// Tool tasks: pass^k per arm and the bootstrap interval of each arm's difference from the first.
    func passK() -> JSONValue {
        let slot = outcomeIndex("passed")
        var tasks: [String] = []
        var perArm: [[String: (Int, Int)]] = Array(repeating: [:], count: design.arms.count)
        for o in observations {
            guard let task = o.task, let v = o.values[slot], o.arm < perArm.count else { continue }
            if !tasks.contains(task) { tasks.append(task) }
            let (c, n) = perArm[o.arm][task] ?? (0, 0)
            perArm[o.arm][task] = (c + (v > 0 ? 1 : 0), n + 1)
        }
        tasks.sort()
        let minTrials = perArm.flatMap { $0.values.map(\.1) }.min() ?? 0
        guard minTrials > 0 else { return .null }
        func counts(_ a: Int) -> [(successes: Int, trials: Int)] {
            tasks.map { perArm[a][$0].map { (successes: $0.0, trials: $0.1) } ?? (0, 0) }
        }
        var out: [JSONValue] = []
        for k in 1...minTrials {
            var row = JSONObject([("k", .integer(Int64(k)))])
            row["arms"] = .array(
                design.arms.indices.map { a in
                    let values = counts(a).map { Statistics.passHat(k: k, successes: $0.successes, trials: $0.trials) }
                    return [
                        "arm": .string(design.arms[a].name),
                        "passHat": Self.number(values.reduce(0, +) / Double(max(1, values.count))),
                    ]
                })
            var differences: [JSONValue] = []
            for b in design.arms.indices.dropFirst() {
                if let e = Statistics.bootstrapPassHatDifference(
                    k: k, a: counts(0), b: counts(b),
                    seed: RandomStream(seed: design.seed).substream("experiment/bootstrap/\(k)/\(b)").seed)
                {
                    differences.append(
                        .object(
                            Self.estimate(
                                e, [("a", .string(design.arms[0].name)), ("b", .string(design.arms[b].name))])))
                }
            }
            row["differences"] = .array(differences)
            out.append(.object(row))
        }
        return .array(out)
    }

    // MARK: Factorial

    /// Main effects and two-way interactions of every numeric outcome (and of the share of each
    /// categorical outcome's first option), by least squares on dummy-coded levels (first level the
    /// baseline) with respondent-clustered standard errors.
    func factorial() -> JSONValue {
        let factors = design.factors
        var terms: [(name: String, indicator: ([Int]) -> Bool)] = []
        for (f, factor) in factors.enumerated() {
            for l in factor.levels.indices.dropFirst() {
                terms.append(("\(factor.name)=\(factor.levels[l].name)", { $0[f] == l }))
            }
        }
        for f in factors.indices {
            for g in factors.indices where g > f {
                for l in factors[f].levels.indices.dropFirst() {
                    for m in factors[g].levels.indices.dropFirst() {
                        terms.append(
                            (
                                "\(factors[f].name)=\(factors[f].levels[l].name) × \(factors[g].name)=\(factors[g].levels[m].name)",
                                { $0[f] == l && $0[g] == m }
                            ))
                    }
                }
            }
        }
        var results: [JSONValue] = []
        for (i, outcome) in outcomes.enumerated() {
            var x: [[Double]] = []
            var y: [Double] = []
            var cluster: [Int] = []
            for o in observations {
                guard let v = o.values[i], design.arms.indices.contains(o.arm) else { continue }
                let levels = design.arms[o.arm].levels
                x.append([1] + terms.map { $0.indicator(levels) ? 1 : 0 })
                switch outcome.measure {
                case .numeric: y.append(v)
                case .categorical, .pass: y.append(v == 0 ? 1 : 0)
                }
                cluster.append(o.cluster)
            }
            // A fractional design can leave a term without data: keep the columns that vary.
            let used = terms.indices.filter { t in x.contains { $0[t + 1] != 0 } }
            let reduced = x.map { row in [row[0]] + used.map { row[$0 + 1] } }
            var o = JSONObject([("id", .string(outcome.id))])
            if case .categorical(let options) = outcome.measure, let first = options.first {
                o["response"] = .string("share choosing \"\(first)\"")
            }
            if let fit = Statistics.clusteredLeastSquares(x: reduced, y: y, cluster: cluster) {
                o["intercept"] = Self.number(fit.coefficients[0])
                o["terms"] = .array(
                    used.enumerated().map { position, t in
                        var term = Self.estimate(fit.estimate(position + 1), [("term", .string(terms[t].name))])
                        term["se"] = Self.number(fit.standardErrors[position + 1])
                        term["p"] = Self.number(fit.p(position + 1))
                        return .object(term)
                    })
            } else {
                o["terms"] = []
                o["note"] = "the design matrix is singular (too few respondents or a fraction that aliases effects)"
            }
            results.append(.object(o))
        }
        return ["outcomes": .array(results)]
    }

    // MARK: Conjoint

    /// AMCEs (least squares of the choice on dummy-coded levels, standard errors clustered by
    /// respondent) and marginal means per level.
    func conjointJSON(_ conjoint: ExperimentDesign.Conjoint) -> JSONValue {
        var x: [[Double]] = []
        var y: [Double] = []
        var cluster: [Int] = []
        var levelsOf: [[Int]] = []
        var respondents = Set<Int>()
        for o in observations {
            guard let tasks = o.tasks else { continue }
            for (t, pair) in tasks.tasks.enumerated() {
                guard t < o.choices.count, let choice = o.choices[t], pair.count == 2 else { continue }
                respondents.insert(o.cluster)
                for (side, profile) in pair.enumerated() {
                    var row: [Double] = [1]
                    for (a, attribute) in conjoint.attributes.enumerated() {
                        for l in attribute.levels.indices.dropFirst() { row.append(profile[a] == l ? 1 : 0) }
                    }
                    x.append(row)
                    y.append(side == choice ? 1 : 0)
                    cluster.append(o.cluster)
                    levelsOf.append(profile)
                }
            }
        }
        var root = JSONObject([
            ("respondents", .integer(Int64(respondents.count))), ("profiles", .integer(Int64(y.count))),
        ])
        let fit = Statistics.clusteredLeastSquares(x: x, y: y, cluster: cluster)
        var amce: [JSONValue] = []
        var means: [JSONValue] = []
        var column = 1
        for (a, attribute) in conjoint.attributes.enumerated() {
            for (l, level) in attribute.levels.enumerated() {
                let labels: [(String, JSONValue)] = [("attribute", .string(attribute.name)), ("level", .string(level))]
                if l == 0 {
                    var baseline = JSONObject(labels)
                    baseline["baseline"] = true
                    baseline["estimate"] = 0
                    amce.append(.object(baseline))
                } else {
                    if let fit {
                        var o = Self.estimate(fit.estimate(column), labels)
                        o["se"] = Self.number(fit.standardErrors[column])
                        o["p"] = Self.number(fit.p(column))
                        amce.append(.object(o))
                    }
                    column += 1
                }
                if let mm = Statistics.clusteredMean(y: y, include: levelsOf.map { $0[a] == l }, cluster: cluster) {
                    means.append(.object(Self.estimate(mm, labels)))
                }
            }
        }
        root["amce"] = .array(amce)
        root["marginalMeans"] = .array(means)
        if fit == nil { root["note"] = "too few answered tasks to estimate the AMCEs" }
        return .object(root)
    }
}
