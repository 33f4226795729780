public import Inference
public import Storage

/// What an agent does on its turn: the action protocol (issue #5, DESIGN.md "Agents").
///
/// On the wire an action is one JSON object
/// `{"action": "speak" | "think" | "pass" | "leave" | "call_tool", "to": [names], "private": bool,
/// "content": "…"}`; `call_tool` (only offered when the agent has tools) adds `"tool"` and
/// `"arguments"`. The world engine turns actions into log events.
public enum AgentAction: Sendable, Hashable {
    /// Say `content` aloud. `to` names addressees by display name (empty: the room); with
    /// `isPrivate` only the addressees (and the speaker) hear it: an aside.
    case speak(content: String, to: [String], isPrivate: Bool)
    /// A private thought (a `thought` event only the agent sees; surfaced in its later prompts).
    case think(content: String)
    /// Stay silent this turn (no event).
    case pass
    /// Leave the conversation; a non-empty `content` is said aloud first as a parting line.
    case leave(content: String)
    /// Call a tool with JSON arguments (tool tasks); `content` is an optional note (unused by the engine).
    case callTool(name: String, arguments: JSONValue, content: String)

    /// The action's kind.
    public var kind: AgentActionKind {
        switch self {
        case .speak: .speak
        case .think: .think
        case .pass: .pass
        case .leave: .leave
        case .callTool: .callTool
        }
    }

    /// The text of the action (empty for `pass`).
    public var content: String {
        switch self {
        case .speak(let content, _, _), .think(let content), .leave(let content), .callTool(_, _, let content):
            content
        case .pass: ""
        }
    }

    /// The wire form, with keys in protocol order (`action`, `to`, `private`, `content`, then tool fields).
    public var json: JSONValue {
        var object = JSONObject()
        object["action"] = .string(kind.rawValue)
        switch self {
        case .speak(let content, let to, let isPrivate):
            object["to"] = .array(to.map { .string($0) })
            object["private"] = .bool(isPrivate)
            object["content"] = .string(content)
        case .think(let content), .leave(let content):
            object["to"] = .array([])
            object["private"] = .bool(false)
            object["content"] = .string(content)
        case .pass:
            object["to"] = .array([])
            object["private"] = .bool(false)
            object["content"] = .string("")
        case .callTool(let name, let arguments, let content):
            object["to"] = .array([])
            object["private"] = .bool(false)
            object["content"] = .string(content)
            object["tool"] = .string(name)
            object["arguments"] = arguments
        }
        return .object(object)
    }

    /// Decodes an action from its wire form (already schema-valid or not).
    ///
    /// Missing `to`, `private` and `content` default to `[]`, `false` and `""`; an unknown action,
    /// a non-string name in `to`, or a `call_tool` without a tool name throws `invalidAction`.
    public init(json: JSONValue) throws(AgentError) {
        guard let object = json.objectValue else {
            throw AgentError(.invalidAction, "an action must be a JSON object, not \(json.serialized())")
        }
        guard let name = object["action"]?.stringValue, let kind = AgentActionKind(rawValue: name) else {
            throw AgentError(
                .invalidAction,
                "\"action\" must be one of \(AgentActionKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var to: [String] = []
        if let list = object["to"], list != .null {
            guard let items = list.arrayValue else {
                throw AgentError(.invalidAction, "\"to\" must be an array of names")
            }
            for item in items {
                guard let text = item.stringValue else {
                    throw AgentError(.invalidAction, "\"to\" must contain names (strings) only")
                }
                to.append(text)
            }
        }
        let isPrivate = object["private"]?.boolValue ?? false
        let content = object["content"]?.stringValue ?? ""
        switch kind {
        case .speak: self = .speak(content: content, to: to, isPrivate: isPrivate)
        case .think: self = .think(content: content)
        case .pass: self = .pass
        case .leave: self = .leave(content: content)
        case .callTool:
            guard let tool = object["tool"]?.stringValue, !tool.isEmpty else {
                throw AgentError(.invalidAction, "a call_tool action needs a \"tool\" name")
            }
            self = .callTool(name: tool, arguments: object["arguments"] ?? .object(JSONObject()), content: content)
        }
    }

    /// The JSON Schema of an action. Every property is required (OpenAI strict mode); `call_tool`,
    /// `tool` and `arguments` are present only when `tools` is non-empty (the tool names become an enum).
    public static func schema(tools: [ToolDefinition] = []) -> JSONValue {
        var kinds: [JSONValue] = ["speak", "think", "pass", "leave"]
        var properties = JSONObject()
        var required: [JSONValue] = ["action", "to", "private", "content"]
        properties["action"] = .object(JSONObject([("type", "string"), ("enum", .array(kinds))]))
        properties["to"] = .object(
            JSONObject([("type", "array"), ("items", .object(JSONObject([("type", "string")])))]))
        properties["private"] = .object(JSONObject([("type", "boolean")]))
        properties["content"] = .object(JSONObject([("type", "string")]))
        if !tools.isEmpty {
            kinds.append(.string(AgentActionKind.callTool.rawValue))
            properties["action"] = .object(JSONObject([("type", "string"), ("enum", .array(kinds))]))
            properties["tool"] = .object(
                JSONObject([("type", "string"), ("enum", .array(tools.map { .string($0.name) } + [""]))]))
            properties["arguments"] = .object(JSONObject([("type", "object")]))
            required += ["tool", "arguments"]
        }
        return .object(
            JSONObject([
                ("type", "object"), ("properties", .object(properties)), ("required", .array(required)),
                ("additionalProperties", false),
            ]))
    }
}

/// The kinds of ``AgentAction``, with their wire names.
public enum AgentActionKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Say something.
    case speak
    /// Think privately.
    case think
    /// Stay silent.
    case pass
    /// Leave.
    case leave
    /// Call a tool (wire name `call_tool`).
    case callTool = "call_tool"
}
