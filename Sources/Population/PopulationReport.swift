import Foundation
import Storage

/// Metrics and quota errors of a generated population (spec §12.1), renderable as text, JSON or HTML.
public struct PopulationReport: Sendable {
    /// Quota error of one target.
    public struct TargetReport: Sendable {
        /// The target id.
        public var id: String
        /// The dimension names.
        public var dimensions: [String]
        /// Margin cell labels.
        public var cells: [String]
        /// Integer targets T_c.
        public var targets: [Int]
        /// Fractional targets N·p_c.
        public var fractional: [Double]
        /// Realised counts n_c.
        public var realised: [Int]
        /// Total absolute error Σ|n_c − T_c| (must be 0).
        public var tae: Int
        /// max |n_c − T_c|.
        public var maxDeviation: Int
        /// sqrt(Σ(n_c − T_c)² / C) / (N / C).
        public var srmse: Double
        /// The same against N·p_c.
        public var srmseFractional: Double
        /// max |n_c − N·p_c| (each < 1 when exact).
        public var maxFractionalDeviation: Double
        /// KL(p̂ ‖ p), ε = 1e-12.
        public var kl: Double
        /// Jensen–Shannon divergence, ε = 1e-12.
        public var js: Double
    }

    /// Coverage and entropy of one attribute.
    public struct AttributeReport: Sendable {
        /// The attribute id.
        public var id: String
        /// The kind.
        public var kind: String
        /// Personas that have a value.
        public var present: Int
        /// Observed categories / all categories (values, bins or deciles).
        public var valueCoverage: Double
        /// H = −Σ p ln p over categories.
        public var entropy: Double
        /// H / ln k.
        public var normalisedEntropy: Double
    }

    /// Text metrics of narratives.
    public struct TextReport: Sendable {
        /// Personas with a narrative.
        public var narratives: Int
        /// Personas whose narrative failed (recorded `narrativeError`).
        public var failures: Int
        /// distinct-1 (mean per text) and corpus-level.
        public var distinct1: (perText: Double, corpus: Double)
        /// distinct-2 (mean per text) and corpus-level.
        public var distinct2: (perText: Double, corpus: Double)
        /// Self-BLEU-2 (2,000 candidates × 20 references, seeded).
        public var selfBLEU2: Double
        /// Mean SimHash Hamming distance over seeded random pairs.
        public var meanSimHashDistance: Double
        /// Personas whose narrative and text attributes have word Jaccard ≥ 0.8 (template detector).
        public var templateFlags: Int
    }

    /// The number of personas.
    public var count: Int
    /// Quota error per target (empty without a spec).
    public var targets: [TargetReport]
    /// Per attribute coverage and entropy.
    public var attributes: [AttributeReport]
    /// Attributes with ≥ 1 observed value / all attributes.
    public var leafCoverage: Double
    /// Non-structural-zero joint quota cells with ≥ 1 persona / feasible cells.
    public var feasibleCellCoverage: Double?
    /// Mean number of attributes per persona (depth).
    public var meanAttributesPerPersona: Double
    /// Joint entropy over the quota dimensions.
    public var jointQuotaEntropy: Double
    /// Mean pairwise mutual information over pairs of quota dimensions.
    public var meanPairwiseMutualInformation: Double
    /// Fraction of personas whose canonical hash is unique (must be 1).
    public var uniqueHashFraction: Double
    /// Personas whose stored hash differs from the recomputed canonical hash.
    public var hashMismatches: Int
    /// k-anonymity over the quota dimensions: the smallest class, the number of classes and of singletons.
    public var kAnonymity: (minimum: Int, classes: Int, singletons: Int)
    /// Mean nearest-neighbour Jaccard on attribute tokens over a seeded sample of min(N, 1,000).
    public var meanNearestNeighbourJaccard: Double
    /// Mean Jaccard distance over 50,000 seeded random pairs.
    public var meanPairwiseJaccardDistance: Double
    /// Text metrics when narratives are present.
    public var text: TextReport?
    /// Hard-rule violations in the output (must be 0).
    public var hardViolations: Int
    /// Soft-rule warnings per persona.
    public var softWarningRate: Double
    /// Rejected attempts per reason (from the personas' `rejects`).
    public var rejects: [RejectCount]
    /// Mean attempts per slot (attempt + 1).
    public var meanAttempts: Double
    /// 99th percentile of attempts per slot.
    public var p99Attempts: Int
    /// Values that do not fit the taxonomy (first 20).
    public var invalidValues: [String]

