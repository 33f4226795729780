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

    /// Steps A and B.1: integerise every target and make targets that share dimensions consistent.
    public static func integerTargets(
        dimensions: [QuotaDimension], targets: [QuotaTarget], population: Int, file: String? = nil
    ) throws(PopulationError) -> (counts: [[Int]], warnings: [String]) {
        var warnings: [String] = []
        let radix = dimensions.map { $0.categories.count }
        // Step A: integerise every target.
        var counts: [[Int]] = []
        var proportions: [[Double]] = []
        for (t, target) in targets.enumerated() {
            let size = target.dimensions.reduce(1) { $0 * radix[$1] }
            var dense = [Double](repeating: 0, count: size)
            for row in target.rows { dense[row.cell] += row.value }
            let sum = target.rows.reduce(0) { $0 + $1.value }
            switch target.kind {
            case .counts:
                guard abs(sum - Double(population)) < 1e-9, target.rows.allSatisfy({ $0.value == $0.value.rounded() })
                else {
                    throw PopulationError(
                        .invalidSpec,
                        "target '\(target.id)' has counts that sum to \(formatNumber(sum)) but the population is "
                            + "\(population); make the counts sum to \(population) or use kind \"proportions\"",
                        file: file, path: "$.targets[\(t)].table")
                }
                counts.append(dense.map { Int($0) })
            case .proportions:
                guard sum > 0 || population == 0 else {
                    throw PopulationError(
                        .invalidSpec, "target '\(target.id)' has proportions that sum to 0", file: file,
                        path: "$.targets[\(t)].table")
                }
                if abs(sum - 1) > 1e-6 {
                    warnings.append(
                        "target '\(target.id)': proportions sum to \(formatNumber(sum)), renormalised to 1")
                }
                let declared = try Integerisation.largestRemainder(target.rows.map(\.value), total: population)
                var margin = [Int](repeating: 0, count: size)
                for (row, count) in zip(target.rows, declared) { margin[row.cell] += count }
                counts.append(margin)
            }
            proportions.append(sum > 0 ? dense.map { $0 / sum } : dense)
        }
        // Step B.1: consistency between targets that share dimensions.
        for later in targets.indices {
            for earlier in 0..<later {
                let shared = targets[later].dimensions.filter { targets[earlier].dimensions.contains($0) }
                if shared.isEmpty { continue }
                let earlierMargin = project(
                    counts[earlier].map(Double.init), from: targets[earlier].dimensions, onto: shared, radix: radix)
                let laterMargin = project(
                    counts[later].map(Double.init), from: targets[later].dimensions, onto: shared, radix: radix)
                if earlierMargin == laterMargin { continue }
                let p1 = project(proportions[earlier], from: targets[earlier].dimensions, onto: shared, radix: radix)
                let p2 = project(proportions[later], from: targets[later].dimensions, onto: shared, radix: radix)
                for k in p1.indices where abs(p1[k] - p2[k]) > 1e-6 {
                    throw PopulationError(
                        .infeasibleTargets,
                        "targets '\(targets[earlier].id)' and '\(targets[later].id)' disagree on the shared margin "
                            + "\(shared.map { dimensions[$0].name }.joined(separator: " × ")) (cell \(k): "
                            + "\(formatNumber(p1[k])) vs \(formatNumber(p2[k]))); make the shared margins equal",
                        file: file, path: "$.targets[\(later)]")
                }
                // Re-integerise the later target conditionally on the earlier one's shared margin.
                let rest = targets[later].dimensions.filter { !shared.contains($0) }
                let rowTotals = earlierMargin.map { Int($0.rounded()) }
                if rest.isEmpty {
                    counts[later] = reorder(rowTotals, from: shared, to: targets[later].dimensions, radix: radix)
                    continue
                }
                let fractional = proportions[later].map { $0 * Double(population) }
                let matrix = reorder(fractional, from: targets[later].dimensions, to: shared + rest, radix: radix)
                let columnFractions = project(fractional, from: targets[later].dimensions, onto: rest, radix: radix)
                let columnTotals = try Integerisation.largestRemainder(columnFractions, total: population)
                guard let rounded = ControlledRounding.round(matrix, rows: rowTotals, columns: columnTotals) else {
                    throw PopulationError(
                        .infeasibleTargets,
                        "target '\(targets[later].id)' cannot be made consistent with '\(targets[earlier].id)' "
                            + "by controlled rounding; make the shared margins equal",
                        file: file, path: "$.targets[\(later)]")
                }
                counts[later] = reorder(rounded, from: shared + rest, to: targets[later].dimensions, radix: radix)
            }
        }
        return (counts, warnings)
    }

    // MARK: - helpers

    /// Writes into `categories[d]` the category of each dimension `d` of `dims` in `index`, a mixed-radix
    /// number over `dims` (the last dimension varies fastest; `radix[d]` categories each). Joint cells
    /// are indices over all dimensions, margin cells over a target's.
    static func decode(_ index: Int, over dims: [Int], radix: [Int], into categories: inout [Int]) {
        var rest = index
        for d in dims.reversed() {
            categories[d] = rest % radix[d]
            rest /= radix[d]
        }
    }

    static func formatNumber(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func describe(_ target: QuotaTarget, _ marginCell: Int, _ dimensions: [QuotaDimension], _ radix: [Int])
        -> String
    {
        var categories = [Int](repeating: 0, count: radix.count)
        decode(marginCell, over: target.dimensions, radix: radix, into: &categories)
        return target.dimensions.map { "\(dimensions[$0].name)=\(dimensions[$0].categories[categories[$0]])" }
            .joined(separator: ", ")
    }

    /// For every joint cell, its index in the margin over `dims`.
    static func marginMap(_ dims: [Int], radix: [Int], cellCount: Int) -> [Int32] {
        var map = [Int32](repeating: 0, count: cellCount)
        var categories = [Int](repeating: 0, count: radix.count)
        let allDimensions = Array(radix.indices)
        for cell in 0..<cellCount {
            decode(cell, over: allDimensions, radix: radix, into: &categories)
            var index = 0
            for d in dims { index = index * radix[d] + categories[d] }
            map[cell] = Int32(index)
        }
        return map
    }

    /// Sums a table over `from` dims onto the `onto` dims (a subset), flattened in `onto` order.
    static func project(_ table: [Double], from: [Int], onto: [Int], radix: [Int]) -> [Double] {
        let size = onto.reduce(1) { $0 * radix[$1] }
        var result = [Double](repeating: 0, count: size)
        for (index, value) in table.enumerated() {
            result[reindex(index, from: from, to: onto, radix: radix)] += value
        }
        return result
    }

    /// Re-flattens a dense table over `from` dims into the order of `to` (same set of dims).
    static func reorder<T: Numeric>(_ table: [T], from: [Int], to: [Int], radix: [Int]) -> [T] {
        var result = [T](repeating: 0, count: table.count)
        if from.count == to.count {
            for (index, value) in table.enumerated() {
                result[reindex(index, from: from, to: to, radix: radix)] = value
            }
        }
        return result
    }

    static func reindex(_ index: Int, from: [Int], to: [Int], radix: [Int]) -> Int {
        var categories = [Int](repeating: 0, count: radix.count)
        decode(index, over: from, radix: radix, into: &categories)
        var result = 0
        for d in to { result = result * radix[d] + categories[d] }
        return result
    }

    /// Controlled rounding chained over disjoint dimension groups, each covered by one target.
    static func chainedFlow(
        fitted: [Double], targets: [QuotaTarget], counts: [[Int]], radix: [Int], cellCount: Int
    ) -> [Int]? {
        // Union the dims of targets that share dimensions into groups.
        var groups: [[Int]] = []
        for target in targets {
            let overlapping = groups.indices.filter { !Set(groups[$0]).isDisjoint(with: target.dimensions) }
            var merged = target.dimensions
            for g in overlapping { merged += groups[g].filter { !merged.contains($0) } }
            for g in overlapping.reversed() { groups.remove(at: g) }
            groups.append(merged)
        }
        // Each group needs a target covering all of its dims; order groups by their covering target.
        var covering: [(target: Int, dims: [Int])] = []
        for group in groups {
            guard
                let t = targets.indices.first(where: {
                    Set(targets[$0].dimensions) == Set(group) && targets[$0].dimensions.count == group.count
                })
            else { return nil }
            covering.append((t, targets[t].dimensions))
        }
        covering.sort { $0.target < $1.target }
        var currentDims = covering[0].dims
        var current = counts[covering[0].target]
        for next in covering.dropFirst() {
            let rowsSize = current.count
            let columnsSize = counts[next.target].count
            if rowsSize * columnsSize > 50_000 { return nil }
            let combined = currentDims + next.dims
            let matrix = project(
                fitted, from: Array(0..<radix.count), onto: combined, radix: radix)
            guard let rounded = ControlledRounding.round(matrix, rows: current, columns: counts[next.target]) else {
                return nil
            }
            current = rounded
            currentDims = combined
        }
        // Map the integer table over currentDims (all quota dims) back to joint cell order.
        guard currentDims.count == radix.count else { return nil }
        return reorder(current, from: currentDims, to: Array(0..<radix.count), radix: radix)
    }

    /// Sequential sampling of cells with remaining-target bookkeeping (spec §9.4 `qisi`), with 16 retries.
    static func qisi(
        seedTable: [Double], fitted initial: [Double], zero: [Bool], margins: [FittingMargin], maps: [[Int32]],
        counts: [[Int]], population: Int, randomSeed: UInt64
    ) -> [Int]? {
        let cellCount = initial.count
        for retry in 0..<16 {
            var stream = RandomStream.stage(seed: randomSeed, qisiStage)
            if retry > 0 { stream = stream.substream("retry-\(retry)") }
            var remaining = counts
            var fitted = initial
            var result = [Int](repeating: 0, count: cellCount)
            var weights = [Double](repeating: 0, count: cellCount)
            var deadEnd = false
            for i in 0..<population {
                var total = 0.0
                for c in 0..<cellCount {
                    var w = zero[c] ? 0 : max(fitted[c], 0)
                    if w > 0 {
                        for t in maps.indices where remaining[t][Int(maps[t][c])] <= 0 {
                            w = 0
                            break
                        }
                    }
                    weights[c] = w
                    total += w
                }
                if total <= 0 {
                    for c in 0..<cellCount {
                        var w = zero[c] ? 0.0 : 1.0
                        for t in maps.indices where remaining[t][Int(maps[t][c])] <= 0 { w = 0 }
                        weights[c] = w
                    }
                }
                guard let c = stream.pickIndex(weights: weights) else {
                    deadEnd = true
                    break
                }
                result[c] += 1
                fitted[c] -= 1
                for t in maps.indices { remaining[t][Int(maps[t][c])] -= 1 }
                if fitted[c] < 0 && i + 1 < population {
                    let refit = ProportionalFitting.fit(
                        seed: seedTable,
                        margins: margins.indices.map {
                            FittingMargin(cellToMargin: maps[$0], targets: remaining[$0].map { Double(max($0, 0)) })
                        },
                        tolerance: 1e-9 * Double(population), maxSweeps: 1000)
                    fitted = refit.table
                }
            }
            if !deadEnd && remaining.allSatisfy({ $0.allSatisfy { $0 == 0 } }) { return result }
        }
        return nil
    }
}
