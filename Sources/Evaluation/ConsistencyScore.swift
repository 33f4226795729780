import Foundation
public import Storage

/// A judge's verdict on one line.
public enum Verdict: String, Sendable, Hashable, CaseIterable, Codable {
    /// The line fits the persona (or the speaker's earlier lines).
    case consistent
    /// The line contradicts them.
    case contradiction
}

/// A score with the count it rests on; `score` is `nil` when `n` is 0, never 1.0.
public struct MetricScore: Sendable, Hashable {
    /// The score in [0, 1], or `nil` when nothing was measured.
    public var score: Double?
    /// What it averages over: judged lines (p2l), earlier lines compared (l2l), probes (qa).
    public var n: Int
    /// Flagged indices dropped as duplicates, other speakers' or not earlier (l2l only).
    public var judgeErrors: Int?

    /// Creates a score.
    public init(score: Double?, n: Int, judgeErrors: Int? = nil) {
        self.score = n == 0 ? nil : score
        self.n = n
        self.judgeErrors = judgeErrors
    }

    /// `{"score", "n"[, "judgeErrors"]}` with the score rounded to 4 decimals.
    public var json: JSONValue {
        var object = JSONObject([("score", ConsistencyScore.rounded(score)), ("n", .integer(Int64(n)))])
        if let judgeErrors { object["judgeErrors"] = .integer(Int64(judgeErrors)) }
        return .object(object)
    }
}

/// The arithmetic of the three metrics (evaluation.md §C.2): pure functions of the verdicts.
public enum ConsistencyScore {
    /// Prompt-to-line: the share of `verdicts` that are `consistent`; `nil` with no lines.
    public static func promptToLine(_ verdicts: [Verdict]) -> MetricScore {
        let consistent = verdicts.filter { $0 == .consistent }.count
        return MetricScore(
            score: verdicts.isEmpty ? nil : Double(consistent) / Double(verdicts.count), n: verdicts.count)
    }

    /// The flagged indices a line-to-line judge may count: de-duplicated (first occurrence kept),
    /// then only those in `allowed` (the speaker's earlier line numbers); everything dropped is a
    /// judge error.
    public static func validFlags(_ flagged: [Int], allowed: [Int]) -> (valid: [Int], judgeErrors: Int) {
        var seen: [Int] = []
        var errors = 0
        for index in flagged {
            if seen.contains(index) {
                errors += 1
                continue
            }
            seen.append(index)
            if !allowed.contains(index) { errors += 1 }
        }
        return (seen.filter { allowed.contains($0) }, errors)
    }

    /// One judged line of line-to-line: the speaker's j-th line (j earlier lines) and its valid flags.
    public struct LineFlags: Sendable, Hashable {
        /// How many earlier lines of the speaker there were.
        public var earlier: Int
        /// The valid flagged indices.
        public var valid: Int
        /// Indices dropped.
        public var judgeErrors: Int

        /// Creates a record.
        public init(earlier: Int, valid: Int, judgeErrors: Int) {
            self.earlier = earlier
            self.valid = valid
            self.judgeErrors = judgeErrors
        }

        /// The per-line value 1 − |valid_j| / j.
        public var value: Double { earlier == 0 ? 1 : 1 - Double(valid) / Double(earlier) }
    }

    /// Line-to-line: 1 − Σ|valid_j| / Σ j over the judged lines (a micro-average); `n` = Σ j.
    public static func lineToLine(_ lines: [LineFlags]) -> MetricScore {
        let total = lines.reduce(0) { $0 + $1.earlier }
        let flagged = lines.reduce(0) { $0 + $1.valid }
        let errors = lines.reduce(0) { $0 + $1.judgeErrors }
        return MetricScore(
            score: total == 0 ? nil : 1 - Double(flagged) / Double(total), n: total, judgeErrors: errors)
    }

    /// Q&A: the mean over checkpoints of the fraction answered correctly; `n` = probes answered.
    public static func questionAnswer(_ checkpoints: [(correct: Int, asked: Int)]) -> MetricScore {
        let used = checkpoints.filter { $0.asked > 0 }
        let n = used.reduce(0) { $0 + $1.asked }
        guard !used.isEmpty else { return MetricScore(score: nil, n: 0) }
        let mean = used.reduce(0.0) { $0 + Double($1.correct) / Double($1.asked) } / Double(used.count)
        return MetricScore(score: mean, n: n)
    }

    /// Mean ± sd of `scores` (the per-speaker scores of a condition) and a seeded percentile
    /// bootstrap 95% interval of the mean; `nil` parts when there are too few scores (mean: 1, sd
    /// and interval: 2).
    public static func aggregate(_ scores: [Double], seed: UInt64, draws: Int = 2000) -> JSONValue {
        let n = scores.count
        guard n > 0 else {
            return ["mean": .null, "sd": .null, "ci": .null, "n": 0]
        }
        let mean = scores.reduce(0, +) / Double(n)
        var sd: Double?
        var ci: (Double, Double)?
        if n > 1 {
            sd = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
            var stream = RandomStream(seed: seed)
            var means: [Double] = []
            means.reserveCapacity(draws)
            for _ in 0..<draws {
                var total = 0.0
                for _ in 0..<n { total += scores[Int(stream.nextInt(below: UInt64(n)))] }
                means.append(total / Double(n))
            }
            means.sort()
            func percentile(_ q: Double) -> Double {
                let position = q * Double(draws - 1)
                let lower = Int(position.rounded(.down))
                let upper = min(draws - 1, lower + 1)
                let fraction = position - Double(lower)
                return means[lower] * (1 - fraction) + means[upper] * fraction
            }
            ci = (percentile(0.025), percentile(0.975))
        }
        return .object(
            JSONObject([
                ("mean", rounded(mean)), ("sd", rounded(sd)),
                ("ci", ci.map { [rounded($0.0), rounded($0.1)] } ?? .null), ("n", .integer(Int64(n))),
            ]))
    }

    /// `x` rounded to 4 decimals as JSON (`null` for `nil`).
    public static func rounded(_ x: Double?) -> JSONValue {
        guard let x else { return .null }
        return .number((x * 10_000).rounded() / 10_000)
    }
}
