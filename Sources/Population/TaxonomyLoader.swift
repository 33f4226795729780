import Foundation
public import Storage

extension Taxonomy {
    /// Loads a taxonomy file (ordered JSON, spec §7) and checks it: unknown ids, cycles between `given` and
    /// `enabledIf`, type errors, bad literals and rules. Every error names the file, the JSON path and the reason.
    public static func load(file: String) throws(PopulationError) -> Taxonomy {
        let json = try DataFiles.json(file, code: .invalidTaxonomy)
        return try load(json: json, file: file, baseDirectory: DataFiles.directory(of: file))
    }

    /// Loads a taxonomy from parsed JSON. Relative paths (`valuesRef`, prior tables, `@references`) resolve
    /// against `baseDirectory`.
    public static func load(json: JSONValue, file: String?, baseDirectory: String?, path: String = "$")
        throws(PopulationError) -> Taxonomy
    {
        var loader = TaxonomyLoader(file: file, baseDirectory: baseDirectory)
        return try loader.load(JSONCursor(json, path: path, file: file))
    }
}

struct TaxonomyLoader {
    let file: String?
    let baseDirectory: String?
    var attributes: [Attribute] = []
    var attributePaths: [String] = []
    var pendingPriors: [(attribute: Int, cursor: JSONCursor)] = []
    var groups: [OptionalGroup] = []
    var seenIDs: [String: String] = [:]

    init(file: String?, baseDirectory: String?) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    static let nodeKeys = [
        "id", "label", "kind", "children", "optional", "probability", "values", "valuesRef", "range", "bins",
        "withinBin", "precision", "minCount", "maxCount", "prior", "enabledIf", "generator", "maxChars",
    ]

    mutating func load(_ root: JSONCursor) throws(PopulationError) -> Taxonomy {
        let code = PopulationError.Code.invalidTaxonomy
        try root.checkKeys(["taxonomyVersion", "id", "label", "nodes", "rules", "references"], code: code)
        let id = try root["id"]?.string(code: code) ?? "taxonomy"
        let version = try root["taxonomyVersion"]?.string(code: code) ?? "1.0"
        for node in try root.required("nodes", code: code).array(code: code) {
            try visit(node, group: nil)
        }
        // Priors reference other attributes, so they are read once every attribute is known.
        for (index, cursor) in pendingPriors {
            attributes[index].prior = try prior(cursor, for: attributes[index])
        }
        var rules: [Rule] = []
        if let rulesCursor = root["rules"] {
            rules = try RuleFiles.rules(rulesCursor, baseDirectory: baseDirectory)
        }
        var taxonomy = try Taxonomy(
            id: id, version: version, attributes: attributes, optionalGroups: groups, rules: rules, file: file)
        taxonomy.referenceBase = baseDirectory
        if let references = root["references"] {
            taxonomy.inlineReferences = try RuleFiles.inlineReferences(references)
        }
        try TaxonomyLoader.check(taxonomy, attributePaths: attributePaths)
        return taxonomy
    }

