import Inference
import Runs
public import Storage

/// What a tool does to the state (spec §10.4).
public enum ToolKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reads, never changes state.
    case read
    /// Mutates state.
    case write
    /// A no-op that echoes "" (a scratchpad for the agent).
    case think
    /// Pure computation such as `calculate`.
    case generic
    /// Hands the conversation to a human (records a transfer request).
    case transfer
}

/// Which party may call a tool.
public enum ToolSide: String, Sendable, Hashable, Codable {
    /// The agent under test.
    case agent
    /// The simulated user (dual control).
    case user
}

/// How a tool runs: a declarative SQL template or a registered Swift function.
public enum ToolImplementation: Sendable, Hashable {
    /// A SQL template (preconditions, statements, a result query).
    case sql(SQLToolTemplate)
    /// The name of a function in ``NativeTools``.
    case native(String)
}

/// A declarative SQL tool: each precondition must return a row, then the statements run, then the result query.
///
/// SQL text names arguments as `:name`; `:now` is the domain clock, `:next_<generator>` the next id of a
/// named generator (drawn once per call, so a template may use it several times for the same id).
public struct SQLToolTemplate: Sendable, Hashable {
    /// A query that must return at least one row, else the call fails with `error` (which may name `:arguments`).
    public struct Precondition: Sendable, Hashable {
        /// The query.
        public var query: String
        /// The error message when it returns no row.
        public var error: String
    }
    /// Checks before any change.
    public var preconditions: [Precondition]
    /// The statements that change state, in order.
    public var statements: [String]
    /// The query whose rows are the tool's output (`nil`: `message` or "OK").
    public var result: String?
    /// `rows` (an array of objects), `row` (the first row, error if none) or `value` (first column of the first row).
    public var shape: String
    /// A fixed output text (may name `:arguments` and `:next_<generator>`), used when `result` is nil.
    public var message: String?
    /// The error when `shape` is `row` and no row came back.
    public var notFound: String?
}

/// A tool as the agent (or user) sees it, plus how it runs.
public struct ToolSpec: Sendable, Hashable {
    /// The function name.
    public var name: String
    /// What it does, for the model.
    public var description: String
    /// A JSON Schema (draft 2020-12 subset) for the arguments object.
    public var parameters: JSONValue
    /// What it does to state.
    public var kind: ToolKind
    /// Whether a call may change state (default: `kind == .write`).
    public var mutatesState: Bool
    /// Who may call it.
    public var side: ToolSide
    /// How it runs.
    public var implementation: ToolImplementation
    /// The domain party it is reserved for (`party`; a supervisor's approval tool), or `nil` when
    /// everyone on its side may call it. To anyone else a reserved tool is unknown.
    public var party: String?

    /// Creates a tool spec.
    public init(
        name: String, description: String, parameters: JSONValue, kind: ToolKind, mutatesState: Bool? = nil,
        side: ToolSide = .agent, implementation: ToolImplementation, party: String? = nil
    ) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.kind = kind
        self.mutatesState = mutatesState ?? (kind == .write)
        self.side = side
        self.implementation = implementation
        self.party = party
    }

    /// The OpenAI function schema `{"type":"function","function":{name, description, parameters}}`.
    public var openAIFunction: JSONValue {
        ToolDefinition(name: name, description: description, parameters: parameters).openAIFunction
    }

    /// The parameters schema with every local `$ref` (`#/$defs/X`) inlined, ready for validation.
    public var resolvedParameters: JSONValue {
        SchemaRefs.inline(parameters, defs: parameters["$defs"]?.objectValue ?? parameters["definitions"]?.objectValue)
    }
}

/// Inlines local `$ref`s so the validator (which has no `$ref` support) sees plain schemas.
enum SchemaRefs {
    static func inline(_ schema: JSONValue, defs: JSONObject?, depth: Int = 0) -> JSONValue {
        guard depth < 16 else { return schema }
        switch schema {
        case .object(let object):
            if let ref = object["$ref"]?.stringValue, let defs {
                let name = ref.split(separator: "/").last.map(String.init) ?? ref
                if let target = defs[name] { return inline(target, defs: defs, depth: depth + 1) }
            }
            var out = JSONObject()
            for (key, value) in object where key != "$defs" && key != "definitions" {
                out[key] = inline(value, defs: defs, depth: depth + 1)
            }
            return .object(out)
        case .array(let items):
            return .array(items.map { inline($0, defs: defs, depth: depth + 1) })
        default:
            return schema
        }
    }

    /// Problems that make a tool's parameters schema unusable, as `(json path, reason)`.
    static func problems(_ schema: JSONValue, path: String = "$.parameters", top: Bool = true) -> [(String, String)] {
        let types: Set<String> = ["object", "array", "string", "integer", "number", "boolean", "null"]
        guard case .object(let object) = schema else {
            return [(path, "a schema must be a JSON object")]
        }
        var out: [(String, String)] = []
        if top, object["type"]?.stringValue != "object" {
            out.append((path + ".type", "the parameters schema must have \"type\": \"object\""))
        }
        if let type = object["type"] {
            let names = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue)
            if let names, !names.isEmpty {
                for name in names where !types.contains(name) {
                    out.append(
                        (
                            path + ".type",
                            "unknown type \"\(name)\" (expected one of object, array, string, integer, number, boolean, null)"
                        ))
                }
            } else {
                out.append((path + ".type", "type must be a string or a list of strings"))
            }
        }
        if let properties = object["properties"] {
            if let props = properties.objectValue {
                for (name, child) in props where child.objectValue != nil || true {
                    out += problems(child, path: path + ".properties." + name, top: false)
                }
                if let required = object["required"] {
                    if let list = required.arrayValue {
                        for (i, item) in list.enumerated() {
                            if let name = item.stringValue {
                                if props[name] == nil {
                                    out.append(
                                        (path + ".required[\(i)]", "required property \"\(name)\" is not in properties")
                                    )
                                }
                            } else {
                                out.append((path + ".required[\(i)]", "must be a string"))
                            }
                        }
                    } else {
                        out.append((path + ".required", "must be a list of property names"))
                    }
                }
            } else {
                out.append((path + ".properties", "must be an object"))
            }
        }
        if let items = object["items"] { out += problems(items, path: path + ".items", top: false) }
        if let defs = object["$defs"]?.objectValue {
            for (name, child) in defs { out += problems(child, path: path + ".$defs." + name, top: false) }
        }
        if let e = object["enum"], e.arrayValue == nil { out.append((path + ".enum", "must be a list")) }
        return out
    }
}
