public import Runs
public import Storage

/// A component of a task's reward (spec §10.8).
public enum RewardComponent: String, Sendable, Hashable, Codable, CaseIterable {
    /// The final state digest equals the gold target's.
    case db = "DB"
    /// Declarative or native assertions on the final state.
    case envAssertion = "ENV_ASSERTION"
    /// Each `communicate_info` string appears in the agent's text.
    case communicate = "COMMUNICATE"
    /// Natural-language assertions (needs a judge).
    case nlAssertion = "NL_ASSERTION"
    /// Every gold action was called (tau2 ACTION).
    case action = "ACTION"
    /// Every `x_required_outputs` pattern matches the agent's text.
    case outputs = "OUTPUTS"
    /// Every `x_required_calls` group has a matching call.
    case requiredCalls = "REQUIRED_CALLS"
    /// A transfer happened exactly when `x_expect_transfer` says so.
    case transfer = "TRANSFER"
}

/// One gold (or initialisation) tool call of a task.
public struct ToolAction: Sendable, Hashable {
    /// The action id (`"5_0"`).
    public var actionID: String
    /// Who calls it.
    public var requestor: ToolSide
    /// The tool.
    public var name: String
    /// The arguments object.
    public var arguments: JSONValue
    /// Which arguments ACTION compares: `nil` all of the call's, `[]` none (name only).
    public var compareArgs: [String]?
    /// Whether this step is expected to fail (`x_expect_error` / `expectError`).
    public var expectError: Bool
    /// The domain party that performs it in a gold replay (`x_party`), or `nil` for the agent under test.
    public var party: String? = nil
}

/// A named assertion on the final state.
public struct EnvAssertion: Sendable, Hashable {
    /// A declarative query returning one value (first column of the first row).
    public var sql: String?
    /// A native assertion function (tau2 `func_name`).
    public var function: String?
    /// Arguments for a native function.
    public var arguments: JSONValue
    /// The expected value (`expect`, or tau2 `assert_value`; default `true`).
    public var expect: JSONValue
    /// A message for reports.
    public var message: String?
}

/// One `x_required_calls` group: at least one alternative must be matched by a call.
public struct RequiredCallGroup: Sendable, Hashable {
    /// An alternative: a tool name and the arguments that must match (a subset; `nil` = name only).
    public struct Alternative: Sendable, Hashable {
        /// The tool.
        public var name: String
        /// The arguments to compare.
        public var compareArgs: JSONObject?
    }
    /// The alternatives.
    public var anyOf: [Alternative]
}

/// One `x_required_outputs` entry.
public struct RequiredOutput: Sendable, Hashable {
    /// The regex (or exact text).
    public var pattern: String
    /// `regex` or `exact`.
    public var kind: String
}

/// The user side of a task: persona and instructions, rendered into tau2's `<scenario>` block.
public struct UserScenario: Sendable, Hashable {
    /// tau2's optional persona text.
    public var persona: String?
    /// The domain name.
    public var domain: String?
    /// Why the user calls.
    public var reasonForCall: String?
    /// What the user knows.
    public var knownInfo: String?
    /// What the user does not know.
    public var unknownInfo: String?
    /// How to behave.
    public var taskInstructions: String?
    /// Instructions given as one plain string (tau-bench v1, older tau2).
    public var plainInstructions: String?

    /// The scenario text as tau2 renders it (Persona / Domain / Reason for call / Known info / Unknown info / Task instructions).
    public var rendered: String {
        var parts: [String] = []
        if let persona { parts.append("Persona:\n\(persona)") }
        var instructions: [String] = []
        if let plainInstructions { instructions.append(plainInstructions) }
        if let domain { instructions.append("Domain: \(domain)") }
        func block(_ title: String, _ text: String?) {
            guard let text else { return }
            instructions.append(
                "\(title):\n"
                    + text.split(separator: "\n", omittingEmptySubsequences: false).map { "\t" + $0 }.joined(
                        separator: "\n"))
        }
        block("Reason for call", reasonForCall)
        block("Known info", knownInfo)
        block("Unknown info", unknownInfo)
        block("Task instructions", taskInstructions)
        parts.append("Instructions:\n" + instructions.joined(separator: "\n"))
        return parts.joined(separator: "\n\n")
    }
}

