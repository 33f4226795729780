public import Runs
public import Storage

/// The analysis of an experiment's stored units: per-arm summaries, tests and effect sizes for
/// each outcome, Holm's correction across every pairwise comparison, factorial effects and conjoint
/// AMCEs. A pure function of the run data (docs/experiments.md lists each statistic).
public struct ExperimentAnalysis: Sendable {
    /// What an outcome is measured on.
    public enum Measure: Sendable, Hashable {
        /// Likert or numeric answers.
        case numeric
        /// One option of several.
        case categorical([String])
        /// A tool-task trial passed (reward 1) or not.
        case pass
    }

    /// An outcome: an item id (or `passed`) and its measure.
    public struct Outcome: Sendable, Hashable {
        /// The id (`interest`; `owned: Solar panels` for one option of a multiple-choice item).
        public var id: String
        /// How it is measured.
        public var measure: Measure
        /// The answer key it is read from (the item id).
        public var item: String
        /// For a multiple-choice item: the option whose selection this outcome is.
        public var selection: String?
        /// For a matrix item: the row id whose rating this outcome is.
        public var row: String?

        /// Creates an outcome read from `item` (default: `id`).
        public init(
            id: String, measure: Measure, item: String? = nil, selection: String? = nil, row: String? = nil
        ) {
            self.id = id
            self.measure = measure
            self.item = item ?? id
            self.selection = selection
            self.row = row
        }
    }

    /// The two answers of a multiple-choice option.
    static let selectionLabels = ["selected", "not selected"]

    /// One done unit, reduced to what the statistics need.
    struct Observation {
        var arm: Int
        var cluster: Int
        var respondent: String
        /// Per outcome: the number (numeric), the option index (categorical) or 1/0 (pass); nil if
        /// missing.
        var values: [Double?]
        var task: String?
        var tasks: ConjointTasks?
        var choices: [Int?]
    }

    /// The design.
    public let design: ExperimentDesign
    /// The outcomes analysed.
    public let outcomes: [Outcome]
    let observations: [Observation]
    let balance: JSONValue

    /// Reads the outcomes of `data`'s done units; `strata` gives a persona's stratum key.
    public init(design: ExperimentDesign, data: RunData, strata: (StoredPersona?) -> String?) {
        self.design = design
        let outcomes = Self.outcomes(design)
        self.outcomes = outcomes
        var slot: [String: [Int]] = [:]
        for (i, outcome) in outcomes.enumerated() { slot[outcome.item, default: []].append(i) }
        let optionIndex: [[String: Int]] = outcomes.map { outcome in
            guard case .categorical(let options) = outcome.measure else { return [:] }
            var map: [String: Int] = [:]
            for (i, option) in options.enumerated() { map[option] = i }
            return map
        }
        var clusters: [String: Int] = [:]
        var observations: [Observation] = []
        observations.reserveCapacity(data.units.count)
        for unit in data.units where unit.status == .done {
            let (arm, spec) = ExperimentRunKind.inner(unit.spec)
            let respondent = spec.input["persona"]?.stringValue ?? spec.id
            let cluster: Int
            if let known = clusters[respondent] {
                cluster = known
            } else {
                cluster = clusters.count
                clusters[respondent] = cluster
            }
            var values = [Double?](repeating: nil, count: outcomes.count)
            var choices: [Int?] = []
            var tasks: ConjointTasks?
            if let answers = unit.result["answers"]?.objectValue {
                for (key, value) in answers {
                    for i in slot[key] ?? [] {
                        if let row = outcomes[i].row {
                            values[i] = value[row]?.doubleValue
                            continue
                        }
                        if let selection = outcomes[i].selection {
                            guard let chosen = value.arrayValue else { continue }
                            values[i] = chosen.contains(.string(selection)) ? 0 : 1
                            continue
                        }
                        switch outcomes[i].measure {
                        case .numeric: values[i] = value.doubleValue
                        case .categorical:
                            values[i] = value.stringValue.flatMap { optionIndex[i][$0] }.map(Double.init)
                        case .pass: break
                        }
                    }
                }
                if design.conjoint != nil, let stored = unit.spec.input["tasks"] {
                    let drawn = ConjointTasks(json: stored)
                    tasks = drawn
                    choices = drawn.tasks.indices.map { t in
                        answers[ConjointTasks.itemID(t)]?.stringValue.flatMap {
                            ConjointTasks.options.firstIndex(of: $0)
                        }
                    }
                }
            }
            if let passed = unit.result["passed"]?.boolValue, let i = slot["passed"]?.first {
                values[i] = passed ? 1 : 0
            }
            observations.append(
                Observation(
                    arm: arm, cluster: cluster, respondent: respondent, values: values,
                    task: unit.result["task"]?.stringValue, tasks: tasks, choices: choices))
        }
        self.observations = observations
        self.balance = Self.balance(design, data: data, strata: strata)
    }

