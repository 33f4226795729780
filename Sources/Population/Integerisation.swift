/// Largest-remainder integerisation of proportions (spec §9.2).
public enum Integerisation {
    /// Rounds `weights` (proportions or counts, normalised here) to non-negative integers that sum to `total`.
    ///
    /// Takes the floor of `total · p_c`, then gives +1 to the largest remainders until the sum is `total`.
    /// Remainders are compared after rounding to 1e-12, so floating-point noise never decides, and ties go to
    /// the lower index. Every count is within 1 of `total · p_c` (the quota rule). Beware the Alabama paradox:
    /// a count may decrease when `total` grows.
    /// - Throws: `invalidSpec` when a weight is negative or not finite, or all weights are zero while
    ///   `total > 0`.
    public static func largestRemainder(_ weights: [Double], total: Int) throws(PopulationError) -> [Int] {
        guard total >= 0 else {
            throw PopulationError(.invalidSpec, "the population size is negative (\(total)); use a size >= 0")
        }
        var sum = 0.0
        for (index, weight) in weights.enumerated() {
            guard weight.isFinite, weight >= 0 else {
                throw PopulationError(
                    .invalidSpec, "weight \(index) is \(weight); weights must be finite and >= 0")
            }
            sum += weight
        }
        if total == 0 { return Array(repeating: 0, count: weights.count) }
        guard sum > 0 else {
            throw PopulationError(.invalidSpec, "all weights are zero; give at least one cell a positive weight")
        }
        var counts = [Int](repeating: 0, count: weights.count)
        var remainders = [Int64](repeating: 0, count: weights.count)
        var assigned = 0
        for index in weights.indices {
            let quota = Double(total) * weights[index] / sum
            let floorValue = quota.rounded(.down)
            counts[index] = Int(floorValue)
            assigned += counts[index]
            remainders[index] = Int64(((quota - floorValue) * 1e12).rounded())
        }
        var missing = total - assigned
        if missing > 0 {
            // Stable order: largest remainder first, lower index on ties.
            let order = weights.indices.sorted { left, right in
                remainders[left] != remainders[right] ? remainders[left] > remainders[right] : left < right
            }
            var position = 0
            while missing > 0 {
                counts[order[position % order.count]] += 1
                missing -= 1
                position += 1
            }
        }
        return counts
    }
}
