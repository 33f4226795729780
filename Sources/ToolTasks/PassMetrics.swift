import Runs
public import Storage

/// One graded trial, as metrics see it.
public struct TrialRecord: Sendable, Hashable {
    /// The task.
    public var taskID: String
    /// The trial index (0-based).
    public var trial: Int
    /// The persona policy id, if any.
    public var personaID: String?
    /// The persona's `axis=level` items.
    public var personaLevels: [String]
    /// The splits the task belongs to.
    public var splits: [String]
    /// How the episode ended.
    public var termination: EpisodeTermination
    /// The reward.
    public var reward: Double
    /// Whether the task needs a judge (never counted as passed).
    public var needsJudge: Bool
    /// Tool calls and tool errors in the episode.
    public var toolCalls: Int
    /// Tool errors in the episode.
    public var toolErrors: Int

    /// Creates a record.
    public init(
        taskID: String, trial: Int, personaID: String? = nil, personaLevels: [String] = [], splits: [String] = [],
        termination: EpisodeTermination, reward: Double, needsJudge: Bool = false, toolCalls: Int = 0,
        toolErrors: Int = 0
    ) {
        self.taskID = taskID
        self.trial = trial
        self.personaID = personaID
        self.personaLevels = personaLevels
        self.splits = splits
        self.termination = termination
        self.reward = reward
        self.needsJudge = needsJudge
        self.toolCalls = toolCalls
        self.toolErrors = toolErrors
    }

    /// Success: |reward − 1| ≤ 1e−6 and no judge needed.
    public var passed: Bool { abs(reward - 1) <= 1e-6 && !needsJudge }
}

/// pass^k, pass@k and breakdowns over trials (spec §10.8).
public enum PassMetrics {
    /// C(n, k) as a Double (exact for n ≤ 64).
    public static func binomial(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return 0 }
        var result = 1.0
        for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
        return result.rounded()
    }

    /// pass^k for one task: C(c, k) / C(n, k) (all k of k i.i.d. trials pass).
    public static func passHat(k: Int, successes c: Int, trials n: Int) -> Double {
        binomial(n, k) == 0 ? 0 : binomial(c, k) / binomial(n, k)
    }

    /// pass@k for one task: 1 − C(n − c, k) / C(n, k) (at least one of k passes).
    public static func passAt(k: Int, successes c: Int, trials n: Int) -> Double {
        binomial(n, k) == 0 ? 0 : 1 - binomial(n - c, k) / binomial(n, k)
    }

    /// The summary of a set of trials.
    public static func summary(_ records: [TrialRecord]) -> JSONValue {
        let counted = records.filter { $0.termination != .infraError }
        var taskOrder: [String] = []
        var byTask: [String: (n: Int, c: Int)] = [:]
        for r in counted {
            if byTask[r.taskID] == nil { taskOrder.append(r.taskID) }
            byTask[r.taskID, default: (0, 0)].n += 1
            if r.passed { byTask[r.taskID, default: (0, 0)].c += 1 }
        }
        let nMin = taskOrder.map { byTask[$0]?.n ?? 0 }.min() ?? 0
        func curve(_ f: (Int, Int, Int) -> Double) -> JSONValue {
            guard nMin > 0, !taskOrder.isEmpty else { return .array([]) }
            return .array(
                (1...nMin).map { k in
                    .number(
                        taskOrder.reduce(0.0) { $0 + f(k, byTask[$1]?.c ?? 0, byTask[$1]?.n ?? 0) }
                            / Double(taskOrder.count))
                })
        }
        func group(_ key: (TrialRecord) -> [String]) -> JSONValue {
            var order: [String] = []
            var stats: [String: (n: Int, c: Int, reward: Double)] = [:]
            for r in counted {
                for k in key(r) {
                    if stats[k] == nil { order.append(k) }
                    stats[k, default: (0, 0, 0)].n += 1
                    stats[k, default: (0, 0, 0)].reward += r.reward
                    if r.passed { stats[k, default: (0, 0, 0)].c += 1 }
                }
            }
            order.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            return .array(
                order.map { k in
                    let s = stats[k] ?? (0, 0, 0)
                    return .object(
                        JSONObject([
                            ("key", .string(k)), ("trials", .integer(Int64(s.n))), ("passed", .integer(Int64(s.c))),
                            ("passRate", .number(s.n == 0 ? 0 : Double(s.c) / Double(s.n))),
                            ("avgReward", .number(s.n == 0 ? 0 : s.reward / Double(s.n))),
                        ]))
                })
        }
        let flaky = taskOrder.filter {
            let s = byTask[$0] ?? (0, 0)
            return s.c > 0 && s.c < s.n
        }
        let calls = counted.reduce(0) { $0 + $1.toolCalls }
        let errors = counted.reduce(0) { $0 + $1.toolErrors }
        return .object(
            JSONObject([
                ("trials", .integer(Int64(counted.count))), ("tasks", .integer(Int64(taskOrder.count))),
                ("infraErrorsExcluded", .integer(Int64(records.count - counted.count))),
                (
                    "avgReward",
                    .number(counted.isEmpty ? 0 : counted.reduce(0.0) { $0 + $1.reward } / Double(counted.count))
                ),
                ("passHat", curve { k, c, n in passHat(k: k, successes: c, trials: n) }),
                ("passAt", curve { k, c, n in passAt(k: k, successes: c, trials: n) }),
                ("byTermination", group { [$0.termination.rawValue] }),
                ("byPersona", group { $0.personaID.map { [$0] } ?? [] }),
                ("byPersonaLevel", group { $0.personaLevels }),
                ("bySplit", group { $0.splits }),
                ("toolErrorRate", .number(calls == 0 ? 0 : Double(errors) / Double(calls))),
                ("flakyTasks", .array(flaky.map { .string($0) })),
                (
                    "needsJudge",
                    .array(
                        taskOrder.filter { id in counted.contains { $0.taskID == id && $0.needsJudge } }.map {
                            .string($0)
                        })
                ),
            ]))
    }
}