    /// Loads a persona JSONL file and reports on it, with quota errors when a spec is given.
    public static func load(file: String, spec: PopulationSpec?) throws(PopulationError) -> PopulationReport {
        PopulationReport(personas: try Persona.readJSONL(file: file), spec: spec)
    }

    /// Computes the report.
    public init(personas: [Persona], spec: PopulationSpec?) {
        count = personas.count
        let n = personas.count
        let hashes = personas.map(\.hash)  // once each: a hash the file did not give is worked out on read
        var hashCounts: [String: Int] = [:]
        for hash in hashes { hashCounts[hash, default: 0] += 1 }
        uniqueHashFraction = n == 0 ? 1 : Double(hashes.filter { hashCounts[$0] == 1 }.count) / Double(n)
        meanAttempts = n == 0 ? 0 : Double(personas.reduce(0) { $0 + $1.attempt + 1 }) / Double(n)
        let attempts = personas.map { $0.attempt + 1 }.sorted()
        p99Attempts = attempts.isEmpty ? 0 : attempts[min(attempts.count - 1, Int(Double(attempts.count) * 0.99))]
        rejects = RejectReason.allCases.map { reason in
            RejectCount(
                reason: reason.rawValue,
                count: personas.reduce(0) { $0 + $1.rejects.filter { $0 == reason.rawValue }.count })
        }
        softWarningRate = n == 0 ? 0 : Double(personas.reduce(0) { $0 + $1.warnings.count }) / Double(n)
        meanAttributesPerPersona = n == 0 ? 0 : Double(personas.reduce(0) { $0 + $1.attributes.count }) / Double(n)
        targets = []
        attributes = []
        leafCoverage = 0
        feasibleCellCoverage = nil
        jointQuotaEntropy = 0
        meanPairwiseMutualInformation = 0
        hashMismatches = 0
        kAnonymity = (0, 0, 0)
        meanNearestNeighbourJaccard = 0
        meanPairwiseJaccardDistance = 0
        hardViolations = 0
        invalidValues = []
        text = Self.textReport(personas, spec: spec)
        guard let spec, let program = try? SamplingProgram(spec: spec) else { return }
        analyse(personas, spec: spec, program: program)
    }