    // MARK: The analysis

    /// One pairwise comparison before Holm's correction.
    struct Comparison {
        var outcome: Int
        var a: Int
        var b: Int
        var json: JSONObject
        var p: Double
    }

    /// The `experiment` section of `results.json`.
    public func json() -> JSONValue {
        let armCount = design.arms.count
        var armCounts = [Int](repeating: 0, count: armCount)
        for o in observations where o.arm < armCount { armCounts[o.arm] += 1 }
        var root = JSONObject([
            ("assignment", .string(design.assignment.rawValue)),
            ("type", .string(design.conjoint != nil ? "conjoint" : design.factors.isEmpty ? "arms" : "factorial")),
            (
                "arms",
                .array(
                    design.arms.indices.map { a in
                        ["name": .string(design.arms[a].name), "n": .integer(Int64(armCounts[a]))]
                    })
            ),
        ])
        if !balance.isNull { root["balance"] = balance }
        var warnings: [JSONValue] = []
        if design.conjoint == nil,
            let warning = Statistics.smallSampleWarning(
                arms: design.arms.indices.map { (design.arms[$0].name, armCounts[$0]) })
        {
            warnings.append(.string(warning))
        }
        if design.assignment == .within, armCount > 1 {
            warnings.append(
                "within subjects: numeric outcomes use the paired t test; categorical outcomes are compared as independent samples, which is conservative for paired answers"
            )
        }
        var outcomeJSON: [JSONObject] = []
        var comparisons: [Comparison] = []
        for (i, outcome) in outcomes.enumerated() {
            let (summary, pairs, notes) = analyse(i, outcome)
            outcomeJSON.append(summary)
            comparisons += pairs
            warnings += notes.map { .string($0) }
        }
        let adjusted = Statistics.holm(comparisons.map(\.p))
        for (c, pHolm) in zip(comparisons, adjusted) {
            var json = c.json
            if var test = json["test"]?.objectValue {
                test["pHolm"] = .number(Statistics.round6(pHolm))
                json["test"] = .object(test)
            }
            var list = outcomeJSON[c.outcome]["comparisons"]?.arrayValue ?? []
            list.append(.object(json))
            outcomeJSON[c.outcome]["comparisons"] = .array(list)
        }
        root["outcomes"] = .array(outcomeJSON.map { .object($0) })
        if !design.factors.isEmpty { root["factorial"] = factorial() }
        if let conjoint = design.conjoint { root["conjoint"] = conjointJSON(conjoint) }
        root["warnings"] = .array(warnings)
        return .object(root)
    }

    static func number(_ x: Double) -> JSONValue { x.isFinite ? .number(Statistics.round6(x)) : .null }

    static func estimate(_ e: Estimate, _ extra: [(String, JSONValue)] = []) -> JSONObject {
        var o = JSONObject(extra)
        o["estimate"] = number(e.value)
        o["low"] = number(e.low)
        o["high"] = number(e.high)
        return o
    }

    static func test(_ name: String, _ t: TestOutcome) -> JSONValue {
        var o = JSONObject([("name", .string(name)), ("statistic", number(t.statistic))])
        if let df = t.df { o["df"] = number(df) }
        o["p"] = number(t.p)
        return .object(o)
    }

    /// The values of outcome `i` in each arm.
    func samples(_ i: Int) -> [[Double]] {
        var out = [[Double]](repeating: [], count: design.arms.count)
        for o in observations where o.arm < out.count { if let v = o.values[i] { out[o.arm].append(v) } }
        // Sorted once: the rank statistics sort again, which is linear on sorted input.
        return out.map { $0.sorted() }
    }