/// A task in tau2's `Task` shape with Agora's `x_` extensions (spec §10.5).
public struct ToolTask: Sendable, Hashable {
    /// The task id.
    public var id: String
    /// The task object exactly as read (kept for round-trips and opaque fields).
    public var raw: JSONValue
    /// `description.purpose`, if any.
    public var purpose: String?
    /// The user scenario.
    public var scenario: UserScenario
    /// `initial_state.initialization_data` (data patches), if any.
    public var initializationData: JSONValue?
    /// `initial_state.initialization_actions`.
    public var initializationActions: [ToolAction]
    /// The gold actions.
    public var actions: [ToolAction]
    /// Assertions on the final state.
    public var envAssertions: [EnvAssertion]
    /// Strings the agent must say.
    public var communicateInfo: [String]
    /// Natural-language assertions (judge only).
    public var nlAssertions: [String]
    /// The reward basis (`x_reward_basis`, else `reward_basis`, else `[DB, COMMUNICATE]`).
    public var rewardBasis: [RewardComponent]
    /// `x_required_calls`.
    public var requiredCalls: [RequiredCallGroup]
    /// `x_required_outputs`.
    public var requiredOutputs: [RequiredOutput]
    /// `x_expect_transfer`.
    public var expectTransfer: Bool
    /// `x_persona_policy.ref`, if any.
    public var personaPolicyRef: String?
    /// `x_limits.max_steps`.
    public var maxSteps: Int?
    /// `x_limits.max_errors`.
    public var maxErrors: Int?
    /// `x_gold_messages`.
    public var goldMessages: [String]?
    /// `x_allow_trivial`.
    public var allowTrivial: Bool

    /// The gold agent's closing text: `x_gold_messages` joined, else the `communicate_info` strings joined.
    public var goldClosingText: String {
        if let goldMessages, !goldMessages.isEmpty { return goldMessages.joined(separator: " ") }
        if !communicateInfo.isEmpty { return communicateInfo.joined(separator: ", ") }
        return "Your request has been handled."
    }

    /// The closing text of a gold replay by `party`: ``goldClosingText`` for the agent under test
    /// (`nil`), else the party's `x_party_messages` joined.
    public func goldClosingText(party: String?) -> String {
        guard let party else { return goldClosingText }
        let lines = raw["x_party_messages"]?[party]?.arrayValue?.compactMap(\.stringValue) ?? []
        return lines.isEmpty ? "I have taken care of it." : lines.joined(separator: " ")
    }

