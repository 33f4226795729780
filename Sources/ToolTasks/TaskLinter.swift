import Memory
import Runs
import Storage

/// One problem the task linter found.
public struct LintFinding: Sendable, Hashable {
    /// The rule (1–5).
    public var rule: Int
    /// The task, if the finding is about one.
    public var taskID: String?
    /// `error` or `warning`.
    public var severity: String
    /// What is wrong and what to do.
    public var message: String

    /// `rule N · task T · severity: message`.
    public var line: String {
        "rule \(rule)" + (taskID.map { " · task \($0)" } ?? "") + " · \(severity): \(message)"
    }
}

/// The task linter (spec §10.5): gold replay, no-op check, known-info heuristic, persona text, policy tools.
public enum TaskLinter {
    /// The reward of the canonical no-op trajectory (greeting → "I can't help with that." → `###STOP###`).
    public static func noOpReward(domain: ToolDomain, task: ToolTask) async throws -> Double {
        let environment = try ToolEnvironment(domain: domain, task: task)
        let outcome = try await Episode.run(
            task: task, environment: environment, agent: NoOpAgent(),
            user: TranscriptUser([task.scenario.reasonForCall ?? "Hello."]))
        let (target, _) = try Grader.target(domain: domain, task: task)
        return try Grader.grade(task: task, outcome: outcome, final: environment, target: target, digests: false).reward
    }

    /// Every finding for every task of the domain (`strict`: unexpected gold errors are errors, not warnings).
    public static func lint(_ domain: ToolDomain, strict: Bool = false) async -> [LintFinding] {
        var findings: [LintFinding] = []
        for task in domain.tasks {
            do {
                // Rule 1: the gold replay succeeds and its digest is stable.
                let (first, results) = try Grader.target(domain: domain, task: task)
                let (second, _) = try Grader.target(domain: domain, task: task)
                for (action, result) in zip(task.actions, results) where result.error && !action.expectError {
                    findings.append(
                        .init(
                            rule: 1, taskID: task.id, severity: strict ? "error" : "warning",
                            message: "gold step \(action.actionID) (\(action.name)) fails: \(result.content)"))
                }
                if try first.digest().hex != second.digest().hex {
                    findings.append(
                        .init(
                            rule: 1, taskID: task.id, severity: "error",
                            message: "the target digest differs between two gold replays (nondeterministic tool)"))
                }
                let environment = try ToolEnvironment(domain: domain, task: task)
                let outcome = try await Episode.run(
                    task: task, environment: environment, agent: GoldReplayAgent(), user: ScriptedUser())
                let gold = try Grader.grade(
                    task: task, outcome: outcome, final: environment, target: first, digests: false)
                if !gold.passed && !gold.needsJudge {
                    findings.append(
                        .init(
                            rule: 1, taskID: task.id, severity: "error",
                            message: "the gold replay scores \(gold.reward), not 1 (\(outcome.termination.rawValue))"))
                }
                // Rule 2: the no-op trajectory scores 0.
                if try await noOpReward(domain: domain, task: task) > 0 {
                    findings.append(
                        .init(
                            rule: 2, taskID: task.id, severity: task.allowTrivial ? "warning" : "error",
                            message:
                                "trivially_passable: a no-op agent scores 1; add communicate_info, x_required_outputs, x_required_calls or x_expect_transfer"
                                + (task.allowTrivial ? " (allowed: x_allow_trivial)" : "")))
                }
                // Rule 3: literal values of the first gold reads appear in known_info or earlier gold outputs.
                var seen =
                    (task.scenario.knownInfo ?? "") + "\n" + (task.scenario.plainInstructions ?? "") + "\n"
                    + (task.scenario.taskInstructions ?? "") + "\n" + (task.scenario.reasonForCall ?? "")
                for (action, result) in zip(task.actions, results) {
                    if domain.tool(named: action.name, side: action.requestor)?.mutatesState == true { break }
                    for (key, value) in action.arguments.objectValue ?? JSONObject() {
                        guard let literal = value.stringValue, !seen.lowercased().contains(literal.lowercased()) else {
                            continue
                        }
                        findings.append(
                            .init(
                                rule: 3, taskID: task.id, severity: "warning",
                                message:
                                    "gold step \(action.actionID) uses \(key) = \(literal.debugDescription), which neither known_info nor an earlier gold output contains"
                            ))
                    }
                    seen += "\n" + result.content
                }
                // Rule 4: persona text has no digits, emails or ids.
                if let persona = task.scenario.persona {
                    for problem in PersonaLibrary.lintText(persona) where !problem.contains("delays") {
                        findings.append(
                            .init(
                                rule: 4, taskID: task.id, severity: "warning",
                                message: "user_scenario.persona: \(problem)"))
                    }
                }
                if let ref = task.personaPolicyRef, let name = ref.split(separator: "#").last.map(String.init),
                    domain.personas?.preset(name) == nil
                {
                    findings.append(
                        .init(
                            rule: 4, taskID: task.id, severity: "error",
                            message: "x_persona_policy names unknown preset \(ref)"))
                }
            } catch {
                findings.append(.init(rule: 1, taskID: task.id, severity: "error", message: "cannot replay: \(error)"))
            }
        }
        // Rule 5: every tool the policy names exists on the agent side (for a domain party's policy:
        // among the tools that party may call).
        for name in policyToolNames(domain.policy) where !domain.tools(for: .agent).contains(where: { $0.name == name })
        {
            findings.append(
                .init(
                    rule: 5, taskID: nil, severity: "error",
                    message: "the policy names tool \(name), which the agent does not have"))
        }
        for party in domain.manifest.parties {
            let tools = domain.tools(for: .agent, party: party.id.raw)
            for name in policyToolNames(party.policy) where !tools.contains(where: { $0.name == name }) {
                findings.append(
                    .init(
                        rule: 5, taskID: nil, severity: "error",
                        message: "the \(party.name) policy names tool \(name), which that party does not have"))
            }
        }
        return findings
    }

    /// Identifiers in the policy that look like tool names (`verb_object`, in backticks or followed by `(`,
    /// or any identifier that is the name of a user-side tool).
    static func policyToolNames(_ policy: String) -> [String] {
        let verbs = [
            "get", "find", "list", "update", "create", "cancel", "book", "send", "issue", "change", "search",
            "transfer", "escalate", "check", "click", "set", "toggle", "reset", "lookup", "modify", "return",
            "exchange",
        ]
        var out: [String] = []
        var current = ""
        var chars = Array(policy)
        chars.append(" ")
        for (i, c) in chars.enumerated() {
            if c.isLetter || c.isNumber || c == "_" {
                current.append(c)
                continue
            }
            defer { current = "" }
            guard current.contains("_"), let verb = current.split(separator: "_").first, verbs.contains(String(verb))
            else { continue }
            let start = i - current.count
            let quoted = start > 0 && chars[start - 1] == "`"
            if quoted || c == "(" || c == "`", !out.contains(current) { out.append(current) }
        }
        return out
    }
}
