import Foundation
import Inference
import Runs
public import Storage

/// The graded result of one episode (spec §10.8).
public struct EvalResult: Sendable, Hashable {
    /// The product of the basis components (0 if the termination is not rewardable or a component was skipped).
    public var reward: Double
    /// The components the reward multiplies.
    public var basis: [RewardComponent]
    /// How the episode ended.
    public var termination: EpisodeTermination
    /// Component scores in basis order; `nil` = skipped (NL without a judge).
    public var components: [(component: RewardComponent, score: Double?)]
    /// The DB check.
    public var db: DBCheck
    /// Each env assertion and whether it held.
    public var assertions: [(message: String, met: Bool)]
    /// Each communicate_info string and whether the agent said it.
    public var communicate: [(info: String, met: Bool)]
    /// Each required output and whether it matched.
    public var outputs: [(pattern: String, met: Bool)]
    /// Each required-call group and whether a call matched it.
    public var requiredCalls: [Bool]
    /// Each gold action and whether a call matched it.
    public var actions: [(actionID: String, matched: Bool)]
    /// Fractions of gold read and write actions matched (`nil` when there are none).
    public var partialActionReward: (read: Double?, write: Double?)
    /// Whether a transfer was expected and whether one happened.
    public var transfer: (expected: Bool, observed: Bool)
    /// Whether the basis has NL assertions and no judge was configured.
    public var needsJudge: Bool
    /// The judge's verdict per NL assertion; `nil` when no judge was configured (spec §10.8).
    public var nl: [NLAssertionResult]? = nil

    /// Whether a judge call failed because its endpoint is unusable (the episode is then not graded).
    public var judgeUnavailable: Bool { nl?.contains(where: \.infrastructure) ?? false }

    /// Whether the reward is 1 (|r − 1| ≤ 1e−6).
    public var passed: Bool { abs(reward - 1) <= 1e-6 }

    /// Equality by JSON form.
    public static func == (a: EvalResult, b: EvalResult) -> Bool { a.json == b.json }
    /// Hash by JSON form.
    public func hash(into hasher: inout Hasher) { hasher.combine(CanonicalJSON.string(json)) }

    /// The DB component's details.
    public struct DBCheck: Sendable, Hashable, Codable {
        /// Whether the digests are equal.
        public var match: Bool
        /// The gold target's digest.
        public var targetDigest: String
        /// The final state's digest.
        public var predictedDigest: String
        /// Row-level differences from target to predicted (empty when they match).
        public var diff: [RowChange]
    }

    /// The result as JSON (fixed key order).
    public var json: JSONValue {
        func diffJSON(_ c: RowChange) -> JSONValue {
            .object(
                JSONObject([
                    ("table", .string(c.table)), ("key", .string(c.key)), ("kind", .string(c.kind)),
                    (
                        "columns",
                        .array(
                            c.columns.map {
                                .object(
                                    JSONObject([
                                        ("column", .string($0.column)), ("before", $0.before ?? .null),
                                        ("after", $0.after ?? .null),
                                    ]))
                            })
                    ),
                ]))
        }
        var object = JSONObject([
            ("reward", .number(reward)), ("basis", .array(basis.map { .string($0.rawValue) })),
            ("termination", .string(termination.rawValue)),
            (
                "components",
                .array(
                    components.map {
                        .object(
                            JSONObject([
                                ("name", .string($0.component.rawValue)),
                                ("score", $0.score.map { .number($0) } ?? .string("skipped")),
                            ]))
                    })
            ),
            (
                "db",
                .object(
                    JSONObject([
                        ("match", .bool(db.match)), ("targetDigest", .string(db.targetDigest)),
                        ("predictedDigest", .string(db.predictedDigest)),
                        ("diff", .array(db.diff.map(diffJSON))),
                    ]))
            ),
            (
                "assertions",
                .array(
                    assertions.map { .object(JSONObject([("message", .string($0.message)), ("met", .bool($0.met))])) })
            ),
            (
                "communicate",
                .array(communicate.map { .object(JSONObject([("info", .string($0.info)), ("met", .bool($0.met))])) })
            ),
            (
                "outputs",
                .array(outputs.map { .object(JSONObject([("pattern", .string($0.pattern)), ("met", .bool($0.met))])) })
            ),
            ("requiredCalls", .array(requiredCalls.map { .bool($0) })),
            (
                "actions",
                .array(
                    actions.map {
                        .object(JSONObject([("actionId", .string($0.actionID)), ("matched", .bool($0.matched))]))
                    })
            ),
            (
                "partialActionReward",
                .object(
                    JSONObject([
                        ("read", partialActionReward.read.map { .number($0) } ?? .null),
                        ("write", partialActionReward.write.map { .number($0) } ?? .null),
                    ]))
            ),
            (
                "transfer",
                .object(JSONObject([("expected", .bool(transfer.expected)), ("observed", .bool(transfer.observed))]))
            ),
            ("needsJudge", .bool(needsJudge)),
        ])
        if let nl { object["nl"] = .array(nl.map(\.json)) }
        return .object(object)
    }
}

