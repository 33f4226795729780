public import Storage
import Synchronization

/// How an endpoint is asked for structured output, from strongest to weakest.
public enum StructuredOutputMode: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `response_format: json_schema` (the server enforces the schema).
    case jsonSchema = 0
    /// `response_format: {"type": "json_object", "schema": …}` (llama.cpp enforces it by grammar;
    /// the schema is in the prompt too, for servers that accept the key and ignore it).
    case jsonObjectSchema = 1
    /// `response_format: json_object`, with the schema in the prompt.
    case jsonObject = 2
    /// Plain text, with the schema in the prompt and a tolerant parser.
    case text = 3

    /// The `--structured` names, strongest first.
    public static let flagNames = ["json-schema", "grammar", "json-object", "text"]

    /// The mode a `--structured` name stands for: `json-schema`, `grammar` (llama.cpp's
    /// `json_object` with a schema, vLLM's `guided_json`), `json-object`, `text`.
    public init?(flag: String) {
        guard let index = Self.flagNames.firstIndex(of: flag) else { return nil }
        self.init(rawValue: index)
    }

    /// Orders from strongest to weakest.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The wire name.
    public var description: String {
        switch self {
        case .jsonSchema: "json_schema"
        case .jsonObjectSchema: "json_object+schema"
        case .jsonObject: "json_object"
        case .text: "text"
        }
    }
}

/// Remembers, per model identifier, the strongest structured-output mode the endpoint accepted,
/// so a rejection is paid for once per process, not once per call.
public enum StructuredOutputSupport {
    private static let modes = Mutex<[String: StructuredOutputMode]>([:])

    /// The mode to try first for `identifier`.
    public static func mode(for identifier: String) -> StructuredOutputMode {
        modes.withLock { $0[identifier] } ?? .jsonSchema
    }

    /// Records that `identifier` rejected everything stronger than `mode`.
    public static func downgrade(_ identifier: String, to mode: StructuredOutputMode) {
        modes.withLock { table in
            if mode > (table[identifier] ?? .jsonSchema) { table[identifier] = mode }
        }
    }

    /// Sets the mode the next request of `identifier` starts with (what a server probe or
    /// `--structured` chose); a rejection still steps down from it.
    public static func start(_ identifier: String, at mode: StructuredOutputMode) {
        modes.withLock { $0[identifier] = mode }
    }

    /// Forgets what was learned (for tests).
    public static func reset(_ identifier: String) {
        _ = modes.withLock { $0.removeValue(forKey: identifier) }
    }
}

/// A structured answer: the decoded, schema-valid value.
public struct StructuredResult: Sendable {
    /// The value, valid against the schema.
    public var value: JSONValue
    /// The text the model wrote (of the last attempt).
    public var raw: String
    /// Model calls made (1, or 2 with the repair round; rejected modes add one each).
    public var attempts: Int
    /// Tokens over all attempts.
    public var usage: Usage
    /// The mode that produced the value.
    public var mode: StructuredOutputMode
}

/// Gets JSON that matches a schema from any model, with a fallback chain: JSON schema → JSON object
/// with the schema in the prompt → text with a tolerant parser; then one repair round. An endpoint
/// that rejects a mode is remembered (``StructuredOutputSupport``) and downgraded, never a crash.
public struct StructuredGenerator: Sendable {
    /// The model asked.
    public let model: any LanguageModel

    /// Creates a generator.
    public init(model: any LanguageModel) {
        self.model = model
    }

