import Foundation
public import Storage

/// Deduplication settings (spec §11).
public struct DedupSettings: Sendable, Hashable {
    /// Whether to run the attribute MinHash-LSH near-duplicate check.
    public var minhash: Bool = true
    /// The Jaccard threshold τ for attribute near-duplicates (default 0.9).
    public var threshold: Double = 0.9
    /// Reject when at most this many attributes differ (an alternative to `threshold`), if set.
    public var maxDifferingAttributes: Int?
    /// LSH bands.
    public var bands: Int = 16
    /// LSH rows per band.
    public var rows: Int = 8
    /// Narrative near-duplicates: `minhash` (word 3-shingles), `simhash` (character 3-grams) or `none`.
    public var text: String = "minhash"
    /// Jaccard threshold for narrative MinHash (default 0.8).
    public var textThreshold: Double = 0.8
    /// Hamming threshold for narrative SimHash (default 3).
    public var simhashDistance: Int = 3
    /// Cosine threshold for embeddings when an embedding model is configured (default 0.90).
    public var embeddingThreshold: Double = 0.9

    /// The default settings.
    public init() {}
}

/// Narrative settings (spec §9.6 step 7).
public struct NarrativeSettings: Sendable, Hashable {
    /// Whether `generate` writes narratives by default.
    public var enabled: Bool = false
    /// The narrative's maximum length in characters.
    public var maxChars: Int = 600
    /// Whether to ask the model to validate each narrative (its issues drive revisions).
    public var validator: Bool = true
    /// Revision rounds driven by validator issues (default 2).
    public var reviseRounds: Int = 2
    /// How many narratives are written concurrently.
    public var concurrency: Int = 4
    /// Sampling temperature.
    public var temperature: Double = 0.7
    /// Token limit of one narrative answer.
    public var maxTokens: Int = 400
    /// Extra instructions appended to the prompt.
    public var instructions: String?

    /// The default settings.
    public init() {}
}

/// A population spec (`POPULATION.json`, spec §8): taxonomy, size, seed, quotas, association seed, rules,
/// dedup and narrative settings.
public struct PopulationSpec: Sendable {
    /// The spec id.
    public var id: String
    /// The file it was loaded from, if any.
    public var file: String?
    /// The taxonomy.
    public var taxonomy: Taxonomy
    /// The default population size.
    public var population: Int
    /// The default seed.
    public var seed: UInt64
    /// The quota dimensions.
    public var dimensions: [QuotaDimension]
    /// The quota targets.
    public var targets: [QuotaTarget]
    /// The prior joint over quota dimensions, if any.
    public var associationSeed: AssociationSeed?
    /// How the joint table is integerised.
    public var integerisation: IntegerisationMethod
    /// `onInfeasible: bestEffort`.
    public var bestEffort: Bool
    /// All rules: the taxonomy's, then the spec's.
    public var rules: [Rule]
    /// Dedup settings.
    public var dedup: DedupSettings
    /// Narrative settings.
    public var narrative: NarrativeSettings
    /// Attempts per slot before `cellExhausted` (default 50).
    public var maxAttemptsPerSlot: Int
    /// β of the depth scheduler (default 1).
    public var depthBeta: Double
    /// If set, the depth scheduler picks this many optional groups per persona instead of independent coins.
    public var depthPick: Int?
    /// Findings while loading (renormalised groups and the like).
    public var warnings: [String]
    var references: [String: RuleReference] = [:]
    var baseDirectory: String?

    /// Loads and checks a population spec; paths inside it are relative to the spec file.
    public static func load(file: String) throws(PopulationError) -> PopulationSpec {
        let json = try DataFiles.json(file, code: .invalidSpec)
        return try load(json: json, file: file, baseDirectory: DataFiles.directory(of: file))
    }