    private mutating func visit(_ node: JSONCursor, group: Int?) throws(PopulationError) {
        let code = PopulationError.Code.invalidTaxonomy
        try node.checkKeys(Self.nodeKeys, code: code)
        let id = try node.required("id", code: code).string(code: code)
        guard !id.isEmpty, !id.contains(where: { $0.isWhitespace }) else {
            throw node.error("node id '\(id)' must be non-empty without spaces", code: code)
        }
        if let previous = seenIDs[id] {
            throw PopulationError(
                code, "id '\(id)' is already used at \(previous); ids must be unique", file: file,
                path: node.path + ".id")
        }
        seenIDs[id] = node.path
        let label = try node["label"]?.string(code: code) ?? id
        if let kindCursor = node["kind"] {
            if node["children"] != nil {
                throw node.error("an attribute (with 'kind') cannot have children", code: code)
            }
            let kindText = try kindCursor.string(code: code)
            guard let kind = AttributeKind(rawValue: kindText) else {
                throw kindCursor.error(
                    "unknown kind '\(kindText)' (known: \(AttributeKind.allCases.map(\.rawValue).joined(separator: ", ")))",
                    code: code)
            }
            try attribute(node, id: id, label: label, kind: kind, group: group)
            return
        }
        var childGroup = group
        if let optional = node["optional"], try optional.bool(code: code) {
            let probability = try node["probability"]?.number(code: code) ?? 0.5
            guard probability >= 0 && probability <= 1 else {
                throw node.error("probability must be within 0…1", code: code)
            }
            groups.append(OptionalGroup(id: id, probability: probability))
            childGroup = groups.count - 1
        }
        guard let children = node["children"] else {
            throw node.error("node '\(id)' has neither 'kind' (an attribute) nor 'children' (a group)", code: code)
        }
        for child in try children.array(code: code) { try visit(child, group: childGroup) }
    }

    private mutating func attribute(_ node: JSONCursor, id: String, label: String, kind: AttributeKind, group: Int?)
        throws(PopulationError)
    {
        let code = PopulationError.Code.invalidTaxonomy
        var options: [AttributeOption] = []
        if kind == .enumeration || kind == .ordinal || kind == .set {
            if let values = node["values"] {
                options = try Self.options(values)
            } else if let reference = node["valuesRef"] {
                let path = DataFiles.resolve(try reference.string(code: code), against: baseDirectory)
                let json = try DataFiles.json(path, code: code)
                options = try Self.options(JSONCursor(json, file: path))
            } else {
                throw node.error("\(kind.rawValue) attribute '\(id)' needs 'values' or 'valuesRef'", code: code)
            }
            guard !options.isEmpty else { throw node.error("attribute '\(id)' has no values", code: code) }
            var seen: [String] = []
            for option in options {
                if seen.contains(option.id) {
                    throw node.error("value '\(option.id)' appears twice in '\(id)'", code: code)
                }
                seen.append(option.id)
            }
            if kind == .set && options.count > 63 {
                throw node.error("set attribute '\(id)' has more than 63 values; split it", code: code)
            }
        }
        var range: ClosedRange<Double>?
        var bins: [AttributeBin] = []
        if kind.isNumeric {
            let bounds = try node.required("range", code: code).array(code: code)
            guard bounds.count == 2 else { throw node.error("range must be [lo, hi]", code: code) }
            let lo = try bounds[0].number(code: code)
            let hi = try bounds[1].number(code: code)
            guard lo <= hi else { throw node.error("range [\(lo), \(hi)] is empty", code: code) }
            range = lo...hi
            if let binCursor = node["bins"] {
                for item in try binCursor.array(code: code) {
                    let binID = try item.required("id", code: code).string(code: code)
                    let binLo = try item.required("lo", code: code).number(code: code)
                    let binHi = try item.required("hi", code: code).number(code: code)
                    guard binLo <= binHi, binLo >= lo, binHi <= hi else {
                        throw item.error(
                            "bin '\(binID)' [\(binLo), \(binHi)] is empty or outside the range", code: code)
                    }
                    if let last = bins.last, binLo <= last.hi {
                        throw item.error("bin '\(binID)' overlaps or precedes bin '\(last.id)'", code: code)
                    }
                    bins.append(AttributeBin(id: binID, lo: binLo, hi: binHi))
                }
            }
        }
        var attribute = Attribute(
            id: id, label: label, kind: kind, options: options, range: range, bins: bins,
            precision: try node["precision"]?.integer(code: code) ?? 2,
            minCount: try node["minCount"]?.integer(code: code) ?? 1,
            maxCount: try node["maxCount"]?.integer(code: code) ?? max(1, min(3, options.count)),
            enabledIf: try node["enabledIf"]?.string(code: code), optionalGroup: group,
            maxChars: try node["maxChars"]?.integer(code: code))
        if kind == .set {
            guard attribute.minCount >= 0, attribute.minCount <= attribute.maxCount, attribute.maxCount <= options.count
            else {
                throw node.error("set '\(id)' needs 0 <= minCount <= maxCount <= number of values", code: code)
            }
        }
        if kind == .int, let range, range.upperBound - range.lowerBound > 10_000_000 {
            throw node.error("int range of '\(id)' is too wide (more than 10^7 values)", code: code)
        }
        attribute.prior = .uniform
        attributes.append(attribute)
        attributePaths.append(node.path)
        if let priorCursor = node["prior"] { pendingPriors.append((attributes.count - 1, priorCursor)) }
    }

