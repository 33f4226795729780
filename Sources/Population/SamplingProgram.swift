import Foundation
import Storage

/// Everything the per-slot sampler needs, compiled once from a spec: rules, priors, fill order.
struct SamplingProgram: Sendable {
    let spec: PopulationSpec
    let taxonomy: Taxonomy
    let table: AttributeTable
    let schema: RuleSchema
    let hardRules: [CompiledRule]
    let softRules: [CompiledRule]
    /// Hard rules (indices) that read each attribute and something else.
    let hardByAttribute: [[Int]]
    /// Per categorical attribute: the values allowed by hard rules that read only that attribute.
    let unaryMask: [[Bool]?]
    let enabledIf: [Condition?]
    /// Non-quota, non-text attributes in fill order (topological, ties by taxonomy order).
    let fillOrder: [Int]
    /// For every attribute, its position in `fillOrder` (or -1).
    let fillPosition: [Int]
    let isQuota: [Bool]
    let attributeCount: Int

    init(spec: PopulationSpec) throws(PopulationError) {
        self.spec = spec
        taxonomy = spec.taxonomy
        table = AttributeTable(spec.taxonomy)
        schema = RuleSchema(taxonomy)
        attributeCount = taxonomy.attributes.count
        let compiler = spec.ruleCompiler()
        var hard: [CompiledRule] = []
        var soft: [CompiledRule] = []
        for (index, rule) in spec.rules.enumerated() {
            let compiled = try compiler.compile(rule, file: spec.file, path: "$.rules[\(index)]")
            if rule.severity == .hard { hard.append(compiled) } else { soft.append(compiled) }
        }
        hardRules = hard
        softRules = soft
        var byAttribute = [[Int]](repeating: [], count: taxonomy.attributes.count)
        var unary = [[Bool]?](repeating: nil, count: taxonomy.attributes.count)
        for (r, rule) in hard.enumerated() {
            if rule.dependencies.count == 1, taxonomy.attributes[rule.dependencies[0]].kind.isCategorical {
                let attribute = rule.dependencies[0]
                var mask =
                    unary[attribute] ?? [Bool](repeating: true, count: taxonomy.attributes[attribute].options.count)
                var probe = Assignment(count: taxonomy.attributes.count)
                for value in mask.indices {
                    probe.set(attribute, Int64(value))
                    if rule.truth(schema, probe) == .false { mask[value] = false }
                }
                unary[attribute] = mask
                continue
            }
            for attribute in rule.dependencies { byAttribute[attribute].append(r) }
        }
        hardByAttribute = byAttribute
        unaryMask = unary
        var conditions = [Condition?](repeating: nil, count: taxonomy.attributes.count)
        var edges = [[Int]](repeating: [], count: taxonomy.attributes.count)
        for (index, attribute) in taxonomy.attributes.enumerated() {
            if case .conditional(let conditional) = attribute.prior { edges[index] += conditional.parents }
            if let text = attribute.enabledIf {
                var dependencies: [Int] = []
                conditions[index] = try compiler.condition(
                    text, context: "enabledIf of '\(attribute.id)'", file: spec.file, path: "$", into: &dependencies)
                edges[index] += dependencies
            }
        }
        enabledIf = conditions
        var quota = [Bool](repeating: false, count: taxonomy.attributes.count)
        for dimension in spec.dimensions { quota[dimension.attribute] = true }
        isQuota = quota
        // Kahn's algorithm, always taking the lowest taxonomy index that is ready.
        let remaining = edges.map { Set($0.filter { !quota[$0] }) }
        var done = quota
        var order: [Int] = []
        while true {
            guard
                let next = remaining.indices.first(where: {
                    !done[$0] && remaining[$0].allSatisfy { done[$0] }
                })
            else { break }
            done[next] = true
            if taxonomy.attributes[next].kind != .text { order.append(next) }
        }
        fillOrder = order
        var position = [Int](repeating: -1, count: taxonomy.attributes.count)
        for (p, attribute) in order.enumerated() { position[attribute] = p }
        fillPosition = position
    }

    /// The quota plan for `population` people.
    func plan(population: Int, seed: UInt64) throws(PopulationError) -> QuotaPlan {
        let dimensions = spec.dimensions
        let count = taxonomy.attributes.count
        let schema = self.schema
        let hardRules = self.hardRules
        return try QuotaPlan.build(
            dimensions: dimensions, targets: spec.targets, seed: spec.associationSeed, population: population,
            randomSeed: seed, method: spec.integerisation, bestEffort: spec.bestEffort, file: spec.file
        ) { categories in
            var probe = Assignment(count: count)
            for (d, dimension) in dimensions.enumerated() {
                probe.codes[dimension.attribute] = Int64(categories[d])
                probe.states[dimension.attribute] = dimension.binned ? Assignment.binned : Assignment.assigned
            }
            return hardRules.contains { $0.truth(schema, probe) == .false }
        }
    }

    /// Optional-group inclusion masks for every slot, decided in a sequential pre-pass (spec §9.6 step 2).
    func depthMasks(population: Int, seed: UInt64) -> [UInt64] {
        let groups = taxonomy.optionalGroups
        guard !groups.isEmpty else { return [] }
        var stream = RandomStream.stage(seed: seed, 5)
        var used = [Double](repeating: 0, count: groups.count)
        var masks = [UInt64](repeating: 0, count: population)
        for slot in 0..<population {
            var mask: UInt64 = 0
            if let pick = spec.depthPick {
                var weights = used.map { pow1p($0, -spec.depthBeta) }
                for _ in 0..<min(pick, groups.count) {
                    guard let g = stream.pickIndex(weights: weights) else { break }
                    mask |= 1 << UInt64(g)
                    weights[g] = 0
                    used[g] += 1
                }
            } else {
                for (g, group) in groups.enumerated() where stream.nextDouble() < group.probability {
                    mask |= 1 << UInt64(g)
                }
            }
            masks[slot] = mask
        }
        return masks
    }

    private func pow1p(_ used: Double, _ exponent: Double) -> Double { pow(1 + used, exponent) }
}