    /// Asks for a value matching `schema` (a JSON Schema object) and validates it before returning.
    ///
    /// - Throws: `InferenceError` with code `.invalidStructuredOutput` when the answer neither
    ///   parses nor validates after the repair round; the endpoint's own errors otherwise.
    ///
    /// `check`, when given, adds rules JSON Schema cannot state (a constant sum's total, a text
    /// required with one option): it sees a schema-valid value and returns problems, which get the
    /// same repair round as schema violations.
    public func generate(
        _ request: ChatRequest, schema: JSONValue, name: String,
        check: (@Sendable (JSONValue) -> [String])? = nil
    ) async throws(InferenceError) -> StructuredResult {
        var mode = StructuredOutputSupport.mode(for: model.identifier)
        var attempts = 0
        var usage = Usage()
        var response: ChatResponse
        var prepared: ChatRequest
        while true {
            prepared = Self.prepare(request, schema: schema, name: name, mode: mode)
            attempts += 1
            do {
                response = try await model.complete(prepared)
                break
            } catch let error as InferenceError {
                if mode < .text, Self.isFormatRejection(error) {
                    mode = StructuredOutputMode(rawValue: mode.rawValue + 1) ?? .text
                    StructuredOutputSupport.downgrade(model.identifier, to: mode)
                    continue
                }
                throw error
            } catch {
                throw InferenceError(.malformedResponse, "the model failed: \(error)", underlying: nil)
            }
        }
        usage = usage + response.usage

        var problems = Self.problems(in: response.content, schema: schema, check: check)
        if case .valid(let value) = problems {
            return StructuredResult(value: value, raw: response.content, attempts: attempts, usage: usage, mode: mode)
        }

        // One repair round: show the model its answer and what was wrong with it.
        var repair = prepared
        repair.messages.append(.assistant(response.content))
        repair.messages.append(.user(Self.repairInstruction(problems.list)))
        attempts += 1
        let repaired: ChatResponse
        do {
            repaired = try await model.complete(repair)
        } catch let error as InferenceError {
            throw error
        } catch {
            throw InferenceError(.malformedResponse, "the model failed: \(error)")
        }
        usage = usage + repaired.usage
        problems = Self.problems(in: repaired.content, schema: schema, check: check)
        if case .valid(let value) = problems {
            return StructuredResult(value: value, raw: repaired.content, attempts: attempts, usage: usage, mode: mode)
        }
        let snippet = String(repaired.content.prefix(200))
        throw InferenceError(
            .invalidStructuredOutput,
            "the \(name) answer did not match its schema after one repair round: "
                + problems.list.prefix(5).joined(separator: "; ") + ". The model wrote: \(snippet)",
            model: model.identifier)
    }

    private enum Check {
        case valid(JSONValue)
        case invalid([String])

        var list: [String] {
            if case .invalid(let problems) = self { return problems }
            return []
        }
    }

    private static func problems(
        in content: String, schema: JSONValue, check: (@Sendable (JSONValue) -> [String])?
    ) -> Check {
        guard let value = TolerantJSON.extract(content) else {
            return .invalid(["the answer contains no JSON object"])
        }
        var problems = SchemaValidator.validate(value, against: schema)
        if problems.isEmpty, let check { problems = check(value) }
        return problems.isEmpty ? .valid(value) : .invalid(problems)
    }

    static func repairInstruction(_ problems: [String]) -> String {
        "Your answer was not valid:\n" + problems.prefix(8).map { "- \($0)" }.joined(separator: "\n")
            + "\nReply again with only the corrected JSON, matching the schema exactly."
    }

    /// Whether an error is the endpoint refusing the requested response format.
    static func isFormatRejection(_ error: InferenceError) -> Bool {
        guard error.code == .httpError, let status = error.status, [400, 415, 422, 500, 501].contains(status) else {
            return false
        }
        let text = error.message.lowercased()
        return text.contains("response_format") || text.contains("json_schema") || text.contains("json_object")
            || text.contains("response format") || text.contains("schema")
    }

    /// The request as sent in `mode` (what ``generate(_:schema:name:check:)`` sends first; estimates
    /// and cache look-ups use it): with the schema in `response_format`, or in the prompt.
    public static func prepare(_ request: ChatRequest, schema: JSONValue, name: String, mode: StructuredOutputMode)
        -> ChatRequest
    {
        var prepared = request
        switch mode {
        case .jsonSchema:
            prepared.responseFormat = .jsonSchema(name: name, schema: schema, strict: true)
        case .jsonObjectSchema, .jsonObject, .text:
            switch mode {
            case .jsonObjectSchema: prepared.responseFormat = .jsonObjectSchema(schema)
            case .jsonObject: prepared.responseFormat = .jsonObject
            default: prepared.responseFormat = .text
            }
            let instruction =
                "Answer with only a JSON value that matches this JSON Schema, and nothing else:\n"
                + schema.serialized()
            if let index = prepared.messages.firstIndex(where: { $0.role == .system }) {
                prepared.messages[index].content += "\n\n" + instruction
            } else {
                prepared.messages.insert(.system(instruction), at: 0)
            }
        }
        return prepared
    }
}