    static func options(_ cursor: JSONCursor) throws(PopulationError) -> [AttributeOption] {
        let code = PopulationError.Code.invalidTaxonomy
        var result: [AttributeOption] = []
        for item in try cursor.array(code: code) {
            switch item.value {
            case .string(let text): result.append(AttributeOption(id: text))
            case .object:
                let id = try item.required("id", code: code).string(code: code)
                result.append(AttributeOption(id: id, label: try item["label"]?.string(code: code)))
            default: throw item.error("a value is a string or {\"id\", \"label\"}", code: code)
            }
        }
        return result
    }

    /// Category names accepted for an attribute in weights and tables.
    static func categoryIndex(_ name: String, of attribute: Attribute) -> Int? {
        if attribute.kind.isNumeric { return attribute.categoryIDs.firstIndex(of: name) }
        return attribute.optionIndex(name)
    }

    private func weights(_ cursor: JSONCursor, for attribute: Attribute) throws(PopulationError) -> [Double] {
        let code = PopulationError.Code.invalidTaxonomy
        if attribute.kind.isNumeric && attribute.bins.isEmpty {
            throw cursor.error("weights on '\(attribute.id)' need declared bins", code: code)
        }
        var result = [Double](repeating: 0, count: attribute.categoryCount)
        for (key, value) in try cursor.members(code: code) {
            guard let index = Self.categoryIndex(key, of: attribute) else {
                throw value.error(
                    "'\(key)' is not a value of '\(attribute.id)' (values: \(attribute.categoryIDs.prefix(12).joined(separator: ", ")))",
                    code: code)
            }
            let weight = try value.number(code: code)
            guard weight >= 0, weight.isFinite else { throw value.error("weights must be >= 0", code: code) }
            result[index] = weight
        }
        guard result.contains(where: { $0 > 0 }) else { throw cursor.error("all weights are zero", code: code) }
        return result
    }

