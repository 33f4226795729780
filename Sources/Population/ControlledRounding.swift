/// Controlled rounding of a fitted 2-D table by min-cost flow (spec §9.4, `flow`).
public enum ControlledRounding {
    /// Rounds every cell of `fitted` (row-major, `rows.count` × `columns.count`) to its floor or ceiling so that
    /// the row sums are `rows` and the column sums are `columns` exactly, maximising the sum of the fractional
    /// parts of the cells rounded up (a unique optimum: cell costs are −frac − 1e-9·cellIndex).
    ///
    /// Returns `nil` when no such rounding exists (the totals are not roundings of the fitted margins).
    public static func round(_ fitted: [Double], rows: [Int], columns: [Int]) -> [Int]? {
        let rowCount = rows.count
        let columnCount = columns.count
        precondition(fitted.count == rowCount * columnCount, "fitted table and totals disagree")
        var result = [Int](repeating: 0, count: fitted.count)
        var fraction = [Double](repeating: 0, count: fitted.count)
        for index in fitted.indices {
            var value = max(fitted[index], 0)
            let nearest = value.rounded()
            if abs(value - nearest) < 1e-9 { value = nearest }
            let floorValue = value.rounded(.down)
            result[index] = Int(floorValue)
            fraction[index] = value - floorValue
        }
        var rowDeficit = rows
        var columnDeficit = columns
        for r in 0..<rowCount {
            for c in 0..<columnCount {
                rowDeficit[r] -= result[r * columnCount + c]
                columnDeficit[c] -= result[r * columnCount + c]
            }
        }
        if rowDeficit.contains(where: { $0 < 0 }) || columnDeficit.contains(where: { $0 < 0 }) { return nil }
        let needed = rowDeficit.reduce(0, +)
        guard needed == columnDeficit.reduce(0, +) else { return nil }
        if needed == 0 { return result }

        // Nodes: 0 source, 1 sink, 2..<2+R rows, then columns.
        var graph = FlowGraph(nodeCount: 2 + rowCount + columnCount)
        for r in 0..<rowCount where rowDeficit[r] > 0 { graph.addEdge(0, 2 + r, capacity: rowDeficit[r], cost: 0) }
        for c in 0..<columnCount where columnDeficit[c] > 0 {
            graph.addEdge(2 + rowCount + c, 1, capacity: columnDeficit[c], cost: 0)
        }
        var cellEdges: [(cell: Int, edge: Int)] = []
        for r in 0..<rowCount where rowDeficit[r] > 0 {
            for c in 0..<columnCount where columnDeficit[c] > 0 {
                let cell = r * columnCount + c
                guard fraction[cell] > 1e-12 else { continue }
                let edge = graph.addEdge(
                    2 + r, 2 + rowCount + c, capacity: 1, cost: -fraction[cell] - 1e-9 * Double(cell))
                cellEdges.append((cell, edge))
            }
        }
        let flow = graph.minCostFlow(source: 0, sink: 1, limit: needed)
        guard flow == needed else { return nil }
        for (cell, edge) in cellEdges where graph.flow(of: edge) > 0 { result[cell] += 1 }
        return result
    }
}

/// A residual graph for successive-shortest-path min-cost flow with SPFA (negative costs allowed, no
/// negative cycles at the start).
struct FlowGraph {
    var head: [Int]
    var to: [Int] = []
    var next: [Int] = []
    var capacity: [Int] = []
    var cost: [Double] = []
    var original: [Int] = []

    init(nodeCount: Int) { head = [Int](repeating: -1, count: nodeCount) }

    @discardableResult
    mutating func addEdge(_ from: Int, _ target: Int, capacity edgeCapacity: Int, cost edgeCost: Double) -> Int {
        let index = to.count
        to.append(target)
        next.append(head[from])
        capacity.append(edgeCapacity)
        cost.append(edgeCost)
        original.append(edgeCapacity)
        head[from] = index
        to.append(from)
        next.append(head[target])
        capacity.append(0)
        cost.append(-edgeCost)
        original.append(0)
        head[target] = index + 1
        return index
    }

    func flow(of edge: Int) -> Int { original[edge] - capacity[edge] }

    mutating func minCostFlow(source: Int, sink: Int, limit: Int) -> Int {
        let nodeCount = head.count
        var total = 0
        var distance = [Double](repeating: .infinity, count: nodeCount)
        var previousEdge = [Int](repeating: -1, count: nodeCount)
        var inQueue = [Bool](repeating: false, count: nodeCount)
        var queue: [Int] = []
        while total < limit {
            for v in 0..<nodeCount {
                distance[v] = .infinity
                previousEdge[v] = -1
                inQueue[v] = false
            }
            distance[source] = 0
            queue.removeAll(keepingCapacity: true)
            queue.append(source)
            inQueue[source] = true
            var cursor = 0
            while cursor < queue.count {
                let u = queue[cursor]
                cursor += 1
                inQueue[u] = false
                var e = head[u]
                while e >= 0 {
                    if capacity[e] > 0 {
                        let v = to[e]
                        let candidate = distance[u] + cost[e]
                        if candidate < distance[v] - 1e-15 {
                            distance[v] = candidate
                            previousEdge[v] = e
                            if !inQueue[v] {
                                inQueue[v] = true
                                queue.append(v)
                            }
                        }
                    }
                    e = next[e]
                }
                if cursor > 4096 && cursor * 2 > queue.count {
                    queue.removeFirst(cursor)
                    cursor = 0
                }
            }
            if distance[sink] == .infinity { break }
            var bottleneck = limit - total
            var v = sink
            while v != source {
                let e = previousEdge[v]
                bottleneck = min(bottleneck, capacity[e])
                v = to[e ^ 1]
            }
            v = sink
            while v != source {
                let e = previousEdge[v]
                capacity[e] -= bottleneck
                capacity[e ^ 1] += bottleneck
                v = to[e ^ 1]
            }
            total += bottleneck
        }
        return total
    }
}
