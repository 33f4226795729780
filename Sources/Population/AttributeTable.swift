/// Per-attribute facts in flat arrays, so hot loops never copy an ``Attribute`` (whose arrays would be retained).
struct AttributeTable: Sendable {
    let count: Int
    let kinds: [AttributeKind]
    let optionCounts: [Int]
    let categoryCounts: [Int]
    let groups: [Int]
    let binLow: [[Double]]
    let binHigh: [[Double]]
    let rangeLow: [Double]
    let rangeHigh: [Double]
    let precision: [Int]
    let minCount: [Int]
    let maxCount: [Int]
    /// Fixed prior weights per attribute (uniform when the prior is uniform), or empty when conditional.
    let fixedWeights: [[Double]]
    let conditional: [ConditionalPrior?]

    init(_ taxonomy: Taxonomy) {
        let attributes = taxonomy.attributes
        count = attributes.count
        kinds = attributes.map(\.kind)
        optionCounts = attributes.map(\.options.count)
        categoryCounts = attributes.map(\.categoryCount)
        groups = attributes.map { $0.optionalGroup ?? -1 }
        binLow = attributes.map { $0.bins.map(\.lo) }
        binHigh = attributes.map { $0.bins.map(\.hi) }
        rangeLow = attributes.map { $0.range?.lowerBound ?? 0 }
        rangeHigh = attributes.map { $0.range?.upperBound ?? 0 }
        precision = attributes.map(\.precision)
        minCount = attributes.map(\.minCount)
        maxCount = attributes.map(\.maxCount)
        fixedWeights = attributes.map { attribute in
            switch attribute.prior {
            case .uniform: [Double](repeating: 1, count: attribute.categoryCount)
            case .weights(let weights): weights
            case .conditional: []
            }
        }
        conditional = attributes.map { attribute in
            if case .conditional(let table) = attribute.prior { return table }
            return nil
        }
    }

    /// The bin (or decile) of a number; same result as ``Attribute/category(ofNumber:)``.
    @inline(__always)
    func category(_ attribute: Int, number value: Double) -> Int {
        let lows = binLow[attribute]
        if !lows.isEmpty {
            let highs = binHigh[attribute]
            for index in 0..<lows.count where value >= lows[index] && value <= highs[index] { return index }
            for index in 0..<lows.count where value < lows[index] { return max(index - 1, 0) }
            return lows.count - 1
        }
        let lo = rangeLow[attribute]
        let hi = rangeHigh[attribute]
        guard hi > lo else { return 0 }
        return min(max(Int((value - lo) / (hi - lo) * 10), 0), 9)
    }

    /// The category of an assigned code.
    @inline(__always)
    func category(_ attribute: Int, code: Int64) -> Int {
        switch kinds[attribute] {
        case .int: category(attribute, number: Double(code))
        case .double: category(attribute, number: Double(bitPattern: UInt64(bitPattern: code)))
        default: Int(code)
        }
    }
}
