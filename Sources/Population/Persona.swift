import Foundation
public import Storage

/// One synthetic person: its attributes, canonical hash and optional narrative (one JSONL line).
public struct Persona: Sendable, Hashable {
    /// The persona id (`p000042` for slot 42).
    public var id: String
    /// The slot index (0-based) in the population.
    public var slot: Int
    /// The attempt that produced this persona (0 for the first).
    public var attempt: Int
    /// The quota cell, e.g. `demo.age#bins=18-24, demo.sex=female`.
    public var cell: String
    /// The attribute values by id, in taxonomy order; disabled attributes are absent.
    public var attributes: JSONObject
    /// The canonical hash (SHA-256 of the canonical form, first 128 bits, hex).
    public var hash: String
    /// Soft-rule warnings (rule ids).
    public var warnings: [String]
    /// Reasons of rejected earlier attempts, in order.
    public var rejects: [String]
    /// The narrative, if written.
    public var narrative: String?
    /// Why the narrative could not be written or failed its checks, if so (never a silent empty string).
    public var narrativeError: String?

    /// Creates a persona.
    public init(
        id: String, slot: Int, attempt: Int = 0, cell: String = "", attributes: JSONObject, hash: String? = nil,
        warnings: [String] = [], rejects: [String] = [], narrative: String? = nil, narrativeError: String? = nil
    ) {
        self.id = id
        self.slot = slot
        self.attempt = attempt
        self.cell = cell
        self.attributes = attributes
        self.hash = hash ?? CanonicalHash.hash(attributes)
        self.warnings = warnings
        self.rejects = rejects
        self.narrative = narrative
        self.narrativeError = narrativeError
    }

    /// The id of slot `slot`.
    public static func id(slot: Int) -> String {
        let digits = String(slot)
        return "p" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The JSON object of this persona with a stable key order: id, slot, attempt, cell, attributes, hash,
    /// warnings, rejects, narrative, narrativeError (the last four only when present).
    public var json: JSONValue {
        var object = JSONObject()
        object["id"] = .string(id)
        object["slot"] = .integer(Int64(slot))
        object["attempt"] = .integer(Int64(attempt))
        object["cell"] = .string(cell)
        object["attributes"] = .object(attributes)
        object["hash"] = .string(hash)
        if !warnings.isEmpty { object["warnings"] = .array(warnings.map { .string($0) }) }
        if !rejects.isEmpty { object["rejects"] = .array(rejects.map { .string($0) }) }
        if let narrative { object["narrative"] = .string(narrative) }
        if let narrativeError { object["narrativeError"] = .string(narrativeError) }
        return .object(object)
    }

    /// One JSONL line (no newline).
    public var jsonLine: String { json.serialized() }

    /// Parses one JSONL line.
    public init(jsonLine line: String, file: String? = nil, lineNumber: Int? = nil) throws(PopulationError) {
        let location = lineNumber.map { "line \($0)" }
        let json: JSONValue
        do {
            json = try JSONValue.parse(line)
        } catch {
            throw PopulationError(.invalidPersona, "not valid JSON: \(error)", file: file, path: location)
        }
        guard let object = json.objectValue, let attributes = object["attributes"]?.objectValue else {
            throw PopulationError(
                .invalidPersona, "a persona line needs an 'attributes' object", file: file, path: location)
        }
        let slot = Int(object["slot"]?.intValue ?? Int64(lineNumber.map { $0 - 1 } ?? 0))
        self.init(
            id: object["id"]?.stringValue ?? Persona.id(slot: slot), slot: slot,
            attempt: Int(object["attempt"]?.intValue ?? 0), cell: object["cell"]?.stringValue ?? "",
            attributes: attributes, hash: object["hash"]?.stringValue,
            warnings: object["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            rejects: object["rejects"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            narrative: object["narrative"]?.stringValue, narrativeError: object["narrativeError"]?.stringValue)
    }

    /// Reads a persona JSONL file.
    public static func readJSONL(file: String) throws(PopulationError) -> [Persona] {
        let text = try DataFiles.read(file, code: .invalidPersona)
        var personas: [Persona] = []
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if line.allSatisfy({ $0.isWhitespace }) { continue }
            personas.append(try Persona(jsonLine: String(line), file: file, lineNumber: number))
        }
        return personas
    }

    /// Writes personas as JSONL, one per line in the given order.
    public static func writeJSONL(_ personas: [Persona], file: String) throws(PopulationError) {
        var text = ""
        for persona in personas {
            text += persona.jsonLine
            text += "\n"
        }
        do {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        } catch {
            throw PopulationError(.io, "cannot write the file", file: file, underlying: error as any Error & Sendable)
        }
    }
}

/// The canonical form and hash of a persona's structured attributes (spec §11.1).
public enum CanonicalHash {
    /// NFC-normalises, trims and collapses internal whitespace.
    public static func normalise(_ text: String) -> String {
        let composed = text.precomposedStringWithCanonicalMapping
        var result = ""
        var pendingSpace = false
        for character in composed {
            if character.isWhitespace {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }

    static func canonicalValue(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(normalise(text))
        case .array(let items):
            let mapped = items.map(canonicalValue)
            if mapped.allSatisfy({ $0.stringValue != nil }) {
                return .array(
                    mapped.compactMap(\.stringValue).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
                        .string($0)
                    })
            }
            return .array(mapped)
        case .object(let object): return .object(JSONObject(object.map { ($0.key, canonicalValue($0.value)) }))
        default: return value
        }
    }

    /// The canonical JSON text: keys sorted by UTF-8 bytes, strings normalised, sets sorted.
    public static func canonicalForm(_ attributes: JSONObject) -> String {
        CanonicalJSON.string(canonicalValue(.object(attributes)))
    }

    /// SHA-256 of the canonical form, truncated to 128 bits, as 32 hex digits.
    public static func hash(_ attributes: JSONObject) -> String {
        SHA256.hex(SHA256.digest(Array(canonicalForm(attributes).utf8)).prefix(16))
    }
}
