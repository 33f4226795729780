import Agents
import Foundation
import Memory
public import Runs
public import Storage

/// The `"memory"` and `"context"` settings of conversation scenarios (docs/memory.md).
extension Scenario {
    /// Reads `"memory"` and `"context"` into `scenario`: conversation kinds get a PersonaTree per
    /// agent and a bounded context unless the file opts out (`"memory": "off"`, `"context": "full"`).
    static func parseContext(
        _ root: JSONPathReader<RunError>, kind: Kind, base: String?, into scenario: inout Scenario
    ) throws(RunError) {
        guard kind != .survey else {
            if root.has("context") {
                throw root.fail(
                    "context",
                    "context applies to interview, focus-group and brainstorm; a survey's \"memory\" sets what each item shows — remove it"
                )
            }
            if let survey = scenario.survey { scenario.survey?.memory = try parseSurveyMemory(root, survey: survey) }
            return
        }
        var context = ScenarioContext()
        if root.has("context") {
            context = try parseContextSetting(root)
        }
        if root["memory"]?.value.stringValue != nil {
            let text = try root.string("memory")
            guard text == "off" || text == "none" else {
                throw root.fail(
                    "memory",
                    "\"\(text)\" is not a memory setting; use \"off\", or an object such as {\"type\": \"persona-tree\", \"budgetTokens\": 400}"
                )
            }
            scenario.memory = nil
        } else if let memory = try root.optionalReader("memory") {
            scenario.memory = try parseMemory(memory, base: base, context: &context)
        } else {
            scenario.memory = try defaultMemory(root)
        }
        scenario.context = context
    }

    static func defaultMemory(_ root: JSONPathReader<RunError>) throws(RunError) -> ScenarioMemory {
        do {
            return ScenarioMemory(schema: try TreeSchema.defaultPersona())
        } catch {
            throw root.fail("memory", "the built-in PersonaTree schema cannot be read: \(error)")
        }
    }

    /// `"context": "bounded" | "full" | "ecp" | "concat"` or `{"history": "bounded" | "full",
    /// "window": {…}, "recall": bool, "projection": "ecp" | "concat"}`.
    static func parseContextSetting(_ root: JSONPathReader<RunError>) throws(RunError) -> ScenarioContext {
        if root["context"]?.value.stringValue != nil {
            let text = try root.string("context")
            switch text {
            case "bounded", "ecp": return ScenarioContext()
            case "full": return ScenarioContext.full
            case "concat":
                var context = ScenarioContext()
                context.projection = .concat
                return context
            default:
                throw root.fail(
                    "context",
                    "\"\(text)\" is not a context setting; use \"bounded\" (the default: a history window plus memory and recall), \"full\" (the whole history), \"ecp\" (the default projection) or \"concat\" (the naive shared transcript, for ablations)"
                )
            }
        }
        let reader = try root.reader("context")
        try reader.allowOnly(["history", "window", "recall", "projection"])
        var context = ScenarioContext()
        if let projection = try reader.optionalString("projection") {
            guard let value = ScenarioContext.Projection(rawValue: projection) else {
                throw reader.fail(
                    "projection",
                    "\"\(projection)\": use \"ecp\" (Egocentric Context Projection, the default) or \"concat\" (the naive shared transcript)"
                )
            }
            context.projection = value
        }
        if let history = try reader.optionalString("history") {
            switch history {
            case "bounded": break
            case "full":
                let projection = context.projection
                context = ScenarioContext.full
                context.projection = projection
            default: throw reader.fail("history", "\"\(history)\": use \"bounded\" or \"full\"")
            }
        }
        try readWindow(reader, into: &context)
        return context
    }

