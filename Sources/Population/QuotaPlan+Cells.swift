/// Joint and margin cells as mixed-radix numbers over the quota dimensions (the last dimension varies
/// fastest): decoding, margin maps, projections and re-orderings of dense tables.
extension QuotaPlan {
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
}