    /// Loads a spec from parsed JSON.
    public static func load(json: JSONValue, file: String?, baseDirectory: String?) throws(PopulationError)
        -> PopulationSpec
    {
        let root = JSONPathReader(json, file: file, code: .invalidSpec)
        try root.checkKeys(
            [
                "id", "taxonomy", "population", "seed", "targets", "associationSeed", "integerisation", "onInfeasible",
                "rules", "references", "dedup", "narrative", "depth", "maxAttemptsPerSlot",
            ])
        let taxonomyCursor = try root.required("taxonomy")
        let taxonomy: Taxonomy
        if case .string(let relative) = taxonomyCursor.value {
            taxonomy = try Taxonomy.load(file: DataFiles.resolve(relative, against: baseDirectory))
        } else {
            taxonomy = try Taxonomy.load(
                json: taxonomyCursor.value, file: file, baseDirectory: baseDirectory, path: taxonomyCursor.path)
        }
        var warnings: [String] = []
        let population = try root.optionalInt("population") ?? 1000
        guard population >= 0 else { throw root.fail("population must be >= 0") }
        let seedValue = try root.optionalDouble("seed") ?? 0
        guard seedValue >= 0, seedValue == seedValue.rounded(), seedValue < 1.8e19 else {
            throw root.fail("seed must be a non-negative integer")
        }
        var spec = PopulationSpec(
            id: try root.optionalString("id") ?? taxonomy.id, file: file, taxonomy: taxonomy,
            population: population, seed: UInt64(seedValue), dimensions: [], targets: [], associationSeed: nil,
            integerisation: .auto, bestEffort: false, rules: taxonomy.rules, dedup: DedupSettings(),
            narrative: NarrativeSettings(), maxAttemptsPerSlot: 50, depthBeta: 1, depthPick: nil, warnings: [])
        spec.baseDirectory = baseDirectory
        if let method = root["integerisation"] {
            let text = try method.string()
            guard let parsed = IntegerisationMethod(rawValue: text) else {
                throw method.fail("integerisation is auto, flow or qisi")
            }
            spec.integerisation = parsed
        }
        if let onInfeasible = root["onInfeasible"] {
            let text = try onInfeasible.string()
            guard text == "error" || text == "bestEffort" else {
                throw onInfeasible.fail("onInfeasible is error or bestEffort")
            }
            spec.bestEffort = text == "bestEffort"
        }
        if let references = root["references"] { spec.references = try RuleFiles.inlineReferences(references) }
        if let rules = root["rules"] {
            for rule in try RuleFiles.rules(rules, baseDirectory: baseDirectory) {
                if spec.rules.contains(where: { $0.id == rule.id }) {
                    throw rules.coded(.invalidRule).fail("rule id '\(rule.id)' is also declared in the taxonomy")
                }
                spec.rules.append(rule)
            }
        }
        // Compile every rule once here so that a bad rule fails at load with its path.
        let compiler = spec.ruleCompiler()
        for (index, rule) in spec.rules.enumerated() {
            let path =
                index < taxonomy.rules.count ? "$.taxonomy.rules[\(index)]" : "$.rules[\(index - taxonomy.rules.count)]"
            _ = try compiler.compile(rule, file: file, path: path)
        }
        if let targets = root["targets"] {
            for item in try targets.elements() {
                let target = try spec.target(item, warnings: &warnings)
                if spec.targets.contains(where: { $0.id == target.id }) {
                    throw item.fail("target id '\(target.id)' appears twice")
                }
                spec.targets.append(target)
            }
        }
        for (dimension, quota) in spec.dimensions.enumerated()
        where taxonomy.attributes[quota.attribute].enabledIf != nil
            || taxonomy.attributes[quota.attribute].optionalGroup != nil
        {
            throw PopulationError(
                .invalidSpec,
                "quota dimension '\(spec.dimensions[dimension].name)' is conditional (enabledIf or optional group); "
                    + "quota attributes must always be present",
                file: file, path: "$.targets")
        }
        if let seed = root["associationSeed"] { spec.associationSeed = try spec.association(seed) }
        if let dedup = root["dedup"] { spec.dedup = try Self.dedup(dedup) }
        if let narrative = root["narrative"] { spec.narrative = try Self.narrative(narrative) }
        if let depth = root["depth"] {
            try depth.checkKeys(["beta", "pick"])
            spec.depthBeta = try depth.optionalDouble("beta") ?? 1
            spec.depthPick = try depth.optionalInt("pick")
        }
        if let attempts = root["maxAttemptsPerSlot"] {
            spec.maxAttemptsPerSlot = try attempts.int()
            guard spec.maxAttemptsPerSlot >= 1 else { throw attempts.fail("must be >= 1") }
        }
        spec.warnings = warnings
        return spec
    }

    func ruleCompiler() -> RuleCompiler {
        taxonomy.ruleCompiler(extraReferences: references, extraBase: baseDirectory)
    }