    private func prior(_ cursor: JSONCursor, for attribute: Attribute) throws(PopulationError) -> AttributePrior {
        let code = PopulationError.Code.invalidTaxonomy
        if case .string(let text) = cursor.value {
            guard text == "uniform" else { throw cursor.error("a prior is \"uniform\" or an object", code: code) }
            return .uniform
        }
        try cursor.checkKeys(["weights", "given", "table", "default", "uniform"], code: code)
        if attribute.kind == .text { throw cursor.error("text attributes have no prior", code: code) }
        if let weightsCursor = cursor["weights"] { return .weights(try weights(weightsCursor, for: attribute)) }
        guard let given = cursor["given"] else { return .uniform }
        var parents: [Int] = []
        for item in try given.array(code: code) {
            var name = try item.string(code: code)
            if name.hasSuffix("#bins") { name.removeLast(5) }
            guard let index = attributes.firstIndex(where: { $0.id == name }) else {
                throw item.error(
                    "unknown attribute '\(name)' in 'given'; check the id against the taxonomy", code: code)
            }
            let parent = attributes[index]
            guard parent.kind.isCategorical || parent.kind.isNumeric else {
                throw item.error("'given' parent '\(name)' must be categorical or numeric (binned)", code: code)
            }
            if parent.id == attribute.id {
                throw item.error("attribute '\(name)' cannot be its own parent", code: code)
            }
            parents.append(index)
        }
        let radix = parents.map { attributes[$0].categoryCount }
        let size = radix.reduce(1, *)
        var rows = [[Double]?](repeating: nil, count: size)
        var defaultRow = [Double](repeating: 1, count: attribute.categoryCount)
        if attribute.kind.isNumeric && attribute.bins.isEmpty {
            throw cursor.error("a conditional prior on '\(attribute.id)' needs declared bins", code: code)
        }
        if let defaultCursor = cursor["default"] {
            defaultRow = try weights(defaultCursor["weights"] ?? defaultCursor, for: attribute)
        }
        func key(_ names: [String], at location: () -> PopulationError) throws(PopulationError) -> Int? {
            if names.allSatisfy({ $0 == "*" }) { return nil }
            var index = 0
            for (position, name) in names.enumerated() {
                let parent = attributes[parents[position]]
                guard let category = Self.categoryIndex(name, of: parent) else {
                    var error = location()
                    error = PopulationError(
                        error.code, "'\(name)' is not a value of parent '\(parent.id)'", file: error.file,
                        path: error.path)
                    throw error
                }
                index = index * radix[position] + category
            }
            return index
        }
        guard let table = cursor["table"] else { throw cursor.error("'given' needs a 'table'", code: code) }
        if case .string(let relative) = table.value {
            let path = DataFiles.resolve(relative, against: baseDirectory)
            let csv = try CSVTable.load(path)
            guard csv.header.count >= parents.count + 1 else {
                throw PopulationError(
                    .invalidCSV, "expected \(parents.count) parent columns then value columns", file: path)
            }
            var columns: [Int] = []
            for name in csv.header.dropFirst(parents.count) {
                guard let index = Self.categoryIndex(name, of: attribute) else {
                    throw PopulationError(
                        .invalidCSV, "column '\(name)' is not a value of '\(attribute.id)'", file: path, path: "line 1")
                }
                columns.append(index)
            }
            for row in csv.rows.indices {
                var weights = [Double](repeating: 0, count: attribute.categoryCount)
                for (offset, column) in columns.enumerated() {
                    weights[column] = try csv.number(row, parents.count + offset)
                }
                let location = { PopulationError(.invalidCSV, "", file: path, path: "line \(csv.lines[row])") }
                if let index = try key(Array(csv.rows[row].prefix(parents.count)), at: location) {
                    rows[index] = weights
                } else {
                    defaultRow = weights
                }
            }
        } else {
            for item in try table.array(code: code) {
                let condition = try item.required("if", code: code).array(code: code)
                guard condition.count == parents.count else {
                    throw item.error("'if' needs one value per parent (\(parents.count))", code: code)
                }
                var names: [String] = []
                for part in condition { names.append(try part.string(code: code)) }
                let weights = try weights(try item.required("weights", code: code), for: attribute)
                if let index = try key(names, at: { item.error("", code: code) }) {
                    rows[index] = weights
                } else {
                    defaultRow = weights
                }
            }
        }
        return .conditional(ConditionalPrior(parents: parents, radix: radix, rows: rows, defaultRow: defaultRow))
    }

