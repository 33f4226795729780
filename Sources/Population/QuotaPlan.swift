import Storage

/// One dimension of the quota cell space: an attribute, or an attribute's bins (`demo.age#bins`).
public struct QuotaDimension: Sendable, Hashable {
    /// The attribute index in the taxonomy.
    public var attribute: Int
    /// The name used in the spec, e.g. `demo.age#bins`.
    public var name: String
    /// The category ids (value ids or bin ids).
    public var categories: [String]
    /// Whether the categories are the bins of a numeric attribute.
    public var binned: Bool

    /// Creates a dimension.
    public init(attribute: Int, name: String, categories: [String], binned: Bool) {
        self.attribute = attribute
        self.name = name
        self.categories = categories
        self.binned = binned
    }
}

/// A quota target over one or more dimensions (spec §8).
public struct QuotaTarget: Sendable {
    /// Whether the table holds proportions (normalised) or counts (must sum to N).
    public enum Kind: String, Sendable { case proportions, counts }

    /// The target id.
    public var id: String
    /// Indices into the plan's dimensions; the margin is flattened in this order, first dimension most significant.
    public var dimensions: [Int]
    /// Proportions or counts.
    public var kind: Kind
    /// The table rows in declared order: the margin cell index and its value. Unlisted cells are 0.
    public var rows: [(cell: Int, value: Double)]

    /// Creates a target.
    public init(id: String, dimensions: [Int], kind: Kind, rows: [(cell: Int, value: Double)]) {
        self.id = id
        self.dimensions = dimensions
        self.kind = kind
        self.rows = rows
    }
}

/// A prior joint over some quota dimensions (spec §8 `associationSeed`).
public struct AssociationSeed: Sendable {
    /// Indices into the plan's dimensions.
    public var dimensions: [Int]
    /// Dense weights over the seed's margin (first dimension most significant); unlisted cells are 0.
    public var weights: [Double]
    /// The pseudo-count added to every cell (default 0.5), so that no structural zero comes from the seed.
    public var smoothing: Double

    /// Creates a seed.
    public init(dimensions: [Int], weights: [Double], smoothing: Double = 0.5) {
        self.dimensions = dimensions
        self.weights = weights
        self.smoothing = smoothing
    }
}

/// How the fitted joint table becomes integers (spec §9.4).
public enum IntegerisationMethod: String, Sendable, CaseIterable {
    /// `flow` where the targets allow it, else `qisi`.
    case auto
    /// Controlled rounding by min-cost flow, chained over disjoint dimension groups.
    case flow
    /// Sequential sampling with retries (quasi-independent sequential integerisation).
    case qisi
}

/// The exact integer quota plan: integerised targets, the fitted joint table and its integer cell counts.
public struct QuotaPlan: Sendable {
    /// The quota dimensions, in order of first appearance in the targets.
    public let dimensions: [QuotaDimension]
    /// The targets, as given.
    public let targets: [QuotaTarget]
    /// The integerised (and cross-target consistent) counts of every target's margin cells.
    public let targetCounts: [[Int]]
    /// For every joint cell, whether a hard rule makes it impossible.
    public let structuralZero: [Bool]
    /// The IPF-fitted joint table.
    public let fitted: [Double]
    /// The integer count of every joint cell; every target margin is exact.
    public let cellCounts: [Int]
    /// Which path made the integer table: `flow`, `qisi` or `none` (no targets).
    public let method: String
    /// Non-fatal findings (renormalised proportions, fallbacks).
    public let warnings: [String]
    /// The population size.
    public let population: Int
    let radix: [Int]
    let marginMaps: [[Int32]]

    /// The number of joint cells.
    public var cellCount: Int { fitted.count }

    /// The category index of every dimension for a joint cell.
    public func categories(ofCell cell: Int) -> [Int] {
        var result = [Int](repeating: 0, count: radix.count)
        Self.decode(cell, over: Array(radix.indices), radix: radix, into: &result)
        return result
    }

    /// A readable cell name, e.g. `demo.age#bins=18-24, demo.sex=female`.
    public func label(ofCell cell: Int) -> String {
        zip(dimensions, categories(ofCell: cell)).map { "\($0.name)=\($0.categories[$1])" }
            .joined(separator: ", ")
    }

    /// A readable margin cell name of a target.
    public func label(target: Int, marginCell: Int) -> String {
        let dims = targets[target].dimensions
        var rest = marginCell
        var parts: [String] = []
        for d in dims.reversed() {
            let k = dimensions[d].categories.count
            parts.append("\(dimensions[d].name)=\(dimensions[d].categories[rest % k])")
            rest /= k
        }
        return parts.reversed().joined(separator: ", ")
    }

    /// The margin cell of `target` that a joint cell falls in.
    public func marginCell(target: Int, cell: Int) -> Int { Int(marginMaps[target][cell]) }

    /// Expands the integer cell counts into one cell per slot (cell order), shuffled with stream `stage(seed, 4)`.
    public func slotCells(seed: UInt64) -> [Int32] {
        var slots: [Int32] = []
        slots.reserveCapacity(population)
        for (cell, count) in cellCounts.enumerated() where count > 0 {
            slots.append(contentsOf: repeatElement(Int32(cell), count: count))
        }
        var stream = RandomStream.stage(seed: seed, QuotaPlan.slotStage)
        stream.shuffle(&slots)
        return slots
    }

    static let qisiStage: UInt64 = 3
    static let slotStage: UInt64 = 4
    /// The largest joint cell space allowed.
    public static let maximumCells = 2_000_000