/// Grades episodes deterministically; NL assertions only with a judge (without one they are reported
/// as needing one and never counted as passed).
public enum Grader {
    /// The gold target state of a task: a fresh environment plus the initial state plus the gold actions replayed.
    /// Returns the environment and the gold steps' results.
    public static func target(domain: ToolDomain, task: ToolTask) throws -> (ToolEnvironment, [ToolResult]) {
        let environment = try ToolEnvironment(domain: domain, task: task)
        var results: [ToolResult] = []
        for action in task.actions {
            results.append(environment.call(action.name, arguments: action.arguments, side: action.requestor))
        }
        return (environment, results)
    }

    /// Grades a finished episode against the task, given the final environment and the target environment.
    /// With `digests: false` the DB check compares the changed rows only and leaves the digest fields empty
    /// (equivalent for equality, and much faster on large imported states in debug builds).
    public static func grade(
        task: ToolTask, outcome: EpisodeOutcome, final: ToolEnvironment, target: ToolEnvironment, digests: Bool = true
    ) throws -> EvalResult {
        let domain = final.domain
        let diff = try final.diff(from: target)
        let match = diff.isEmpty
        let db = EvalResult.DBCheck(
            match: match, targetDigest: digests ? try target.digest().hex : "",
            predictedDigest: digests ? try final.digest().hex : "", diff: diff)

        let agentTexts = outcome.transcript.filter { $0.role == "assistant" && $0.content != nil }.compactMap(\.content)
        var calls: [(name: String, args: JSONObject, side: ToolSide)] = []
        for entry in outcome.transcript {
            for call in entry.toolCalls {
                let args = (try? JSONValue.parse(call.arguments))?.objectValue ?? JSONObject()
                calls.append((call.name, args, call.side))
            }
        }
        let communicate = task.communicateInfo.map { info in
            (
                info,
                agentTexts.contains {
                    $0.lowercased().replacingOccurrences(of: ",", with: "").contains(info.lowercased())
                }
            )
        }
        let outputs = task.requiredOutputs.map { output -> (String, Bool) in
            let met = agentTexts.contains { text in
                if output.kind == "exact" { return text.contains(output.pattern) }
                guard let regex = try? LinearRegex(output.pattern) else { return false }
                return regex.matches(in: text)
            }
            return (output.pattern, met)
        }
        let requiredCalls = task.requiredCalls.map { group in
            group.anyOf.contains { alt in
                calls.contains { c in
                    c.name == alt.name
                        && (alt.compareArgs ?? JSONObject()).allSatisfy { key, value in
                            c.args[key].map { CanonicalJSON.string($0) == CanonicalJSON.string(value) } ?? false
                        }
                }
            }
        }
        let actions = task.actions.map { action in
            (
                action.actionID,
                calls.contains { c in c.side == action.requestor && matches(action, name: c.name, args: c.args) }
            )
        }
        var readTotal = 0
        var readHit = 0
        var writeTotal = 0
        var writeHit = 0
        for (action, (_, hit)) in zip(task.actions, actions) {
            let mutates = domain.tool(named: action.name, side: action.requestor)?.mutatesState ?? false
            if mutates {
                writeTotal += 1
                if hit { writeHit += 1 }
            } else {
                readTotal += 1
                if hit { readHit += 1 }
            }
        }
        let transferObserved =
            outcome.termination == .agentTransfer || outcome.termination == .userTransferred
            || outcome.transcript.contains { e in
                e.role == "tool" && !e.error
                    && e.toolResult.map { domain.tool(named: $0.name, side: e.side)?.kind == .transfer } == true
            }
        let assertions = task.envAssertions.map { a in (a.message ?? a.sql ?? a.function ?? "", final.check(a)) }

        var components: [(component: RewardComponent, score: Double?)] = []
        var needsJudge = false
        for component in task.rewardBasis {
            let score: Double?
            switch component {
            case .db: score = match ? 1 : 0
            case .envAssertion: score = assertions.allSatisfy(\.1) ? 1 : 0
            case .communicate: score = communicate.allSatisfy(\.1) ? 1 : 0
            case .outputs: score = outputs.allSatisfy(\.1) ? 1 : 0
            case .requiredCalls: score = requiredCalls.allSatisfy { $0 } ? 1 : 0
            case .action: score = actions.allSatisfy(\.1) ? 1 : 0
            case .transfer: score = transferObserved == task.expectTransfer ? 1 : 0
            case .nlAssertion:
                score = task.nlAssertions.isEmpty ? 1 : nil
                if score == nil { needsJudge = true }
            }
            components.append((component, score))
        }
        var reward = components.reduce(1.0) { $0 * ($1.score ?? 0) }
        if !outcome.termination.isRewardable { reward = 0 }
        return EvalResult(
            reward: reward, basis: task.rewardBasis, termination: outcome.termination, components: components, db: db,
            assertions: assertions, communicate: communicate, outputs: outputs, requiredCalls: requiredCalls,
            actions: actions,
            partialActionReward: (
                readTotal == 0 ? nil : Double(readHit) / Double(readTotal),
                writeTotal == 0 ? nil : Double(writeHit) / Double(writeTotal)
            ),
            transfer: (task.expectTransfer, transferObserved), needsJudge: needsJudge)
    }