    /// Parses a task object; errors name `file` and the JSON path.
    public static func parse(_ json: JSONValue, file: String?, path: String) throws(RunError) -> ToolTask {
        func fail(_ p: String, _ m: String) -> RunError { RunError(.invalidInput, m, file: file, path: p) }
        guard case .object(let object) = json else { throw fail(path, "a task must be a JSON object") }
        let id: String
        if let s = object["id"]?.stringValue {
            id = s
        } else if let i = object["id"]?.intValue {
            id = String(i)
        } else {
            throw fail(path + ".id", "a task needs a string id")
        }
        var scenario = UserScenario()
        if let us = object["user_scenario"], case .object(let u) = us {
            scenario.persona = u["persona"]?.stringValue
            switch u["instructions"] {
            case .string(let s)?: scenario.plainInstructions = s
            case .object(let i)?:
                scenario.domain = i["domain"]?.stringValue
                scenario.reasonForCall = i["reason_for_call"]?.stringValue
                scenario.knownInfo = i["known_info"]?.stringValue
                scenario.unknownInfo = i["unknown_info"]?.stringValue
                scenario.taskInstructions = i["task_instructions"]?.stringValue
            default: break
            }
        }
        let initial = object["initial_state"]?.objectValue
        let initData = initial?["initialization_data"].flatMap { $0.isNull ? nil : $0 }
        let initActions = try parseActions(
            initial?["initialization_actions"], file: file, path: path + ".initial_state.initialization_actions",
            prefix: id + "_init")
        let criteria = object["evaluation_criteria"]?.objectValue ?? JSONObject()
        let cpath = path + ".evaluation_criteria"
        let actions = try parseActions(criteria["actions"], file: file, path: cpath + ".actions", prefix: id)
        var assertions: [EnvAssertion] = []
        for (i, a) in (criteria["env_assertions"]?.arrayValue ?? []).enumerated() {
            guard case .object(let o) = a else {
                throw fail(cpath + ".env_assertions[\(i)]", "an assertion must be an object")
            }
            let sql = o["sql"]?.stringValue
            let function = o["func_name"]?.stringValue
            guard sql != nil || function != nil else {
                throw fail(cpath + ".env_assertions[\(i)]", "an assertion needs \"sql\" or \"func_name\"")
            }
            assertions.append(
                EnvAssertion(
                    sql: sql, function: function, arguments: o["arguments"] ?? .object(JSONObject()),
                    expect: o["expect"] ?? o["assert_value"] ?? .bool(true), message: o["message"]?.stringValue))
        }
        let communicate = (criteria["communicate_info"]?.arrayValue ?? []).compactMap { v -> String? in
            v.stringValue ?? (v.isNull ? nil : v.serialized())
        }
        let nl = (criteria["nl_assertions"]?.arrayValue ?? []).compactMap(\.stringValue)
        var basis: [RewardComponent] = [.db, .communicate]
        let basisPath: String
        let basisValue: JSONValue?
        if let x = object["x_reward_basis"], !x.isNull {
            basisValue = x
            basisPath = path + ".x_reward_basis"
        } else {
            basisValue = criteria["reward_basis"]
            basisPath = cpath + ".reward_basis"
        }
        if let list = basisValue?.arrayValue {
            basis = []
            for (i, item) in list.enumerated() {
                guard let s = item.stringValue, let component = RewardComponent(rawValue: s) else {
                    throw fail(
                        basisPath + "[\(i)]",
                        "unknown reward component \(item.serialized()); expected one of \(RewardComponent.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                if !basis.contains(component) { basis.append(component) }
            }
        }
        var groups: [RequiredCallGroup] = []
        for (i, g) in (object["x_required_calls"]?.arrayValue ?? []).enumerated() {
            guard let alternatives = g["any_of"]?.arrayValue else {
                throw fail(path + ".x_required_calls[\(i)]", "a group needs an \"any_of\" list")
            }
            var alts: [RequiredCallGroup.Alternative] = []
            for (j, a) in alternatives.enumerated() {
                guard let name = a["name"]?.stringValue else {
                    throw fail(path + ".x_required_calls[\(i)].any_of[\(j)].name", "missing tool name")
                }
                alts.append(.init(name: name, compareArgs: a["compare_args"]?.objectValue))
            }
            groups.append(RequiredCallGroup(anyOf: alts))
        }
        var outputs: [RequiredOutput] = []
        for (i, o) in (object["x_required_outputs"]?.arrayValue ?? []).enumerated() {
            if let s = o.stringValue {
                outputs.append(.init(pattern: s, kind: "exact"))
                continue
            }
            guard let pattern = o["pattern"]?.stringValue else {
                throw fail(path + ".x_required_outputs[\(i)].pattern", "missing pattern")
            }
            let kind = o["kind"]?.stringValue ?? "regex"
            guard kind == "regex" || kind == "exact" else {
                throw fail(path + ".x_required_outputs[\(i)].kind", "kind must be regex or exact")
            }
            if kind == "regex" {
                // Task files are untrusted: patterns run on a linear-time matcher, never a backtracking one.
                do { _ = try LinearRegex(pattern) } catch {
                    throw fail(
                        path + ".x_required_outputs[\(i)].pattern",
                        "not a supported regular expression: \(error.message) (docs/tool-tasks.md lists the syntax)")
                }
            }
            outputs.append(.init(pattern: pattern, kind: kind))
        }
        let limits = object["x_limits"]?.objectValue
        return ToolTask(
            id: id, raw: json, purpose: object["description"]?["purpose"]?.stringValue, scenario: scenario,
            initializationData: initData, initializationActions: initActions, actions: actions,
            envAssertions: assertions, communicateInfo: communicate, nlAssertions: nl, rewardBasis: basis,
            requiredCalls: groups, requiredOutputs: outputs,
            expectTransfer: object["x_expect_transfer"]?.boolValue ?? false,
            personaPolicyRef: object["x_persona_policy"]?["ref"]?.stringValue,
            maxSteps: limits?["max_steps"]?.intValue.map(Int.init),
            maxErrors: limits?["max_errors"]?.intValue.map(Int.init),
            goldMessages: object["x_gold_messages"]?.arrayValue?.compactMap(\.stringValue),
            allowTrivial: object["x_allow_trivial"]?.boolValue ?? false)
    }

    static func parseActions(_ value: JSONValue?, file: String?, path: String, prefix: String) throws(RunError)
        -> [ToolAction]
    {
        guard let value, !value.isNull else { return [] }
        guard let list = value.arrayValue else {
            throw RunError(.invalidInput, "must be a list of actions", file: file, path: path)
        }
        var out: [ToolAction] = []
        for (i, a) in list.enumerated() {
            guard case .object(let o) = a else {
                throw RunError(.invalidInput, "an action must be an object", file: file, path: "\(path)[\(i)]")
            }
            guard let name = o["name"]?.stringValue ?? o["func_name"]?.stringValue else {
                throw RunError(.invalidInput, "an action needs a tool name", file: file, path: "\(path)[\(i)].name")
            }
            let requestor: ToolSide =
                (o["requestor"]?.stringValue ?? o["env_type"]?.stringValue) == "user" ? .user : .agent
            let args = o["arguments"] ?? o["kwargs"] ?? .object(JSONObject())
            guard args.objectValue != nil else {
                throw RunError(
                    .invalidInput, "arguments must be an object", file: file, path: "\(path)[\(i)].arguments")
            }
            let compare: [String]? = o["compare_args"].flatMap {
                $0.isNull ? nil : ($0.arrayValue?.compactMap(\.stringValue) ?? [])
            }
            out.append(
                ToolAction(
                    actionID: o["action_id"]?.stringValue ?? "\(prefix)_\(i)", requestor: requestor, name: name,
                    arguments: args, compareArgs: compare,
                    expectError: o["x_expect_error"]?.boolValue ?? o["expectError"]?.boolValue ?? false,
                    party: o["x_party"]?.stringValue))
        }
        return out
    }
}
