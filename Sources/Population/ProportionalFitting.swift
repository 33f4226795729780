/// One margin of a fitting problem: which margin cell each joint cell falls in, and the margin targets.
public struct FittingMargin: Sendable, Hashable {
    /// For every joint cell, the index of the margin cell it contributes to.
    public var cellToMargin: [Int32]
    /// The target total of every margin cell.
    public var targets: [Double]

    /// Creates a margin.
    public init(cellToMargin: [Int32], targets: [Double]) {
        self.cellToMargin = cellToMargin
        self.targets = targets
    }
}

/// The outcome of iterative proportional fitting.
public struct FittingResult: Sendable {
    /// The fitted joint table.
    public var table: [Double]
    /// How many full sweeps over the margins ran.
    public var sweeps: Int
    /// Whether every margin is within the tolerance of its target.
    public var converged: Bool
    /// The largest absolute margin error after the last sweep.
    public var maxError: Double
    /// The worst margin cell after the last sweep: (margin index, margin cell index).
    public var worst: (margin: Int, cell: Int)
}

/// Iterative proportional fitting over a flat joint table (spec §9.3).
public enum ProportionalFitting {
    /// Scales `seed` until each margin matches its targets.
    ///
    /// Margins are cycled in the given order; each margin cell scales its covering cells by
    /// target / current (skipped when current is 0). Stops when the largest margin error is at most
    /// `tolerance`, after `maxSweeps` sweeps, or when the error has stopped improving for 500 sweeps
    /// (the targets then demand people in zero cells). Zeros in the seed stay zero.
    public static func fit(
        seed: [Double], margins: [FittingMargin], tolerance: Double, maxSweeps: Int = 10_000
    ) -> FittingResult {
        var table = seed
        let cellCount = seed.count
        var current = margins.map { [Double](repeating: 0, count: $0.targets.count) }
        var sweeps = 0
        var error = Double.infinity
        var worst = (margin: 0, cell: 0)
        var checkpointError = Double.infinity
        func measure() {
            error = 0
            worst = (0, 0)
            for (m, margin) in margins.enumerated() {
                for k in current[m].indices { current[m][k] = 0 }
                margin.cellToMargin.withUnsafeBufferPointer { map in
                    for c in 0..<cellCount { current[m][Int(map[c])] += table[c] }
                }
                for k in margin.targets.indices {
                    let deviation = abs(current[m][k] - margin.targets[k])
                    if deviation > error {
                        error = deviation
                        worst = (m, k)
                    }
                }
            }
        }
        measure()
        while error > tolerance && sweeps < maxSweeps {
            sweeps += 1
            for margin in margins {
                var sums = [Double](repeating: 0, count: margin.targets.count)
                margin.cellToMargin.withUnsafeBufferPointer { map in
                    for c in 0..<cellCount { sums[Int(map[c])] += table[c] }
                }
                var factors = [Double](repeating: 1, count: sums.count)
                for k in sums.indices where sums[k] > 0 { factors[k] = margin.targets[k] / sums[k] }
                margin.cellToMargin.withUnsafeBufferPointer { map in
                    for c in 0..<cellCount { table[c] *= factors[Int(map[c])] }
                }
            }
            measure()
            if sweeps % 500 == 0 {
                if error > checkpointError * (1 - 1e-6) { break }
                checkpointError = error
            }
        }
        return FittingResult(
            table: table, sweeps: sweeps, converged: error <= tolerance, maxError: error, worst: worst)
    }

    /// Two-dimensional IPF: fits `seed` (rows × columns) to row and column totals.
    /// - Throws: `infeasibleTargets` when the fit does not converge within the sweep cap.
    public static func fit(
        seed: [[Double]], rows: [Double], columns: [Double], tolerance: Double = 1e-10
    ) throws(PopulationError) -> [[Double]] {
        let rowCount = seed.count
        let columnCount = seed.first?.count ?? 0
        var flat: [Double] = []
        var rowMap: [Int32] = []
        var columnMap: [Int32] = []
        for r in 0..<rowCount {
            for c in 0..<columnCount {
                flat.append(seed[r][c])
                rowMap.append(Int32(r))
                columnMap.append(Int32(c))
            }
        }
        let result = fit(
            seed: flat,
            margins: [
                FittingMargin(cellToMargin: rowMap, targets: rows),
                FittingMargin(cellToMargin: columnMap, targets: columns),
            ],
            tolerance: tolerance)
        guard result.converged else {
            let which = result.worst.margin == 0 ? "row" : "column"
            throw PopulationError(
                .infeasibleTargets,
                "IPF did not converge after \(result.sweeps) sweeps: \(which) \(result.worst.cell) misses its target "
                    + "by \(result.maxError); the targets demand people in zero cells — relax the targets or the rules")
        }
        return (0..<rowCount).map { r in Array(result.table[(r * columnCount)..<((r + 1) * columnCount)]) }
    }
}
