import Dispatch
import Foundation
public import Storage
import Synchronization

/// Reading personas: the one decoder of both JSON forms, and the one persona file reader.
extension Persona {
    /// The persona as a run takes part in it, and as a run store and a scenario keep it: `id`, `name`
    /// (the ``displayName``), `attributes`, `narrative`? (stable key order; no factory provenance).
    ///
    /// This is the form run stores have always held, so runs stored before ``Persona`` became the one
    /// person type load unchanged.
    public var participantJSON: JSONValue {
        var object = JSONObject([
            ("id", .string(id)), ("name", .string(displayName)), ("attributes", .object(attributes)),
        ])
        if let narrative { object["narrative"] = .string(narrative) }
        return .object(object)
    }

    /// Reads a persona from either JSON form: a population JSONL line (`{"id"?, "slot", "attempt",
    /// "cell", "attributes", "hash", "narrative"?, …}`) or the short form of an inline scenario persona
    /// and a run store (`{"id", "name"?, "attributes"?, "narrative"?}`).
    ///
    /// Unknown keys are ignored. `id` may be left out only when the slot is known (the line's `slot`,
    /// else `defaultSlot`, e.g. the line's position in its file); `attributes` defaults to none; a
    /// missing `hash` is computed. Every error names `file`, the JSON path under `path`, and the fix.
    ///
    /// - Throws: ``PopulationError`` with code `invalidPersona`.
    public init(json: JSONValue, file: String? = nil, path: String = "$", defaultSlot: Int? = nil)
        throws(PopulationError)
    {
        func fail(_ key: String?, _ message: String) -> PopulationError {
            PopulationError(.invalidPersona, message, file: file, path: key.map { "\(path).\($0)" } ?? path)
        }
        guard let object = json.objectValue else {
            throw fail(
                nil,
                "expected a persona object ({\"id\", \"name\"?, \"attributes\", \"narrative\"?}), found \(Self.describe(json))"
            )
        }
        func string(_ key: String) throws(PopulationError) -> String? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let text = value.stringValue else {
                throw fail(key, "expected a string, found \(Self.describe(value))")
            }
            return text
        }
        func count(_ key: String) throws(PopulationError) -> Int? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let number = value.intValue, number >= 0, number <= Int64(Int32.max) else {
                throw fail(key, "expected a whole number from 0, found \(Self.describe(value))")
            }
            return Int(number)
        }
        func strings(_ key: String) throws(PopulationError) -> [String] {
            guard let value = object[key], !value.isNull else { return [] }
            guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw fail(key, "expected an array of strings, found \(Self.describe(value))")
            }
            return items.compactMap(\.stringValue)
        }
        let slot = try count("slot")
        let id: String
        if let given = try string("id") {
            guard Self.isValidID(given) else {
                throw fail(
                    "id",
                    "\"\(given)\" is not a persona id; use letters, digits, _ . - only (e.g. \"p000042\" or \"moderator\")"
                )
            }
            id = given
        } else if let known = slot ?? defaultSlot {
            id = Persona.id(slot: known)
        } else {
            throw fail(nil, "the persona has no \"id\"; add one (letters, digits, _ . -), e.g. \"id\": \"p1\"")
        }
        var attributes = JSONObject()
        if let value = object["attributes"], !value.isNull {
            guard let given = value.objectValue else {
                throw fail("attributes", "expected an object of attribute values, found \(Self.describe(value))")
            }
            attributes = given
        }
        let name = try string("name")
        if let name, name.isEmpty {
            throw fail("name", "empty; give the name the persona is called by, or leave the key out")
        }
        self.init(
            id: id, name: name, slot: slot ?? defaultSlot ?? 0, attempt: try count("attempt") ?? 0,
            cell: try string("cell") ?? "", attributes: attributes, hash: try string("hash"),
            warnings: try strings("warnings"), rejects: try strings("rejects"), narrative: try string("narrative"),
            narrativeError: try string("narrativeError"))
    }

    /// Parses one JSONL line of a persona file (either form; see ``init(json:file:path:defaultSlot:)``):
    /// a line without `id` or `slot` takes the slot of its position (`lineNumber - 1`).
    ///
    /// - Throws: ``PopulationError`` with code `invalidPersona`, at `line N`.
    public init(jsonLine line: String, file: String? = nil, lineNumber: Int? = nil) throws(PopulationError) {
        let location = lineNumber.map { "line \($0)" } ?? "$"
        let json: JSONValue
        do {
            json = try JSONValue.parse(line)
        } catch {
            throw PopulationError(
                .invalidPersona,
                "not valid JSON at column \(error.column): \(error.message); write one JSON object a line",
                file: file, path: location, underlying: error)
        }
        try self.init(json: json, file: file, path: location, defaultSlot: lineNumber.map { $0 - 1 })
    }

    /// Reads a persona JSONL file (one persona a line in either form; blank lines skipped), in file order.
    ///
    /// The one persona file reader: `agora population report`, scenario runs (`"personas": FILE`) and
    /// tool-task runs (`--population FILE.jsonl`) all read through it. An empty file gives no personas
    /// (callers that need people say so).
    ///
    /// - Throws: ``PopulationError`` with code `invalidPersona` for an unreadable file, a malformed
    ///   line, or an id used twice.
    public static func readJSONL(file: String) throws(PopulationError) -> [Persona] {
        let bytes = Array(try DataFiles.read(file, code: .invalidPersona).utf8)
        // Lines by bytes (splitting 100,000 lines by Character cost a quarter of the read): where each
        // line starts, then one past the end of the last.
        let starts = [0] + bytes.indices.filter { bytes[$0] == 0x0A }.map { $0 + 1 } + [bytes.count + 1]
        let lineCount = starts.count - 1
        // Lines are parsed in chunks on every core; the chunks are put back in file order, so the
        // personas and the error reported do not depend on which chunk finished first.
        let chunkCount = lineCount < 2_000 ? 1 : min(64, ProcessInfo.processInfo.activeProcessorCount * 4)
        let chunkSize = (lineCount + chunkCount - 1) / chunkCount
        let chunks = Mutex([ParsedChunk?](repeating: nil, count: chunkCount))
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            var parsed = ParsedChunk()
            for line in (chunk * chunkSize)..<min(lineCount, (chunk + 1) * chunkSize) {
                let text = bytes[starts[line]..<(starts[line + 1] - 1)]
                if text.allSatisfy({ $0 == 0x20 || (0x09...0x0D).contains($0) }) { continue }
                do throws(PopulationError) {
                    let persona = try Persona(
                        jsonLine: String(decoding: text, as: UTF8.self), file: file, lineNumber: line + 1)
                    parsed.personas.append(persona)
                    parsed.lines.append(line + 1)
                } catch {
                    parsed.failure = error
                    break
                }
            }
            chunks.withLock { $0[chunk] = parsed }
        }
        // In file order: the first duplicate id or malformed line, whichever comes first, is the error.
        var personas: [Persona] = []
        personas.reserveCapacity(lineCount)
        var firstLine: [String: Int] = [:]
        for chunk in chunks.withLock({ $0 }) {
            guard let chunk else { continue }
            for (persona, number) in zip(chunk.personas, chunk.lines) {
                if let first = firstLine[persona.id] {
                    throw PopulationError(
                        .invalidPersona,
                        "duplicate persona id \"\(persona.id)\" (first on line \(first)); ids must be unique",
                        file: file, path: "line \(number)")
                }
                firstLine[persona.id] = number
                personas.append(persona)
            }
            if let failure = chunk.failure { throw failure }
        }
        return personas
    }

    /// The personas of a run of lines, with their line numbers, and the error that stopped it, if any.
    private struct ParsedChunk: Sendable {
        var personas: [Persona] = []
        var lines: [Int] = []
        var failure: PopulationError?
    }

    /// Whether `id` is a persona id: non-empty, letters, digits, `_`, `.` and `-` only.
    public static func isValidID(_ id: String) -> Bool {
        if !id.isEmpty && id.utf8.allSatisfy(Self.isIDByte) { return true }  // the common, ASCII case
        return !id.isEmpty && id.allSatisfy { $0.isLetter || $0.isNumber || "_.-".contains($0) }
    }

    /// An ASCII letter or digit, `_`, `.` or `-`.
    private static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2E, 0x2D: true
        default: false
        }
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): "the Boolean \(b)"
        case .integer, .number: "the number \(value.serialized())"
        case .string(let s): "the string \"\(s)\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