    /// Load-time checks that need the whole taxonomy: enabledIf and rules compile, and no cycle between
    /// `given` and `enabledIf`.
    static func check(_ taxonomy: Taxonomy, attributePaths: [String]) throws(PopulationError) {
        let compiler = taxonomy.ruleCompiler()
        var edges = [[Int]](repeating: [], count: taxonomy.attributes.count)
        for (index, attribute) in taxonomy.attributes.enumerated() {
            if case .conditional(let conditional) = attribute.prior { edges[index] += conditional.parents }
            if let enabledIf = attribute.enabledIf {
                var dependencies: [Int] = []
                _ = try compiler.condition(
                    enabledIf, context: "enabledIf of '\(attribute.id)'", file: taxonomy.file,
                    path: (attributePaths.count > index ? attributePaths[index] : "$") + ".enabledIf",
                    into: &dependencies)
                edges[index] += dependencies
            }
        }
        // Depth-first search for a cycle (edges point from an attribute to what it depends on).
        var state = [UInt8](repeating: 0, count: edges.count)
        var stack: [Int] = []
        func visit(_ node: Int) throws(PopulationError) {
            state[node] = 1
            stack.append(node)
            for next in edges[node] {
                if state[next] == 1 {
                    let start = stack.firstIndex(of: next) ?? 0
                    let cycle = (stack[start...] + [next]).map { taxonomy.attributes[$0].id }
                    throw PopulationError(
                        .invalidTaxonomy,
                        "dependency cycle through 'given'/'enabledIf': \(cycle.joined(separator: " -> ")); "
                            + "remove one of these dependencies",
                        file: taxonomy.file, path: attributePaths.count > node ? attributePaths[node] : nil)
                }
                if state[next] == 0 { try visit(next) }
            }
            stack.removeLast()
            state[node] = 2
        }
        for node in edges.indices where state[node] == 0 { try visit(node) }
        for (index, rule) in taxonomy.rules.enumerated() {
            _ = try compiler.compile(rule, file: taxonomy.file, path: "$.rules[\(index)]")
        }
    }
}

/// Reading rules and rule references from JSON.
enum RuleFiles {
    static func rules(_ cursor: JSONCursor, baseDirectory: String?) throws(PopulationError) -> [Rule] {
        var items = cursor
        if case .string(let relative) = cursor.value {
            let path = DataFiles.resolve(relative, against: baseDirectory)
            items = JSONCursor(try DataFiles.json(path, code: .invalidRule), file: path)
        }
        var rules: [Rule] = []
        for item in try items.array(code: .invalidRule) {
            let code = PopulationError.Code.invalidRule
            try item.checkKeys(["id", "severity", "when", "require", "message", "penalty"], code: code)
            let id = try item.required("id", code: code).string(code: code)
            if rules.contains(where: { $0.id == id }) { throw item.error("rule id '\(id)' appears twice", code: code) }
            let severityText = try item["severity"]?.string(code: code) ?? "hard"
            guard let severity = Rule.Severity(rawValue: severityText) else {
                throw item.error("rule '\(id)': severity is \"hard\" or \"soft\"", code: code)
            }
            rules.append(
                Rule(
                    id: id, severity: severity, when: try item["when"]?.string(code: code),
                    require: try item.required("require", code: code).string(code: code),
                    message: try item["message"]?.string(code: code),
                    penalty: try item["penalty"]?.number(code: code) ?? 1))
        }
        return rules
    }

    static func reference(_ json: JSONValue, file: String?, path: String) throws(PopulationError) -> RuleReference {
        let cursor = JSONCursor(json, path: path, file: file)
        switch json {
        case .array:
            var list: [String] = []
            for item in try cursor.array(code: .invalidRule) {
                if let id = item["id"] {
                    list.append(try id.string(code: .invalidRule))
                } else {
                    list.append(try item.string(code: .invalidRule))
                }
            }
            return .list(list)
        case .object:
            var pairs: [(String, Double)] = []
            for (key, value) in try cursor.members(code: .invalidRule) {
                pairs.append((key, try value.number(code: .invalidRule)))
            }
            return .table(pairs)
        default:
            throw cursor.error("a reference is a JSON array (list) or object (table)", code: .invalidRule)
        }
    }

    static func inlineReferences(_ cursor: JSONCursor) throws(PopulationError) -> [String: RuleReference] {
        var result: [String: RuleReference] = [:]
        for (key, value) in try cursor.members(code: .invalidRule) {
            result[key] = try reference(value.value, file: cursor.file, path: value.path)
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