    /// Grades a finished episode and, with a judge, the task's NL assertions (see ``judge(_:task:outcome:judge:)``).
    public static func grade(
        task: ToolTask, outcome: EpisodeOutcome, final: ToolEnvironment, target: ToolEnvironment, digests: Bool = true,
        judge: (any Judge)?
    ) async throws -> EvalResult {
        let result = try grade(task: task, outcome: outcome, final: final, target: target, digests: digests)
        guard let judge else { return result }
        return await Self.judge(result, task: task, outcome: outcome, judge: judge)
    }

    /// Grades the NL_ASSERTION component of `result` with `judge`.
    ///
    /// Only when the basis has NL_ASSERTION: each of the task's NL assertions gets one verdict; the
    /// component scores 1 when every assertion is met, 0 when one is not, and stays `skipped` (so the
    /// reward is 0) when a judge call failed — the failure is recorded in `nl`, never counted as met.
    /// Episodes whose termination is not rewardable are not sent to the judge (their reward is 0
    /// anyway, as in tau2); their `nl` is empty. `needsJudge` becomes false.
    public static func judge(_ result: EvalResult, task: ToolTask, outcome: EpisodeOutcome, judge: any Judge) async
        -> EvalResult
    {
        var result = result
        guard let index = result.components.firstIndex(where: { $0.component == .nlAssertion }) else { return result }
        result.needsJudge = false
        guard !task.nlAssertions.isEmpty else {
            result.nl = []
            return result
        }
        var verdicts: [NLAssertionResult] = []
        if outcome.termination.isRewardable {
            for assertion in task.nlAssertions {
                do {
                    let verdict = try await judge.verdict(on: assertion, task: task, transcript: outcome.transcript)
                    verdicts.append(NLAssertionResult(assertion: assertion, verdict: verdict))
                } catch let error as InferenceError {
                    let infra = error.stopsRun
                    verdicts.append(
                        NLAssertionResult(
                            assertion: assertion, verdict: nil, error: error.description, infrastructure: infra))
                } catch {
                    verdicts.append(NLAssertionResult(assertion: assertion, verdict: nil, error: "\(error)"))
                }
            }
        }
        result.nl = verdicts
        let score: Double?
        if verdicts.count < task.nlAssertions.count || verdicts.contains(where: { $0.verdict == nil }) {
            score = nil
        } else {
            score = verdicts.allSatisfy(\.met) ? 1 : 0
        }
        result.components[index].score = score
        result.reward = outcome.termination.isRewardable ? result.components.reduce(1.0) { $0 * ($1.score ?? 0) } : 0
        return result
    }

    /// tau2's ACTION rule: same name, and the compared arguments equal after canonical JSON
    /// (`compare_args` nil → the call's keys; `[]` → name only).
    public static func matches(_ action: ToolAction, name: String, args: JSONObject) -> Bool {
        guard action.name == name else { return false }
        let keys = action.compareArgs ?? args.keys
        if keys.isEmpty { return true }
        let gold = action.arguments.objectValue ?? JSONObject()
        for key in keys {
            let a = args[key].map { CanonicalJSON.string($0) }
            let b = gold[key].map { CanonicalJSON.string($0) }
            if a != b { return false }
        }
        return true
    }
}
