import Foundation
public import Storage

/// Import and export of TinyTroupe agent specs and population descriptions.
public enum TinyTroupe {
    /// Parses `"18.6%"`, `"18.6"` or a number into a percentage.
    static func percent(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let number): return Double(number)
        case .number(let number): return number
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasSuffix("%") else { return nil }
            return Double(trimmed.dropLast().trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// Reads a group of percentages from a TinyTroupe population description, e.g. path
    /// `Demographics/Gender Distribution`. A group that does not sum to 100% is renormalised with a warning.
    /// - Returns: the (label, share) pairs in file order (shares sum to 1) and any warnings.
    public static func group(file: String, path: [String]) throws(PopulationError) -> (
        shares: [(String, Double)], warnings: [String]
    ) {
        let json = try DataFiles.json(file, code: .invalidSpec)
        var cursor = JSONPathReader(json, file: file, code: .invalidSpec)
        if cursor["content"] != nil, path.first != "content", let content = cursor["content"] { cursor = content }
        for key in path {
            guard let next = cursor[key] else {
                throw cursor.fail("no key '\(key)' here (keys: \(cursor.keys.joined(separator: ", ")))")
            }
            cursor = next
        }
        var shares: [(String, Double)] = []
        for (key, value) in try cursor.members() {
            guard let share = percent(value.value) else { continue }
            shares.append((key, share))
        }
        guard !shares.isEmpty else { throw cursor.fail("no percentage values in this group") }
        let sum = shares.reduce(0) { $0 + $1.1 }
        var warnings: [String] = []
        if abs(sum - 100) > 0.05 {
            warnings.append(
                "\(file): \(path.joined(separator: "/")) sums to \(QuotaPlan.formatNumber(sum))%, renormalised to 100%")
        }
        return (shares.map { ($0.0, sum > 0 ? $0.1 / sum : 0) }, warnings)
    }

    /// Quota rows for one dimension from `{"file": …, "path": [...] or "A/B", "map": {"label": "category"}}`.
    static func quotaRows(
        _ cursor: JSONPathReader<PopulationError>, baseDirectory: String?, categories: [String], dimension: String
    )
        throws(PopulationError) -> (rows: [(cell: Int, value: Double)], warnings: [String])
    {
        try cursor.checkKeys(["file", "path", "map"])
        let file = DataFiles.resolve(try cursor.string("file"), against: baseDirectory)
        let pathCursor = try cursor.required("path")
        var path: [String] = []
        if case .string(let text) = pathCursor.value {
            path = text.split(separator: "/").map(String.init)
        } else {
            for item in try pathCursor.elements() { path.append(try item.string()) }
        }
        var map: [(String, String)] = []
        if let mapCursor = cursor["map"] {
            for (key, value) in try mapCursor.members() { map.append((key, try value.string())) }
        }
        let group = try group(file: file, path: path)
        var rows: [(cell: Int, value: Double)] = []
        for (label, share) in group.shares {
            let category = map.first(where: { $0.0 == label })?.1 ?? label
            guard let index = categories.firstIndex(of: category) else {
                throw cursor.fail(
                    "TinyTroupe group '\(label)' maps to '\(category)', which is not a category of '\(dimension)'; "
                        + "add it to 'map'")
            }
            rows.append((index, share))
        }
        return (rows, group.warnings)
    }
}

extension TinyTroupe {
    /// A TinyTroupe agent spec for a persona: `{"type": "TinyPerson", "persona": {"name": id, …attributes, "narrative"?}}`.
    public static func agentSpec(_ persona: Persona) -> JSONValue {
        var inner = JSONObject()
        inner["name"] = .string(persona.id)
        for (key, value) in persona.attributes { inner[key] = value }
        if let narrative = persona.narrative { inner["narrative"] = .string(narrative) }
        return .object(JSONObject([("type", "TinyPerson"), ("persona", .object(inner))]))
    }

    /// Reads a persona from a TinyTroupe agent spec; nested objects become dotted ids (`occupation.title`).
    public static func persona(agentSpec json: JSONValue, slot: Int = 0, file: String? = nil) throws(PopulationError)
        -> Persona
    {
        guard let object = json.objectValue, object["type"]?.stringValue == "TinyPerson",
            let inner = object["persona"]?.objectValue
        else {
            throw PopulationError(
                .invalidPersona, "expected {\"type\": \"TinyPerson\", \"persona\": {...}}", file: file, path: "$")
        }
        var attributes = JSONObject()
        var narrative: String?
        func flatten(_ prefix: String, _ value: JSONValue) {
            if case .object(let nested) = value {
                for (key, child) in nested { flatten(prefix.isEmpty ? key : "\(prefix).\(key)", child) }
            } else {
                attributes[prefix] = value
            }
        }
        for (key, value) in inner where key != "name" {
            if key == "narrative", let text = value.stringValue {
                narrative = text
                continue
            }
            flatten(key, value)
        }
        return Persona(
            id: inner["name"]?.stringValue ?? Persona.id(slot: slot), slot: slot, attributes: attributes,
            narrative: narrative)
    }

    /// Writes one `<id>.agent.json` TinyTroupe spec per persona into `directory`.
    public static func exportAgentSpecs(_ personas: [Persona], directory: String) throws(PopulationError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for persona in personas {
                try (agentSpec(persona).serialized(pretty: true) + "\n").write(
                    toFile: DataFiles.resolve("\(persona.id).agent.json", against: directory), atomically: true,
                    encoding: .utf8)
            }
        } catch {
            throw PopulationError(.io, "cannot write agent specs", file: directory, underlying: error)
        }
    }

    /// Reads a TinyTroupe agent spec file.
    public static func importAgentSpec(file: String, slot: Int = 0) throws(PopulationError) -> Persona {
        try persona(agentSpec: try DataFiles.json(file, code: .invalidPersona), slot: slot, file: file)
    }
}
