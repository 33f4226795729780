public import Foundation
import Runs
public import Storage

/// Importers for tau2 tasks and domains and for tau-bench v1 tasks (spec §10.5). Pure functions except
/// ``importDomain(from:to:name:)``, which writes a domain folder.
public enum TaskImporter {
    /// A tau2 task, unchanged except for explicit defaults: each action's `requestor` (`assistant`) and
    /// `evaluation_criteria.reward_basis` (`["DB", "COMMUNICATE"]`).
    public static func fromTau2(_ task: JSONValue) -> JSONValue {
        guard case .object(var object) = task else { return task }
        var criteria = object["evaluation_criteria"]?.objectValue ?? JSONObject()
        if let actions = criteria["actions"]?.arrayValue {
            criteria["actions"] = .array(
                actions.map { a in
                    guard case .object(var o) = a else { return a }
                    if o["requestor"] == nil { o["requestor"] = "assistant" }
                    return .object(o)
                })
        }
        if criteria["reward_basis"] == nil || criteria["reward_basis"] == .null {
            criteria["reward_basis"] = ["DB", "COMMUNICATE"]
        }
        object["evaluation_criteria"] = .object(criteria)
        return .object(object)
    }

    /// The tau2 JSON of a parsed task: opaque parts as read, criteria rebuilt from the parsed fields.
    public static func tau2JSON(_ task: ToolTask) -> JSONValue {
        guard case .object(let raw) = task.raw else { return task.raw }
        var out = JSONObject()
        for (key, value) in raw {
            guard key == "evaluation_criteria" else {
                out[key] = value
                continue
            }
            var criteria = value.objectValue ?? JSONObject()
            let rawActions = criteria["actions"]?.arrayValue ?? []
            criteria["actions"] = .array(
                task.actions.enumerated().map { i, a in
                    var o = rawActions.indices.contains(i) ? (rawActions[i].objectValue ?? JSONObject()) : JSONObject()
                    o["action_id"] = .string(a.actionID)
                    o["requestor"] = .string(a.requestor == .user ? "user" : "assistant")
                    o["name"] = .string(a.name)
                    o["arguments"] = a.arguments
                    if let c = a.compareArgs { o["compare_args"] = .array(c.map { .string($0) }) }
                    return .object(o)
                })
            criteria["communicate_info"] = .array(task.communicateInfo.map { .string($0) })
            criteria["nl_assertions"] = .array(task.nlAssertions.map { .string($0) })
            if raw["x_reward_basis"] == nil {
                criteria["reward_basis"] = .array(task.rewardBasis.map { .string($0.rawValue) })
            }
            out[key] = .object(criteria)
        }
        return .object(out)
    }

    /// A tau-bench v1 task `{user_id, actions[{name, kwargs}], instruction, outputs}` in tau2 shape.
    public static func fromTauBenchV1(_ task: JSONValue, index: Int, dropTools: [String] = ["respond", "terminate"])
        -> JSONValue
    {
        let all = task["actions"]?.arrayValue ?? []
        let expectTransfer = all.contains { $0["name"]?.stringValue == "transfer_to_human_agents" }
        let kept = all.filter { !dropTools.contains($0["name"]?.stringValue ?? "") }
        let actions: [JSONValue] = kept.enumerated().map { i, a in
            .object(
                JSONObject([
                    ("action_id", .string("\(index)_\(i)")), ("requestor", "assistant"), ("name", a["name"] ?? .null),
                    ("arguments", a["kwargs"] ?? a["arguments"] ?? .object(JSONObject())),
                ]))
        }
        let outputs = (task["outputs"]?.arrayValue ?? []).map { v -> JSONValue in
            v.stringValue.map { .string($0) } ?? .string(v.serialized())
        }
        return .object(
            JSONObject([
                ("id", .string(String(index))),
                (
                    "description",
                    .object(
                        JSONObject([
                            ("purpose", .null), ("relevant_policies", .null),
                            ("notes", task["user_id"].map { .string("user_id: " + ($0.stringValue ?? "")) } ?? .null),
                        ]))
                ),
                (
                    "user_scenario",
                    .object(JSONObject([("persona", .null), ("instructions", task["instruction"] ?? .string(""))]))
                ),
                ("initial_state", .null),
                (
                    "evaluation_criteria",
                    .object(
                        JSONObject([
                            ("actions", .array(actions)), ("communicate_info", .array(outputs)),
                            ("nl_assertions", .array([])),
                            ("reward_basis", ["DB", "COMMUNICATE"]),
                        ]))
                ),
                ("x_expect_transfer", .bool(expectTransfer)),
            ]))
    }