    /// Resolves a dimension name (`attr` or `attr#bins`) to a plan dimension, adding it on first use.
    mutating func dimension(_ name: String, at cursor: JSONPathReader<PopulationError>) throws(PopulationError) -> Int {
        if let existing = dimensions.firstIndex(where: { $0.name == name }) { return existing }
        let binned = name.hasSuffix("#bins")
        let attributeID = binned ? String(name.dropLast(5)) : name
        guard let index = taxonomy.index(of: attributeID) else {
            throw cursor.fail("unknown attribute '\(attributeID)' in dims; check the id against the taxonomy")
        }
        let attribute = taxonomy.attributes[index]
        if dimensions.contains(where: { $0.attribute == index }) {
            throw cursor.fail("attribute '\(attributeID)' is used both with and without #bins; use one form")
        }
        if attribute.kind.isNumeric {
            guard binned, !attribute.bins.isEmpty else {
                throw cursor.fail("numeric attribute '\(attributeID)' needs declared bins and the '#bins' suffix")
            }
        } else if binned || !attribute.kind.isCategorical {
            throw cursor.fail(
                "'\(name)': only enum, ordinal and bool attributes, or '#bins' of numbers, can be quota dims")
        }
        dimensions.append(
            QuotaDimension(attribute: index, name: name, categories: attribute.categoryIDs, binned: binned))
        return dimensions.count - 1
    }

