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
        return try loader.load(JSONPathReader(json, file: file, path: path, code: .invalidTaxonomy))
    }
}

struct TaxonomyLoader {
    let file: String?
    let baseDirectory: String?
    var attributes: [Attribute] = []
    var attributePaths: [String] = []
    var pendingPriors: [(attribute: Int, cursor: JSONPathReader<PopulationError>)] = []
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

    mutating func load(_ root: JSONPathReader<PopulationError>) throws(PopulationError) -> Taxonomy {
        try root.checkKeys(["taxonomyVersion", "id", "label", "nodes", "rules", "references"])
        let id = try root.optionalString("id") ?? "taxonomy"
        let version = try root.optionalString("taxonomyVersion") ?? "1.0"
        for node in try root.readers("nodes") {
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

    private mutating func visit(_ node: JSONPathReader<PopulationError>, group: Int?) throws(PopulationError) {
        try node.checkKeys(Self.nodeKeys)
        let id = try node.string("id")
        guard !id.isEmpty, !id.contains(where: { $0.isWhitespace }) else {
            throw node.fail("node id '\(id)' must be non-empty without spaces")
        }
        if let previous = seenIDs[id] {
            throw node.fail("id", "id '\(id)' is already used at \(previous); ids must be unique")
        }
        seenIDs[id] = node.path
        let label = try node.optionalString("label") ?? id
        if let kindCursor = node["kind"] {
            if node["children"] != nil {
                throw node.fail("an attribute (with 'kind') cannot have children")
            }
            let kindText = try kindCursor.string()
            guard let kind = AttributeKind(rawValue: kindText) else {
                throw kindCursor.fail(
                    "unknown kind '\(kindText)' (known: \(AttributeKind.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            try attribute(node, id: id, label: label, kind: kind, group: group)
            return
        }
        var childGroup = group
        if let optional = node["optional"], try optional.bool() {
            let probability = try node.optionalDouble("probability") ?? 0.5
            guard probability >= 0 && probability <= 1 else {
                throw node.fail("probability must be within 0…1")
            }
            groups.append(OptionalGroup(id: id, probability: probability))
            childGroup = groups.count - 1
        }
        guard let children = node["children"] else {
            throw node.fail("node '\(id)' has neither 'kind' (an attribute) nor 'children' (a group)")
        }
        for child in try children.elements() { try visit(child, group: childGroup) }
    }

    private mutating func attribute(
        _ node: JSONPathReader<PopulationError>, id: String, label: String, kind: AttributeKind, group: Int?
    )
        throws(PopulationError)
    {
        var options: [AttributeOption] = []
        if kind == .enumeration || kind == .ordinal || kind == .set {
            if let values = node["values"] {
                options = try Self.options(values)
            } else if let reference = node["valuesRef"] {
                let path = DataFiles.resolve(try reference.string(), against: baseDirectory)
                let json = try DataFiles.json(path, code: .invalidTaxonomy)
                options = try Self.options(JSONPathReader(json, file: path, code: .invalidTaxonomy))
            } else {
                throw node.fail("\(kind.rawValue) attribute '\(id)' needs 'values' or 'valuesRef'")
            }
            guard !options.isEmpty else { throw node.fail("attribute '\(id)' has no values") }
            var seen: [String] = []
            for option in options {
                if seen.contains(option.id) {
                    throw node.fail("value '\(option.id)' appears twice in '\(id)'")
                }
                seen.append(option.id)
            }
            if kind == .set && options.count > 63 {
                throw node.fail("set attribute '\(id)' has more than 63 values; split it")
            }
        }
        var range: ClosedRange<Double>?
        var bins: [AttributeBin] = []
        if kind.isNumeric {
            let bounds = try node.elements("range")
            guard bounds.count == 2 else { throw node.fail("range must be [lo, hi]") }
            let lo = try bounds[0].double()
            let hi = try bounds[1].double()
            guard lo <= hi else { throw node.fail("range [\(lo), \(hi)] is empty") }
            range = lo...hi
            if let binCursor = node["bins"] {
                for item in try binCursor.elements() {
                    let binID = try item.string("id")
                    let binLo = try item.double("lo")
                    let binHi = try item.double("hi")
                    guard binLo <= binHi, binLo >= lo, binHi <= hi else {
                        throw item.fail(
                            "bin '\(binID)' [\(binLo), \(binHi)] is empty or outside the range")
                    }
                    if let last = bins.last, binLo <= last.hi {
                        throw item.fail("bin '\(binID)' overlaps or precedes bin '\(last.id)'")
                    }
                    bins.append(AttributeBin(id: binID, lo: binLo, hi: binHi))
                }
            }
        }
        var attribute = Attribute(
            id: id, label: label, kind: kind, options: options, range: range, bins: bins,
            precision: try node.optionalInt("precision") ?? 2,
            minCount: try node.optionalInt("minCount") ?? 1,
            maxCount: try node.optionalInt("maxCount") ?? max(1, min(3, options.count)),
            enabledIf: try node.optionalString("enabledIf"), optionalGroup: group,
            maxChars: try node.optionalInt("maxChars"))
        if kind == .set {
            guard attribute.minCount >= 0, attribute.minCount <= attribute.maxCount, attribute.maxCount <= options.count
            else {
                throw node.fail("set '\(id)' needs 0 <= minCount <= maxCount <= number of values")
            }
        }
        if kind == .int, let range, range.upperBound - range.lowerBound > 10_000_000 {
            throw node.fail("int range of '\(id)' is too wide (more than 10^7 values)")
        }
        attribute.prior = .uniform
        attributes.append(attribute)
        attributePaths.append(node.path)
        if let priorCursor = node["prior"] { pendingPriors.append((attributes.count - 1, priorCursor)) }
    }

    static func options(_ cursor: JSONPathReader<PopulationError>) throws(PopulationError) -> [AttributeOption] {
        var result: [AttributeOption] = []
        for item in try cursor.elements() {
            switch item.value {
            case .string(let text): result.append(AttributeOption(id: text))
            case .object:
                let id = try item.string("id")
                result.append(AttributeOption(id: id, label: try item.optionalString("label")))
            default: throw item.fail("a value is a string or {\"id\", \"label\"}")
            }
        }
        return result
    }

    /// Category names accepted for an attribute in weights and tables.
    static func categoryIndex(_ name: String, of attribute: Attribute) -> Int? {
        if attribute.kind.isNumeric { return attribute.categoryIDs.firstIndex(of: name) }
        return attribute.optionIndex(name)
    }

    private func weights(_ cursor: JSONPathReader<PopulationError>, for attribute: Attribute) throws(PopulationError)
        -> [Double]
    {
        if attribute.kind.isNumeric && attribute.bins.isEmpty {
            throw cursor.fail("weights on '\(attribute.id)' need declared bins")
        }
        var result = [Double](repeating: 0, count: attribute.categoryCount)
        for (key, value) in try cursor.members() {
            guard let index = Self.categoryIndex(key, of: attribute) else {
                throw value.fail(
                    "'\(key)' is not a value of '\(attribute.id)' (values: \(attribute.categoryIDs.prefix(12).joined(separator: ", ")))"
                )
            }
            let weight = try value.double()
            guard weight >= 0, weight.isFinite else { throw value.fail("weights must be >= 0") }
            result[index] = weight
        }
        guard result.contains(where: { $0 > 0 }) else { throw cursor.fail("all weights are zero") }
        return result
    }

    private func prior(_ cursor: JSONPathReader<PopulationError>, for attribute: Attribute) throws(PopulationError)
        -> AttributePrior
    {
        if case .string(let text) = cursor.value {
            guard text == "uniform" else { throw cursor.fail("a prior is \"uniform\" or an object") }
            return .uniform
        }
        try cursor.checkKeys(["weights", "given", "table", "default", "uniform"])
        if attribute.kind == .text { throw cursor.fail("text attributes have no prior") }
        if let weightsCursor = cursor["weights"] { return .weights(try weights(weightsCursor, for: attribute)) }
        guard let given = cursor["given"] else { return .uniform }
        var parents: [Int] = []
        for item in try given.elements() {
            var name = try item.string()
            if name.hasSuffix("#bins") { name.removeLast(5) }
            guard let index = attributes.firstIndex(where: { $0.id == name }) else {
                throw item.fail(
                    "unknown attribute '\(name)' in 'given'; check the id against the taxonomy")
            }
            let parent = attributes[index]
            guard parent.kind.isCategorical || parent.kind.isNumeric else {
                throw item.fail("'given' parent '\(name)' must be categorical or numeric (binned)")
            }
            if parent.id == attribute.id {
                throw item.fail("attribute '\(name)' cannot be its own parent")
            }
            parents.append(index)
        }
        let radix = parents.map { attributes[$0].categoryCount }
        let size = radix.reduce(1, *)
        var rows = [[Double]?](repeating: nil, count: size)
        var defaultRow = [Double](repeating: 1, count: attribute.categoryCount)
        if attribute.kind.isNumeric && attribute.bins.isEmpty {
            throw cursor.fail("a conditional prior on '\(attribute.id)' needs declared bins")
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
        guard let table = cursor["table"] else { throw cursor.fail("'given' needs a 'table'") }
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
            for item in try table.elements() {
                let condition = try item.elements("if")
                guard condition.count == parents.count else {
                    throw item.fail("'if' needs one value per parent (\(parents.count))")
                }
                var names: [String] = []
                for part in condition { names.append(try part.string()) }
                let weights = try weights(try item.required("weights"), for: attribute)
                if let index = try key(names, at: { item.fail("") }) {
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