    /// Imports a tau2 domain folder (`db.json`, `tasks.json`, `policy.md`, `tools.schema.json`,
    /// `split_tasks.json`, `LICENSE`) into an Agora domain package at `out`. Tools are bound to the
    /// native port named `<name>.<tool>` (the airline port ships). Tasks the no-op agent would pass
    /// are marked `x_allow_trivial: true` (allowed for imported data). Returns the loaded domain.
    @discardableResult
    public static func importDomain(from source: URL, to out: URL, name: String? = nil) async throws -> ToolDomain {
        let fm = FileManager.default
        func read(_ file: String) throws -> JSONValue {
            guard let data = fm.contents(atPath: source.appendingPathComponent(file).path) else {
                throw RunError(.io, "cannot read \(file) in \(source.path)", file: file)
            }
            do { return try JSONValue.parse(data) } catch {
                throw RunError(
                    .invalidInput, "not valid JSON: \(error.message)", file: file, path: "line \(error.line)")
            }
        }
        let tasksJSON = try read("tasks.json")
        guard let taskList = tasksJSON.arrayValue else {
            throw RunError(.invalidInput, "tasks.json must be a list", file: "tasks.json", path: "$")
        }
        let schemas = try read("tools.schema.json").arrayValue ?? []
        guard fm.fileExists(atPath: source.appendingPathComponent("db.json").path) else {
            throw RunError(.io, "db.json is missing in \(source.path)", file: "db.json")
        }
        let domainName =
            name ?? taskList.first?["user_scenario"]?["instructions"]?["domain"]?.stringValue ?? out.lastPathComponent
        let nativePrefix = taskList.first?["user_scenario"]?["instructions"]?["domain"]?.stringValue ?? domainName
        try fm.createDirectory(at: out.appendingPathComponent("tools"), withIntermediateDirectories: true)
        var tools: [String] = []
        var transferTool: String? = nil
        for (i, entry) in schemas.enumerated() {
            guard let function = entry["openai_schema"]?["function"] ?? entry["function"],
                let toolName = function["name"]?.stringValue
            else {
                throw RunError(
                    .invalidInput, "a tool schema needs openai_schema.function.name", file: "tools.schema.json",
                    path: "$[\(i)]")
            }
            let native = "\(nativePrefix).\(toolName)"
            guard NativeTools.function(native) != nil else {
                throw RunError(
                    .invalidInput, "no native port of tau2 tool \"\(toolName)\" (looked for \(native))",
                    file: "tools.schema.json", path: "$[\(i)]")
            }
            var kind = entry["tool_type"]?.stringValue ?? "read"
            if toolName.hasPrefix("transfer_to_human") {
                kind = "transfer"
                transferTool = toolName
            }
            let tool = JSONObject([
                ("name", .string(toolName)), ("description", function["description"] ?? ""), ("kind", .string(kind)),
                ("mutates_state", entry["mutates_state"] ?? .bool(kind == "write")), ("side", "agent"),
                ("native", .string(native)),
                ("parameters", function["parameters"] ?? .object(JSONObject())),
            ])
            try write(.object(tool), to: out.appendingPathComponent("tools/\(toolName).json"))
            tools.append(toolName)
        }
        var manifest = JSONObject([
            ("name", .string(domainName)), ("version", "tau2"), ("clock", "2024-05-15T15:00:00"),
            ("seedFormat", "tau2-documents"),
            ("seed", "db.json"), ("firstAgentMessage", "Hi! How can I help you today?"),
            ("source", .string("tau2-bench (MIT, Sierra Research); imported by agora tasks import-tau2")),
        ])
        if let transferTool {
            manifest["transferTool"] = .object(JSONObject([("name", .string(transferTool)), ("behavior", "tau2")]))
        }
        try write(.object(manifest), to: out.appendingPathComponent("domain.json"))
        // db.json is rewritten compactly (key order kept): tau2's indented file is 7 MB, this 3 MB.
        let db = try read("db.json")
        try? fm.removeItem(at: out.appendingPathComponent("db.json"))
        do {
            try Data((db.serialized() + "\n").utf8).write(to: out.appendingPathComponent("db.json"))
        } catch {
            throw RunError(
                .io, "cannot write db.json", file: out.appendingPathComponent("db.json").path, underlying: error)
        }
        for file in ["policy.md", "LICENSE"] {
            let target = out.appendingPathComponent(file)
            try? fm.removeItem(at: target)
            if fm.fileExists(atPath: source.appendingPathComponent(file).path) {
                try fm.copyItem(at: source.appendingPathComponent(file), to: target)
            }
        }
        let notice =
            "Imported from tau2-bench (\(source.lastPathComponent)). Data: MIT, Copyright (c) 2025 Sierra Research; see LICENSE.\n"
        try Data(notice.utf8).write(to: out.appendingPathComponent("NOTICE"))
        var splits = JSONObject()
        if let s = try? read("split_tasks.json"), case .object(let o) = s {
            for (k, v) in o { splits[k] = v }
        }
        if splits["base"] == nil { splits["base"] = .array(taskList.compactMap { $0["id"] }) }
        var ordered = JSONObject([("base", splits["base"] ?? .array([]))])
        for (k, v) in splits where k != "base" { ordered[k] = v }
        try write(.object(ordered), to: out.appendingPathComponent("splits.json"))
        var imported = taskList.map(fromTau2)
        try write(.array(imported), to: out.appendingPathComponent("tasks.json"))
        // Mark the tasks a no-op agent passes (tau2's RFC #129 problem) so lint accepts imported data.
        let domain = try ToolDomain.load(out)
        var changed = false
        for (i, task) in domain.tasks.enumerated() where try await TaskLinter.noOpReward(domain: domain, task: task) > 0
        {
            guard case .object(var o) = imported[i] else { continue }
            o["x_allow_trivial"] = true
            imported[i] = .object(o)
            changed = true
        }
        guard changed else { return domain }
        try write(.array(imported), to: out.appendingPathComponent("tasks.json"))
        var tasks: [ToolTask] = []
        for (i, t) in imported.enumerated() { tasks.append(try ToolTask.parse(t, file: "tasks.json", path: "$[\(i)]")) }
        return domain.replacingTasks(tasks)
    }

    static func write(_ value: JSONValue, to url: URL) throws {
        try Data((value.serialized(pretty: true) + "\n").utf8).write(to: url, options: .atomic)
    }
}
