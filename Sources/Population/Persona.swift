import Foundation
public import Storage

/// One person: the one person type of Agora.
///
/// The population factory writes one per JSONL line (attributes, canonical hash, provenance and an
/// optional narrative); a scenario may write one inline (`{"id", "name"?, "attributes", "narrative"?}`);
/// a run store keeps that short form (``participantJSON``). ``init(json:file:path:defaultSlot:)`` reads
/// both forms. Every role renders it into its prompt the same way (``promptText``); a role with its
/// own needs transforms the persona first (a tool-task user makes it task-safe), never the renderer.
public struct Persona: Sendable, Hashable {
    /// The persona id (`p000042` for slot 42; letters, digits, `_`, `.` and `-`).
    public var id: String
    /// The display name given explicitly (an inline scenario persona, a run store's copy); `nil` for
    /// factory personas, whose name, if any, is the `name` attribute. See ``displayName``.
    public var name: String?
    /// The slot index (0-based) in the population.
    public var slot: Int
    /// The attempt that produced this persona (0 for the first).
    public var attempt: Int
    /// The quota cell, e.g. `demo.age#bins=18-24, demo.sex=female`.
    public var cell: String
    /// The attribute values by id, in taxonomy order; disabled attributes are absent.
    public var attributes: JSONObject
    /// The canonical hash (SHA-256 of the canonical form, first 128 bits, hex): the one the source
    /// gave (a factory line's `hash`), else worked out from ``attributes`` when read — reading a
    /// 100,000-line file for a run never pays for hashes the run does not use.
    public var hash: String {
        get { givenHash ?? CanonicalHash.hash(attributes) }
        set { givenHash = newValue }
    }
    /// The hash the source gave, if any.
    private var givenHash: String?
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
        id: String, name: String? = nil, slot: Int, attempt: Int = 0, cell: String = "", attributes: JSONObject,
        hash: String? = nil, warnings: [String] = [], rejects: [String] = [], narrative: String? = nil,
        narrativeError: String? = nil
    ) {
        self.id = id
        self.name = name
        self.slot = slot
        self.attempt = attempt
        self.cell = cell
        self.attributes = attributes
        self.givenHash = hash
        self.warnings = warnings
        self.rejects = rejects
        self.narrative = narrative
        self.narrativeError = narrativeError
    }

    /// Creates a persona that no factory slot produced (an inline scenario persona, a role written in
    /// code): slot 0, first attempt, no cell; the hash is computed from `attributes`.
    public init(id: String, name: String? = nil, attributes: JSONObject = JSONObject(), narrative: String? = nil) {
        self.init(id: id, name: name, slot: 0, attributes: attributes, narrative: narrative)
    }

    /// Whether two personas are the same person record: every field, the ``hash`` as read.
    public static func == (lhs: Persona, rhs: Persona) -> Bool {
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.slot == rhs.slot && lhs.attempt == rhs.attempt
            && lhs.cell == rhs.cell && lhs.attributes == rhs.attributes && lhs.warnings == rhs.warnings
            && lhs.rejects == rhs.rejects && lhs.narrative == rhs.narrative
            && lhs.narrativeError == rhs.narrativeError && lhs.hash == rhs.hash
    }

    /// Hashes the id and slot (equal personas share both).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(slot)
    }

    /// The name the persona is called by in transcripts and prompts: ``name``, else the `name`
    /// attribute, else the id.
    public var displayName: String { name ?? attributes["name"]?.stringValue ?? id }

    /// The id of slot `slot`.
    public static func id(slot: Int) -> String {
        let digits = String(slot)
        return "p" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The JSON object of this persona (the population JSONL form) with a stable key order: id, name,
    /// slot, attempt, cell, attributes, hash, warnings, rejects, narrative, narrativeError (name and the
    /// last four only when present).
    public var json: JSONValue {
        var object = JSONObject()
        object["id"] = .string(id)
        if let name { object["name"] = .string(name) }
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
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return normaliseASCII(text) }
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

    /// ``normalise(_:)`` for ASCII text, byte by byte: NFC leaves ASCII as it is, and its
    /// whitespace characters are exactly U+0009–U+000D and U+0020 (a CR LF pair is one run).
    /// Reading 100,000 personas spent a third of its time in the general path.
    static func normaliseASCII(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for byte in text.utf8 {
            if byte == 0x20 || (0x09...0x0D).contains(byte) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
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