    private mutating func analyse(_ personas: [Persona], spec: PopulationSpec, program: SamplingProgram) {
        let taxonomy = spec.taxonomy
        let encoder = PersonaEncoder(taxonomy: taxonomy)
        let n = personas.count
        var assignments: [Assignment] = []
        assignments.reserveCapacity(n)
        var categoryColumns = [[Int]](repeating: [Int](repeating: -1, count: n), count: taxonomy.attributes.count)
        var tokenLists: [[UInt32]] = []
        var scratch: [UInt8] = []
        for (row, persona) in personas.enumerated() {
            var values = Assignment(count: taxonomy.attributes.count)
            for a in 0..<taxonomy.attributes.count { values.states[a] = Assignment.disabled }
            for (key, value) in persona.attributes {
                guard let a = taxonomy.index(of: key) else {
                    if invalidValues.count < 20 { invalidValues.append("\(persona.id): unknown attribute '\(key)'") }
                    continue
                }
                guard let code = Self.code(value, taxonomy.attributes[a]) else {
                    if invalidValues.count < 20 {
                        invalidValues.append("\(persona.id): '\(value.serialized())' is not a valid \(key)")
                    }
                    continue
                }
                if taxonomy.attributes[a].kind == .text { continue }
                values.set(a, code)
                categoryColumns[a][row] = Self.category(code, taxonomy.attributes[a])
            }
            for rule in program.hardRules where !rule.holds(program.schema, values) { hardViolations += 1 }
            let hash = PersonaEncoder.hex(encoder.hash(values, scratch: &scratch))
            if hash != persona.hash { hashMismatches += 1 }
            var tokens: [UInt32] = []
            encoder.tokens(values, into: &tokens)
            tokens.sort()
            tokenLists.append(tokens)
            assignments.append(values)
        }
        // Attributes: coverage and entropy.
        var observed = 0
        for (a, attribute) in taxonomy.attributes.enumerated() {
            let k = attribute.categoryCount
            var counts = [Int](repeating: 0, count: max(k, 1))
            var present = 0
            if attribute.kind == .set {
                for values in assignments where values.states[a] == Assignment.assigned {
                    present += 1
                    for option in 0..<k where values.codes[a] & (1 << Int64(option)) != 0 { counts[option] += 1 }
                }
            } else if attribute.kind == .text {
                present = personas.filter { $0.attributes[attribute.id] != nil }.count
            } else {
                for c in categoryColumns[a] where c >= 0 {
                    present += 1
                    counts[c] += 1
                }
            }
            if present > 0 { observed += 1 }
            let h = PopulationMetrics.entropy(counts)
            attributes.append(
                AttributeReport(
                    id: attribute.id, kind: attribute.kind.rawValue, present: present,
                    valueCoverage: k > 0 ? Double(counts.filter { $0 > 0 }.count) / Double(k) : (present > 0 ? 1 : 0),
                    entropy: h.entropy, normalisedEntropy: h.normalised))
        }
        leafCoverage = taxonomy.attributes.isEmpty ? 0 : Double(observed) / Double(taxonomy.attributes.count)
        // Targets.
        let dims = spec.dimensions
        if !spec.targets.isEmpty,
            let integer = try? QuotaPlan.integerTargets(
                dimensions: dims, targets: spec.targets, population: n, file: spec.file)
        {
            for (t, target) in spec.targets.enumerated() {
                let size = integer.counts[t].count
                var realised = [Int](repeating: 0, count: size)
                for row in 0..<n {
                    var index = 0
                    var valid = true
                    for d in target.dimensions {
                        let c = categoryColumns[dims[d].attribute][row]
                        if c < 0 { valid = false }
                        index = index * dims[d].categories.count + max(c, 0)
                    }
                    if valid { realised[index] += 1 }
                }
                var dense = [Double](repeating: 0, count: size)
                for row in target.rows { dense[row.cell] += row.value }
                let sum = dense.reduce(0, +)
                let fractional = dense.map { sum > 0 ? $0 / sum * Double(n) : 0 }
                let targetCounts = integer.counts[t]
                let c = Double(max(size, 1))
                let scale = n > 0 ? Double(n) / c : 1
                var squared = 0.0
                var squaredFractional = 0.0
                var maxFractional = 0.0
                for i in 0..<size {
                    squared += pow(Double(realised[i] - targetCounts[i]), 2)
                    squaredFractional += pow(Double(realised[i]) - fractional[i], 2)
                    maxFractional = max(maxFractional, abs(Double(realised[i]) - fractional[i]))
                }
                let plan = QuotaPlanLabels(dimensions: dims)
                targets.append(
                    TargetReport(
                        id: target.id, dimensions: target.dimensions.map { dims[$0].name },
                        cells: (0..<size).map { plan.label(target.dimensions, $0) }, targets: targetCounts,
                        fractional: fractional, realised: realised,
                        tae: zip(realised, targetCounts).reduce(0) { $0 + abs($1.0 - $1.1) },
                        maxDeviation: zip(realised, targetCounts).map { abs($0 - $1) }.max() ?? 0,
                        srmse: (squared / c).squareRoot() / scale,
                        srmseFractional: (squaredFractional / c).squareRoot() / scale,
                        maxFractionalDeviation: maxFractional,
                        kl: PopulationMetrics.kullbackLeibler(realised.map(Double.init), fractional),
                        js: PopulationMetrics.jensenShannon(realised.map(Double.init), fractional)))
            }
        }
        // Joint quota cells: entropy, feasible-cell coverage, k-anonymity, mutual information.
        if !dims.isEmpty {
            let radix = dims.map { $0.categories.count }
            let cellCount = radix.reduce(1, *)
            var cells = [Int](repeating: 0, count: cellCount <= 2_000_000 ? cellCount : 0)
            var classes: [Int: Int] = [:]
            for row in 0..<n {
                var index = 0
                var valid = true
                for (d, dimension) in dims.enumerated() {
                    let c = categoryColumns[dimension.attribute][row]
                    if c < 0 { valid = false }
                    index = index * radix[d] + max(c, 0)
                }
                guard valid else { continue }
                classes[index, default: 0] += 1
                if !cells.isEmpty { cells[index] += 1 }
            }
            let sizes = classes.values.sorted()
            kAnonymity = (sizes.first ?? 0, sizes.count, sizes.filter { $0 == 1 }.count)
            jointQuotaEntropy = PopulationMetrics.entropy(sizes).entropy
            if !cells.isEmpty {
                var feasible = 0
                var covered = 0
                var probe = Assignment(count: taxonomy.attributes.count)
                var categories = [Int](repeating: 0, count: dims.count)
                let allDimensions = Array(dims.indices)
                for cell in 0..<cellCount {
                    QuotaPlan.decode(cell, over: allDimensions, radix: radix, into: &categories)
                    for (d, dimension) in dims.enumerated() {
                        probe.codes[dimension.attribute] = Int64(categories[d])
                        probe.states[dimension.attribute] = dimension.binned ? Assignment.binned : Assignment.assigned
                    }
                    if program.hardRules.contains(where: { $0.truth(program.schema, probe) == .false }) { continue }
                    feasible += 1
                    if cells[cell] > 0 { covered += 1 }
                }
                feasibleCellCoverage = feasible > 0 ? Double(covered) / Double(feasible) : 0
            }
            var pairs = 0
            var total = 0.0
            for i in 0..<dims.count {
                for j in (i + 1)..<dims.count {
                    total += PopulationMetrics.mutualInformation(
                        categoryColumns[dims[i].attribute], categoryColumns[dims[j].attribute], xCount: radix[i],
                        yCount: radix[j])
                    pairs += 1
                }
            }
            meanPairwiseMutualInformation = pairs > 0 ? total / Double(pairs) : 0
        }
        // Nearest-neighbour and pairwise Jaccard on token sets.
        if n >= 2 {
            var stream = RandomStream(seed: spec.seed ^ 0x4A41_4343)
            var sample = Array(0..<n)
            stream.shuffle(&sample)
            sample = Array(sample.prefix(min(n, 1000)))
            var nearest = 0.0
            for i in sample.indices {
                var best = 0.0
                tokenLists[sample[i]].withUnsafeBufferPointer { a in
                    for j in sample.indices where j != i {
                        tokenLists[sample[j]].withUnsafeBufferPointer { b in
                            best = max(best, TokenJaccard.jaccard(a, b))
                        }
                    }
                }
                nearest += best
            }
            meanNearestNeighbourJaccard = nearest / Double(sample.count)
            var distance = 0.0
            let pairCount = 50_000
            for _ in 0..<pairCount {
                let i = Int(stream.nextInt(below: UInt64(n)))
                var j = Int(stream.nextInt(below: UInt64(n - 1)))
                if j >= i { j += 1 }
                tokenLists[i].withUnsafeBufferPointer { a in
                    tokenLists[j].withUnsafeBufferPointer { b in distance += 1 - TokenJaccard.jaccard(a, b) }
                }
            }
            meanPairwiseJaccardDistance = distance / Double(pairCount)
        }
    }