    func analyse(_ i: Int, _ outcome: Outcome) -> (JSONObject, [Comparison], [String]) {
        let samples = samples(i)
        let names = design.arms.map(\.name)
        var json = JSONObject([("id", .string(outcome.id))])
        var comparisons: [Comparison] = []
        var notes: [String] = []
        switch outcome.measure {
        case .numeric:
            json["measure"] = "numeric"
            json["arms"] = .array(
                samples.indices.map { a in
                    var o = JSONObject([("arm", .string(names[a])), ("n", .integer(Int64(samples[a].count)))])
                    if let m = Statistics.meanInterval(samples[a]) {
                        o["mean"] = Self.number(m.mean)
                        o["sd"] = Self.number(m.sd)
                        o["low"] = Self.number(m.low)
                        o["high"] = Self.number(m.high)
                    }
                    o["distribution"] = Self.distribution(samples[a])
                    return .object(o)
                })
            if samples.count > 2, let kw = Statistics.kruskalWallis(samples) {
                json["omnibus"] = Self.test("Kruskal–Wallis H", kw)
            }
            for a in samples.indices {
                for b in samples.indices where b > a {
                    let x = samples[b]
                    let y = samples[a]
                    var c = JSONObject([("a", .string(names[a])), ("b", .string(names[b]))])
                    var p = 1.0
                    var secondary: [JSONValue] = []
                    let welch = Statistics.welch(x, y)
                    if design.assignment == .within {
                        // The same respondents in both arms: the paired test of their differences.
                        let (px, py) = paired(i, b, a)
                        if let t = Statistics.pairedT(px, py) {
                            c["effect"] = .object(
                                Self.estimate(
                                    t.difference,
                                    [
                                        ("measure", "mean paired difference (b − a)"),
                                        ("pairs", .integer(Int64(px.count))),
                                    ]))
                            c["test"] = Self.test("paired t", t.test)
                            p = t.test.p
                        } else {
                            c["test"] = ["name": "paired t", "p": 1]
                        }
                        if let welch { secondary.append(Self.test("Welch t", welch.test)) }
                    } else if let w = welch {
                        c["effect"] = .object(Self.estimate(w.difference, [("measure", "mean difference (b − a)")]))
                        c["test"] = Self.test("Welch t", w.test)
                        p = w.test.p
                    } else {
                        c["test"] = ["name": "Welch t", "p": 1]
                    }
                    if let mw = Statistics.mannWhitney(x, y) {
                        secondary.append(Self.test("Mann–Whitney U (z)", mw.test))
                    }
                    c["secondary"] = .array(secondary)
                    var sizes: [JSONValue] = []
                    if let d = Statistics.cohensD(x, y) {
                        sizes.append(.object(Self.estimate(d, [("name", "Cohen's d")])))
                    }
                    if let d = Statistics.cliffsDelta(x, y) {
                        sizes.append(.object(Self.estimate(d, [("name", "Cliff's delta")])))
                    }
                    c["effectSizes"] = .array(sizes)
                    let sd = (Statistics.meanVariance(x + y).variance).squareRoot()
                    if let mde = Statistics.minimumDetectableEffect(sd: sd, n1: x.count, n2: y.count) {
                        c["mde"] = Self.number(mde)
                    }
                    comparisons.append(Comparison(outcome: 0, a: a, b: b, json: c, p: p))
                }
            }
        case .categorical, .pass:
            let labels: [String]
            if case .categorical(let options) = outcome.measure {
                labels = options
            } else {
                labels = ["failed", "passed"]
            }
            json["measure"] = outcome.measure == .pass ? "pass" : "categorical"
            let tables: [[Int]] = samples.map { values in
                var counts = [Int](repeating: 0, count: labels.count)
                for v in values {
                    let k = Int(v)
                    if counts.indices.contains(k) { counts[k] += 1 }
                }
                return counts
            }
            json["arms"] = .array(
                samples.indices.map { a in
                    let n = samples[a].count
                    return [
                        "arm": .string(names[a]), "n": .integer(Int64(n)),
                        "shares": .array(
                            labels.indices.map { k in
                                let (low, high) = Statistics.wilson(tables[a][k], n)
                                return [
                                    "option": .string(labels[k]), "count": .integer(Int64(tables[a][k])),
                                    "share": Self.number(n > 0 ? Double(tables[a][k]) / Double(n) : 0),
                                    "low": Self.number(low), "high": Self.number(high),
                                ]
                            }),
                    ]
                })
            if samples.count > 2, let chi = Statistics.chiSquare(tables) {
                json["omnibus"] = Self.test("χ²", chi)
                if let v = Statistics.cramersV(tables) {
                    json["omnibusEffect"] = .object(Self.estimate(v, [("name", "Cramér's V")]))
                }
            }
            for a in samples.indices {
                for b in samples.indices where b > a {
                    var c = JSONObject([("a", .string(names[a])), ("b", .string(names[b]))])
                    let pair = [tables[a], tables[b]]
                    var p = 1.0
                    let small = Statistics.smallestExpected(pair) < 5
                    let nonEmpty = labels.indices.filter { pair[0][$0] + pair[1][$0] > 0 }
                    if small, nonEmpty.count == 2 {
                        let (k0, k1) = (nonEmpty[0], nonEmpty[1])
                        p = Statistics.fisherExact(pair[0][k0], pair[0][k1], pair[1][k0], pair[1][k1])
                        c["test"] = ["name": "Fisher exact", "p": Self.number(p)]
                    } else if let chi = Statistics.chiSquare(pair) {
                        p = chi.p
                        c["test"] = Self.test("χ²", chi)
                        if small {
                            notes.append(
                                "\(outcome.id), \(names[a]) vs \(names[b]): an expected count is below 5, so the χ² p-value is approximate"
                            )
                        }
                    } else {
                        c["test"] = ["name": "χ²", "p": 1]
                    }
                    let na = samples[a].count
                    let nb = samples[b].count
                    var effects: [JSONValue] = []
                    for k in labels.indices where outcome.measure != .pass || k == 1 {
                        if let d = Statistics.newcombe(tables[b][k], nb, tables[a][k], na) {
                            effects.append(
                                .object(
                                    Self.estimate(
                                        d, [("measure", "difference in share (b − a)"), ("option", .string(labels[k]))])
                                ))
                        }
                    }
                    c["effects"] = .array(effects)
                    if let v = Statistics.cramersV(pair) {
                        c["effectSizes"] = [.object(Self.estimate(v, [("name", "Cramér's V")]))]
                    }
                    let focus = outcome.measure == .pass ? 1 : 0
                    let pooled = Double(tables[a][focus] + tables[b][focus]) / Double(max(1, na + nb))
                    if let mde = Statistics.minimumDetectableEffect(
                        sd: (pooled * (1 - pooled)).squareRoot(), n1: na, n2: nb)
                    {
                        c["mde"] = Self.number(mde)
                    }
                    comparisons.append(Comparison(outcome: 0, a: a, b: b, json: c, p: p))
                }
            }
            if outcome.measure == .pass { json["passK"] = passK() }
        }
        for k in comparisons.indices { comparisons[k].outcome = outcomeIndex(outcome.id) }
        return (json, comparisons, notes)
    }

    /// The values of outcome `i` of the respondents who answered it in both arms `b` and `a`, in the
    /// order they were first seen.
    func paired(_ i: Int, _ b: Int, _ a: Int) -> ([Double], [Double]) {
        var inA: [Int: Double] = [:]
        var inB: [(Int, Double)] = []
        for o in observations {
            guard let v = o.values[i] else { continue }
            if o.arm == a { inA[o.cluster] = v } else if o.arm == b { inB.append((o.cluster, v)) }
        }
        inB.sort { $0.0 < $1.0 }
        var x: [Double] = []
        var y: [Double] = []
        for (cluster, v) in inB {
            guard let w = inA[cluster] else { continue }
            x.append(v)
            y.append(w)
        }
        return (x, y)
    }

    func outcomeIndex(_ id: String) -> Int { outcomes.firstIndex { $0.id == id } ?? 0 }

    /// Counts of each distinct value (numeric answers are few distinct values: Likert points).
    static func distribution(_ values: [Double]) -> JSONValue {
        var counts: [Double: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        guard counts.count <= 50 else { return .null }
        return .array(counts.keys.sorted().map { ["value": number($0), "count": .integer(Int64(counts[$0] ?? 0))] })
    }

}