    /// Builds the plan: integerise, make consistent, find structural zeros, fit, integerise the joint table.
    /// - Parameters:
    ///   - isStructuralZero: whether a joint cell (category index per dimension) is impossible under the hard rules.
    ///   - file: the spec file, for messages.
    public static func build(
        dimensions: [QuotaDimension], targets: [QuotaTarget], seed associationSeed: AssociationSeed?,
        population: Int, randomSeed: UInt64, method requested: IntegerisationMethod = .auto,
        bestEffort: Bool = false, file: String? = nil, isStructuralZero: ([Int]) -> Bool = { _ in false }
    ) throws(PopulationError) -> QuotaPlan {
        var warnings: [String] = []
        let radix = dimensions.map { $0.categories.count }
        var cellCount = 1
        for k in radix {
            cellCount *= max(k, 1)
            if cellCount > maximumCells {
                throw PopulationError(
                    .tooManyCells,
                    "the quota dimensions make more than \(maximumCells) joint cells; coarsen bins or split targets",
                    file: file, path: "$.targets")
            }
        }
        let integerised = try integerTargets(
            dimensions: dimensions, targets: targets, population: population, file: file)
        let counts = integerised.counts
        warnings += integerised.warnings
        // Step B.2-4: cell space, structural zeros, seed.
        let maps = targets.map { marginMap($0.dimensions, radix: radix, cellCount: cellCount) }
        var zero = [Bool](repeating: false, count: cellCount)
        var categories = [Int](repeating: 0, count: radix.count)
        let allDimensions = Array(radix.indices)
        for cell in 0..<cellCount {
            decode(cell, over: allDimensions, radix: radix, into: &categories)
            zero[cell] = isStructuralZero(categories)
        }
        var seedTable = [Double](repeating: 1, count: cellCount)
        if let associationSeed {
            let map = marginMap(associationSeed.dimensions, radix: radix, cellCount: cellCount)
            for cell in 0..<cellCount {
                seedTable[cell] = associationSeed.weights[Int(map[cell])] + associationSeed.smoothing
            }
        }
        for cell in 0..<cellCount where zero[cell] { seedTable[cell] = 0 }
        // Every positive margin cell needs at least one feasible joint cell.
        for (t, target) in targets.enumerated() {
            var reachable = [Bool](repeating: false, count: counts[t].count)
            for cell in 0..<cellCount where seedTable[cell] > 0 { reachable[Int(maps[t][cell])] = true }
            let stranded = counts[t].indices.filter { counts[t][$0] > 0 && !reachable[$0] }
            if !stranded.isEmpty {
                let names = stranded.prefix(5).map { describe(target, $0, dimensions, radix) }
                throw PopulationError(
                    .infeasibleTargets,
                    "target '\(target.id)' asks for people in cells that every hard rule forbids: "
                        + names.joined(separator: "; ") + "; set those cells to 0 or relax the rules",
                    file: file, path: "$.targets[\(t)]")
            }
        }
        // Step B.5: IPF.
        let margins = targets.indices.map {
            FittingMargin(cellToMargin: maps[$0], targets: counts[$0].map(Double.init))
        }
        var fitted = seedTable
        if targets.isEmpty {
            let total = seedTable.reduce(0, +)
            fitted = seedTable.map { total > 0 ? $0 / total * Double(population) : 0 }
        } else if population == 0 {
            fitted = [Double](repeating: 0, count: cellCount)
        } else {
            let result = ProportionalFitting.fit(
                seed: seedTable, margins: margins, tolerance: max(1e-9 * Double(population), 1e-12))
            // IPF converges slowly (sublinearly) when the targets are only just feasible on the structural zeros;
            // an error below 0.001 person is accepted because the integer step below is exact on its own.
            if !result.converged && result.maxError > 1e-3 {
                let t = result.worst.margin
                let message =
                    "the targets cannot be met (IPF stalled after \(result.sweeps) sweeps): target '\(targets[t].id)' "
                    + "cell \(describe(targets[t], result.worst.cell, dimensions, radix)) misses by "
                    + "\(formatNumber(result.maxError)); relax the targets or the hard rules"
                if !bestEffort {
                    throw PopulationError(.infeasibleTargets, message, file: file, path: "$.targets[\(t)]")
                }
                warnings.append(message)
            }
            fitted = result.table
        }
        // Step C: integer table.
        var cellCounts: [Int]?
        var method = "none"
        if targets.isEmpty {
            let total = fitted.reduce(0, +)
            cellCounts = try Integerisation.largestRemainder(total > 0 ? fitted : seedTable, total: population)
            method = "largestRemainder"
        } else if requested != .qisi {
            cellCounts = chainedFlow(
                fitted: fitted, targets: targets, counts: counts, radix: radix, cellCount: cellCount)
            if cellCounts != nil {
                method = "flow"
            } else if requested == .flow {
                warnings.append("flow rounding was not possible for these targets; used qisi")
            }
        }
        if cellCounts == nil {
            method = "qisi"
            cellCounts = qisi(
                seedTable: seedTable, fitted: fitted, zero: zero, margins: margins, maps: maps, counts: counts,
                population: population, randomSeed: randomSeed)
            if cellCounts == nil {
                let message = "no exact integer table was found after 16 sequential-sampling retries"
                if !bestEffort {
                    throw PopulationError(
                        .infeasibleTargets, message + "; relax the targets or set onInfeasible to bestEffort",
                        file: file, path: "$.targets")
                }
                warnings.append(message)
                cellCounts = try Integerisation.largestRemainder(fitted, total: population)
            }
        }
        return QuotaPlan(
            dimensions: dimensions, targets: targets, targetCounts: counts, structuralZero: zero, fitted: fitted,
            cellCounts: cellCounts ?? [], method: method, warnings: warnings, population: population, radix: radix,
            marginMaps: maps)
    }

    /// A number as written in messages: whole numbers without a decimal point.
    static func formatNumber(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
