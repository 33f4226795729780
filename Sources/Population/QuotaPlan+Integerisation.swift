import Storage

/// How the targets become integers (spec §9.2–9.4): every target's counts first, then the joint table
/// by controlled rounding (`flow`) or sequential sampling (`qisi`).
extension QuotaPlan {
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