    /// The `window` and `recall` keys (in `"context"`, or in `"memory"` as older files have them).
    static func readWindow(_ reader: JSONPathReader<RunError>, into context: inout ScenarioContext) throws(RunError) {
        if let window = try reader.optionalReader("window") {
            try window.allowOnly(["first", "last", "step"])
            let base = context.window ?? ScenarioContext.defaultWindow
            let last = try window.optionalInt("last", range: 1...10000) ?? base.last
            // The cut moves by `step` events at a time (so the history prefix stays cacheable
            // between moves); by default twice the guaranteed tail, at most 16 (docs/memory.md).
            context.window = HistoryWindow(
                first: try window.optionalInt("first", range: 0...1000) ?? base.first, last: last,
                step: try window.optionalInt("step", range: 1...1000) ?? min(16, 2 * last))
        }
        if let recall = try reader.optionalBool("recall") {
            // Asked for explicitly, recall also fires when the question touches a PersonaTree
            // leaf the agent has not filled (the default context recalls on detail requests only).
            context.recall = recall ? RecallSettings() : nil
            if recall && context.window == nil {
                throw reader.fail(
                    "recall",
                    "recall finds moments that fell out of the history window; add \"window\": {\"first\": 2, \"last\": 8} or remove recall"
                )
            }
        }
    }

    /// Reads a `"memory"` object (`nil` for `"type": "none"`); its `window` and `recall` keys set
    /// the context.
    static func parseMemory(
        _ reader: JSONPathReader<RunError>, base: String?, context: inout ScenarioContext
    ) throws(RunError) -> ScenarioMemory? {
        try reader.allowOnly(["type", "schema", "budgetTokens", "updateEvery", "window", "recall"])
        let type = try reader.optionalString("type") ?? "persona-tree"
        guard type == "persona-tree" || type == "none" || type == "off" else {
            throw reader.fail("type", "unknown memory type \"\(type)\"; use \"persona-tree\" or \"off\"")
        }
        try readWindow(reader, into: &context)
        if type != "persona-tree" { return nil }
        var schemaFile: String?
        let schema: TreeSchema
        do {
            if reader.has("schema") {
                let raw = try reader.nonEmptyString("schema")
                let path =
                    raw.hasPrefix("/")
                    ? raw : URL(fileURLWithPath: base ?? ".").appendingPathComponent(raw).standardized.path
                schemaFile = path
                schema = try TreeSchema.load(path)
            } else {
                schema = try TreeSchema.defaultPersona()
            }
        } catch let error as MemoryError {
            throw reader.fail(
                "schema",
                "\(error.message) (a PersonaTree schema file, see docs/memory.md; relative to the scenario file)")
        } catch let error as RunError {
            throw error
        } catch {
            throw reader.fail("schema", "\(error)")
        }
        var memory = ScenarioMemory(schema: schema, schemaFile: schemaFile)
        if let budget = try reader.optionalInt("budgetTokens", range: 50...8192) { memory.budgetTokens = Int(budget) }
        if let every = try reader.optionalInt("updateEvery", range: 1...3) { memory.updateEvery = Int(every) }
        return memory
    }

    /// `document` with its context projection set to `projection` (`agora run --context`): a
    /// missing `"context"` becomes `"ecp"` or `"concat"`; `"bounded"`/`"full"` become the object form
    /// with the same history; an object gains `"projection"`. Only conversation kinds have one.
    ///
    /// - Throws: ``RunError`` (`invalidInput`) for another kind or a `"context"` of another type.
    public static func document(
        _ document: JSONValue, projection: ScenarioContext.Projection, file: String? = nil
    ) throws(RunError) -> JSONValue {
        guard case .object(var root) = document else {
            throw RunError(.invalidInput, "the scenario is not a JSON object", file: file, path: "$")
        }
        let kind = root["kind"]?.stringValue ?? ""
        guard let parsed = Kind(rawValue: kind), parsed != .survey else {
            throw RunError(
                .invalidInput,
                "--context applies to interview, focus-group and brainstorm scenarios, not \(kind.isEmpty ? "this file" : "\"\(kind)\"") (an experiment sets it in its arms' patches: {\"context\": {\"projection\": \"concat\"}})",
                file: file, path: "$.kind")
        }
        switch root["context"] {
        case nil, .null:
            root["context"] = .string(projection.rawValue)
        case .string(let text) where text == "ecp" || text == "concat":
            root["context"] = .string(projection.rawValue)
        case .string(let text):
            root["context"] = .object(
                JSONObject([("history", .string(text)), ("projection", .string(projection.rawValue))]))
        case .object(var object):
            object["projection"] = .string(projection.rawValue)
            root["context"] = .object(object)
        default:
            throw RunError(
                .invalidInput, "\"context\" is a string or an object; see docs/scenarios.md", file: file,
                path: "$.context")
        }
        return .object(root)
    }
}
