import Foundation
import Storage

/// Reading rules and rule references from JSON.
enum RuleFiles {
    static func rules(_ cursor: JSONPathReader<PopulationError>, baseDirectory: String?) throws(PopulationError)
        -> [Rule]
    {
        var items = cursor.coded(.invalidRule)
        if case .string(let relative) = cursor.value {
            let path = DataFiles.resolve(relative, against: baseDirectory)
            items = JSONPathReader(try DataFiles.json(path, code: .invalidRule), file: path, code: .invalidRule)
        }
        var rules: [Rule] = []
        for item in try items.elements() {
            try item.checkKeys(["id", "severity", "when", "require", "message", "penalty"])
            let id = try item.string("id")
            if rules.contains(where: { $0.id == id }) { throw item.fail("rule id '\(id)' appears twice") }
            let severityText = try item.optionalString("severity") ?? "hard"
            guard let severity = Rule.Severity(rawValue: severityText) else {
                throw item.fail("rule '\(id)': severity is \"hard\" or \"soft\"")
            }
            rules.append(
                Rule(
                    id: id, severity: severity, when: try item.optionalString("when"),
                    require: try item.string("require"),
                    message: try item.optionalString("message"),
                    penalty: try item.optionalDouble("penalty") ?? 1))
        }
        return rules
    }

    static func reference(_ json: JSONValue, file: String?, path: String) throws(PopulationError) -> RuleReference {
        let cursor = JSONPathReader(json, file: file, path: path, code: .invalidRule)
        switch json {
        case .array:
            var list: [String] = []
            for item in try cursor.elements() {
                if let id = item["id"] {
                    list.append(try id.string())
                } else {
                    list.append(try item.string())
                }
            }
            return .list(list)
        case .object:
            var pairs: [(String, Double)] = []
            for (key, value) in try cursor.members() {
                pairs.append((key, try value.double()))
            }
            return .table(pairs)
        default:
            throw cursor.fail("a reference is a JSON array (list) or object (table)")
        }
    }

    static func inlineReferences(_ cursor: JSONPathReader<PopulationError>) throws(PopulationError) -> [String:
        RuleReference]
    {
        var result: [String: RuleReference] = [:]
        for (key, value) in try cursor.coded(.invalidRule).members() {
            result[key] = try reference(value.value, file: value.file, path: value.path)
        }
        return result
    }

    /// Finds `@path` as an inline reference, or as `path`, `path.json` or `path.csv` under `baseDirectory`.
    static func resolve(_ path: String, inline: [String: RuleReference], baseDirectory: String?)
        throws(PopulationError) -> RuleReference
    {
        if let found = inline[path] { return found }
        for candidate in [path, path + ".json", path + ".csv"] {
            let full = DataFiles.resolve(candidate, against: baseDirectory)
            guard FileManager.default.fileExists(atPath: full) else { continue }
            if full.hasSuffix(".csv") {
                let csv = try CSVTable.load(full)
                guard csv.header.count == 2 else {
                    throw PopulationError(.invalidCSV, "a lookup table has two columns: key,value", file: full)
                }
                var pairs: [(String, Double)] = []
                for row in csv.rows.indices { pairs.append((csv.rows[row][0], try csv.number(row, 1))) }
                return .table(pairs)
            }
            return try reference(try DataFiles.json(full, code: .invalidRule), file: full, path: "$")
        }
        throw PopulationError(
            .invalidRule, "reference @\(path) not found (looked for \(path), \(path).json, \(path).csv)",
            file: nil, path: nil)
    }
}

extension Taxonomy {
    func ruleCompiler(extraReferences: [String: RuleReference] = [:], extraBase: String? = nil) -> RuleCompiler {
        let inline = inlineReferences.merging(extraReferences) { first, _ in first }
        let base = referenceBase
        return RuleCompiler(taxonomy: self) { path throws(PopulationError) in
            do throws(PopulationError) {
                return try RuleFiles.resolve(path, inline: inline, baseDirectory: base)
            } catch {
                if let extraBase { return try RuleFiles.resolve(path, inline: inline, baseDirectory: extraBase) }
                throw error
            }
        }
    }
}