    static func code(_ value: JSONValue, _ attribute: Attribute) -> Int64? {
        switch attribute.kind {
        case .enumeration, .ordinal:
            guard let text = value.stringValue, let index = attribute.optionIndex(text) else { return nil }
            return Int64(index)
        case .bool:
            guard let flag = value.boolValue else { return nil }
            return flag ? 1 : 0
        case .int:
            guard let number = value.doubleValue, number == number.rounded(), attribute.range?.contains(number) ?? true
            else { return nil }
            return Int64(number)
        case .double:
            guard let number = value.doubleValue, attribute.range?.contains(number) ?? true else { return nil }
            return Int64(bitPattern: number.bitPattern)
        case .set:
            guard let items = value.arrayValue else { return nil }
            var mask: Int64 = 0
            for item in items {
                guard let text = item.stringValue, let index = attribute.optionIndex(text) else { return nil }
                mask |= 1 << Int64(index)
            }
            return mask
        case .text:
            return value.stringValue == nil ? nil : 0
        }
    }

    static func category(_ code: Int64, _ attribute: Attribute) -> Int {
        switch attribute.kind {
        case .enumeration, .ordinal, .bool: Int(code)
        case .int: attribute.category(ofNumber: Double(code))
        case .double: attribute.category(ofNumber: Double(bitPattern: UInt64(bitPattern: code)))
        default: -1
        }
    }