    private static func literal(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        case .number(let number): QuotaPlan.formatNumber(number)
        default: nil
        }
    }

    /// Reads rows of (categories…, value) into margin cells over `dims`.
    private func rows(
        _ cursor: JSONPathReader<PopulationError>, dims: [Int], valueName: String
    ) throws(PopulationError) -> [(cell: Int, value: Double)] {
        var result: [(cell: Int, value: Double)] = []
        func cell(_ names: [String], fail: (String) -> PopulationError) throws(PopulationError) -> Int {
            var index = 0
            for (position, name) in names.enumerated() {
                let dimension = dimensions[dims[position]]
                guard let category = dimension.categories.firstIndex(of: name) else {
                    throw fail(
                        "'\(name)' is not a category of '\(dimension.name)' (categories: "
                            + dimension.categories.prefix(12).joined(separator: ", ") + ")")
                }
                index = index * dimension.categories.count + category
            }
            return index
        }
        if case .string(let relative) = cursor.value {
            let path = DataFiles.resolve(relative, against: baseDirectory)
            let csv = try CSVTable.load(path)
            let names = dims.map { dimensions[$0].name }
            guard csv.header.count == dims.count + 1, Array(csv.header.prefix(dims.count)) == names else {
                throw PopulationError(
                    .invalidCSV,
                    "the header must be \((names + [valueName]).joined(separator: ",")) but is "
                        + csv.header.joined(separator: ","), file: path, path: "line 1")
            }
            for row in csv.rows.indices {
                let index = try cell(Array(csv.rows[row].prefix(dims.count))) { message in
                    PopulationError(.invalidCSV, message, file: path, path: "line \(csv.lines[row])")
                }
                let value = try csv.number(row, dims.count)
                guard value >= 0 else {
                    throw PopulationError(.invalidCSV, "negative value", file: path, path: "line \(csv.lines[row])")
                }
                result.append((index, value))
            }
            return result
        }
        for item in try cursor.elements() {
            let parts = try item.elements()
            guard parts.count == dims.count + 1 else {
                throw item.fail("a row is [\(dims.map { dimensions[$0].name }.joined(separator: ", ")), value]")
            }
            var names: [String] = []
            for part in parts.dropLast() {
                guard let name = Self.literal(part.value) else { throw part.fail("expected a category id") }
                names.append(name)
            }
            let index = try cell(names) { message in item.fail(message) }
            let value = try parts[dims.count].double()
            guard value >= 0, value.isFinite else { throw parts[dims.count].fail("values must be >= 0") }
            result.append((index, value))
        }
        return result
    }

    private mutating func target(_ item: JSONPathReader<PopulationError>, warnings: inout [String])
        throws(PopulationError) -> QuotaTarget
    {
        try item.checkKeys(["id", "dims", "kind", "table", "tinytroupe"])
        let id = try item.string("id")
        var dims: [Int] = []
        for dim in try item.elements("dims") {
            let index = try dimension(try dim.string(), at: dim)
            if dims.contains(index) { throw dim.fail("dimension listed twice") }
            dims.append(index)
        }
        guard !dims.isEmpty else { throw item.fail("a target needs at least one dim") }
        let kindText = try item.optionalString("kind") ?? "proportions"
        guard let kind = QuotaTarget.Kind(rawValue: kindText) else {
            throw item.fail("kind is proportions or counts")
        }
        if let source = item["tinytroupe"] {
            guard dims.count == 1, kind == .proportions else {
                throw source.fail("a TinyTroupe source gives proportions over one dimension")
            }
            let dimension = dimensions[dims[0]]
            let imported = try TinyTroupe.quotaRows(
                source, baseDirectory: baseDirectory, categories: dimension.categories, dimension: dimension.name)
            warnings += imported.warnings
            return QuotaTarget(id: id, dimensions: dims, kind: kind, rows: imported.rows)
        }
        let table = try item.required("table")
        return QuotaTarget(
            id: id, dimensions: dims, kind: kind,
            rows: try rows(table, dims: dims, valueName: kind == .counts ? "count" : "proportion"))
    }

    private mutating func association(_ cursor: JSONPathReader<PopulationError>) throws(PopulationError)
        -> AssociationSeed
    {
        try cursor.checkKeys(["dims", "table", "smoothing"])
        var dims: [Int] = []
        for dim in try cursor.elements("dims") {
            let name = try dim.string()
            guard let index = dimensions.firstIndex(where: { $0.name == name }) else {
                throw dim.fail("associationSeed dim '\(name)' is not a quota dim of any target")
            }
            dims.append(index)
        }
        let size = dims.reduce(1) { $0 * dimensions[$1].categories.count }
        var weights = [Double](repeating: 0, count: size)
        for row in try rows(try cursor.required("table"), dims: dims, valueName: "weight") {
            weights[row.cell] += row.value
        }
        let smoothing = try cursor.optionalDouble("smoothing") ?? 0.5
        guard smoothing >= 0 else { throw cursor.fail("smoothing must be >= 0") }
        return AssociationSeed(dimensions: dims, weights: weights, smoothing: smoothing)
    }

    private static func dedup(_ cursor: JSONPathReader<PopulationError>) throws(PopulationError) -> DedupSettings {
        try cursor.checkKeys(
            [
                "minhash", "threshold", "maxDifferingAttributes", "bands", "rows", "text", "textThreshold",
                "simhashDistance", "embeddingThreshold",
            ])
        var settings = DedupSettings()
        settings.minhash = try cursor.optionalBool("minhash") ?? true
        settings.threshold = try cursor.optionalDouble("threshold") ?? 0.9
        settings.maxDifferingAttributes = try cursor.optionalInt("maxDifferingAttributes")
        settings.bands = try cursor.optionalInt("bands") ?? 16
        settings.rows = try cursor.optionalInt("rows") ?? 8
        guard settings.bands >= 1, settings.rows >= 1, settings.bands * settings.rows <= 512 else {
            throw cursor.fail("bands × rows must be within 1…512")
        }
        settings.text = try cursor.optionalString("text") ?? "minhash"
        guard ["minhash", "simhash", "none"].contains(settings.text) else {
            throw cursor.fail("dedup.text is minhash, simhash or none")
        }
        settings.textThreshold = try cursor.optionalDouble("textThreshold") ?? 0.8
        settings.simhashDistance = try cursor.optionalInt("simhashDistance") ?? 3
        guard (0...3).contains(settings.simhashDistance) else {
            throw cursor.fail("simhashDistance must be 0…3 (the exact block index covers up to 3)")
        }
        settings.embeddingThreshold = try cursor.optionalDouble("embeddingThreshold") ?? 0.9
        return settings
    }

    private static func narrative(_ cursor: JSONPathReader<PopulationError>) throws(PopulationError)
        -> NarrativeSettings
    {
        try cursor.checkKeys(
            [
                "enabled", "maxChars", "validator", "reviseRounds", "concurrency", "temperature", "maxTokens",
                "instructions",
            ])
        var settings = NarrativeSettings()
        settings.enabled = try cursor.optionalBool("enabled") ?? false
        settings.maxChars = try cursor.optionalInt("maxChars") ?? 600
        settings.validator = try cursor.optionalBool("validator") ?? true
        settings.reviseRounds = min(max(try cursor.optionalInt("reviseRounds") ?? 2, 0), 2)
        settings.concurrency = max(try cursor.optionalInt("concurrency") ?? 4, 1)
        settings.temperature = try cursor.optionalDouble("temperature") ?? 0.7
        settings.maxTokens = try cursor.optionalInt("maxTokens") ?? 400
        settings.instructions = try cursor.optionalString("instructions")
        return settings
    }

    /// Builds the exact quota plan for `population` people with `seed`.
    public func plan(population: Int? = nil, seed: UInt64? = nil) throws(PopulationError) -> QuotaPlan {
        let program = try SamplingProgram(spec: self)
        return try program.plan(population: population ?? self.population, seed: seed ?? self.seed)
    }
}