    static func textReport(_ personas: [Persona], spec: PopulationSpec?) -> TextReport? {
        let texts = personas.compactMap(\.narrative)
        let failures = personas.filter { $0.narrativeError != nil }.count
        guard !texts.isEmpty || failures > 0 else { return nil }
        var stream = RandomStream(seed: 0x5349_4D48)
        var hamming = 0.0
        let hashes = texts.map(SimHash.hash)
        let pairCount = hashes.count >= 2 ? min(50_000, hashes.count * (hashes.count - 1) / 2) : 0
        for _ in 0..<pairCount {
            let i = Int(stream.nextInt(below: UInt64(hashes.count)))
            var j = Int(stream.nextInt(below: UInt64(hashes.count - 1)))
            if j >= i { j += 1 }
            hamming += Double((hashes[i] ^ hashes[j]).nonzeroBitCount)
        }
        let textAttributes = spec?.taxonomy.attributes.filter { $0.kind == .text }.map(\.id) ?? []
        var flags = 0
        for persona in personas {
            guard let narrative = persona.narrative else { continue }
            let a = Set(PopulationMetrics.words(narrative))
            for id in textAttributes {
                guard let other = persona.attributes[id]?.stringValue else { continue }
                let b = Set(PopulationMetrics.words(other))
                let union = a.union(b).count
                if union > 0 && Double(a.intersection(b).count) / Double(union) >= 0.8 {
                    flags += 1
                    break
                }
            }
        }
        return TextReport(
            narratives: texts.count, failures: failures, distinct1: PopulationMetrics.distinct(texts, n: 1),
            distinct2: PopulationMetrics.distinct(texts, n: 2), selfBLEU2: PopulationMetrics.selfBLEU2(texts),
            meanSimHashDistance: pairCount > 0 ? hamming / Double(pairCount) : 0, templateFlags: flags)
    }
}

/// Margin-cell labels without a full plan.
struct QuotaPlanLabels {
    let dimensions: [QuotaDimension]

    func label(_ dims: [Int], _ cell: Int) -> String {
        var rest = cell
        var parts: [String] = []
        for d in dims.reversed() {
            let k = dimensions[d].categories.count
            parts.append(dimensions[d].categories[rest % k])
            rest /= k
        }
        return parts.reversed().joined(separator: "×")
    }
}
