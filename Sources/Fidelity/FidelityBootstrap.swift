import Foundation
import Storage

/// Every figure of a table with its seeded bootstrap interval.
///
/// A resample draws n respondent indices with replacement from its own stream
/// (`RandomStream.slot(seed: seed, b)`), so resample b is the same whichever worker computes it and
/// however many workers there are. Resamples are split across `workers` child tasks; each keeps one
/// multiplicity array and one set of counts, reset between resamples (no allocation per respondent).
public struct FidelityEstimates: Sendable {
    /// Where each figure sits.
    public var layout: FigureLayout
    /// Point estimates (NaN: undefined).
    public var point: [Double]
    /// 2.5% quantiles (NaN: no resample defined the figure).
    public var low: [Double]
    /// 97.5% quantiles.
    public var high: [Double]
    /// n of each figure.
    public var n: [Int]
    /// Human shares per cell and question (`nil`: nobody answered).
    public var humanShares: [[[Double]?]]
    /// Simulated shares per cell and question.
    public var simulatedShares: [[[Double]?]]
    /// Human answers per cell and question (unweighted count).
    public var humanN: [[Int]]
    /// Simulated answers per cell and question.
    public var simulatedN: [[Int]]
    /// Respondents per cell.
    public var cellN: [Int]
    /// Resamples drawn.
    public var resamples: Int

    /// The estimate at `index`.
    public func estimate(_ index: Int) -> FigureEstimate {
        FigureEstimate(
            value: FidelityJSON.defined(point[index]), low: FidelityJSON.defined(low[index]),
            high: FidelityJSON.defined(high[index]), n: n[index])
    }

    /// A question figure of a cell.
    public func estimate(cell: Int = 0, question: Int, _ figure: FigureLayout.QuestionFigure) -> FigureEstimate {
        estimate(layout.index(cell: cell, question: question, figure))
    }

    /// An overall figure of a cell.
    public func estimate(cell: Int = 0, _ figure: FigureLayout.OverallFigure) -> FigureEstimate {
        estimate(layout.index(cell: cell, figure))
    }
}

/// The seeded bootstrap over respondents.
public enum FidelityBootstrap {
    /// Point estimates of every figure of `table` and, with `resamples` > 0, their 95% intervals.
    public static func estimate(
        _ table: FidelityTable, resamples: Int, seed: UInt64, workers: Int = 2
    ) async -> FidelityEstimates {
        await estimate(table, views: [], resamples: resamples, seed: seed, workers: workers)[0]
    }

    /// The estimates of `table` and of each analytic view of it (`.uniform`, `.majority`), all from
    /// one pass over the same resamples: a view reads only the human counts, so it costs no pass of
    /// its own.
    public static func estimate(
        _ table: FidelityTable, views: [FidelityTable.Simulated], resamples: Int, seed: UInt64, workers: Int = 2
    ) async -> [FidelityEstimates] {
        precondition(views.allSatisfy(\.isAnalytic), "a view must be computed from the human counts")
        let tables = [table] + views.map { table.with($0) }
        let layout = FigureLayout(questions: table.questionCount, cells: table.cellCount)
        let n = table.respondentCount
        let q = layout.questions
        var counts = FidelityCounts(table)
        let ones = [Int32](repeating: 1, count: n)
        counts.add(table, humanTimes: ones, simulatedTimes: ones)
        var samples: [[Double]] = []
        if resamples > 0, n > 0 {
            samples = await resampleFigures(tables, layout: layout, resamples: resamples, seed: seed, workers: workers)
        }
        var results: [FidelityEstimates] = []
        for (v, view) in tables.enumerated() {
            let analytic = view.simulated.isAnalytic
            var point = [Double](repeating: .nan, count: layout.count)
            counts.figures(view, into: &point)
            var figureN = [Int](repeating: 0, count: layout.count)
            var humanShares: [[[Double]?]] = []
            var simulatedShares: [[[Double]?]] = []
            var humanN: [[Int]] = []
            var simulatedN: [[Int]] = []
            for cell in 0..<layout.cells {
                let humanCounts = Array(counts.tallies[(cell * q)..<((cell + 1) * q)])
                let simulatedCounts =
                    analytic
                    ? humanCounts
                    : Array(
                        counts.tallies[(counts.simulatedNBase + cell * q)..<(counts.simulatedNBase + (cell + 1) * q)])
                for j in 0..<q {
                    let paired = analytic ? humanCounts[j] : counts.tallies[counts.bothNBase + cell * q + j]
                    for figure in FigureLayout.QuestionFigure.allCases {
                        let isPaired = figure == .accuracy || figure == .ordinalError
                        figureN[layout.index(cell: cell, question: j, figure)] = isPaired ? paired : simulatedCounts[j]
                    }
                }
                for figure in FigureLayout.OverallFigure.allCases {
                    figureN[layout.index(cell: cell, figure)] = counts.cellN[cell]
                }
                humanShares.append(
                    (0..<q).map {
                        counts.shares(simulatedSide: false, cell: cell, question: $0, k: table.optionCounts[$0])
                    })
                simulatedShares.append(
                    (0..<q).map { j in
                        let k = table.optionCounts[j]
                        switch view.simulated {
                        case .uniform:
                            return humanCounts[j] > 0 ? [Double](repeating: 1 / Double(k), count: k) : nil
                        case .majority(let modes):
                            return humanCounts[j] > 0 ? (0..<k).map { $0 == Int(modes[j]) ? 1.0 : 0.0 } : nil
                        case .answers:
                            return counts.shares(simulatedSide: true, cell: cell, question: j, k: k)
                        }
                    })
                humanN.append(humanCounts)
                simulatedN.append(simulatedCounts)
            }
            var low = [Double](repeating: .nan, count: layout.count)
            var high = low
            if !samples.isEmpty {
                (low, high) = intervals(samples[v], figures: layout.count, resamples: resamples)
            }
            results.append(
                FidelityEstimates(
                    layout: layout, point: point, low: low, high: high, n: figureN, humanShares: humanShares,
                    simulatedShares: simulatedShares, humanN: humanN, simulatedN: simulatedN, cellN: counts.cellN,
                    resamples: resamples))
        }
        return results
    }

    /// The multiplicities of resample `b`: n indices drawn with replacement from its own stream.
    static func draw(_ b: Int, n: Int, seed: UInt64, strata: [Int] = [], into times: inout [Int32]) {
        for i in times.indices { times[i] = 0 }
        var stream = RandomStream.slot(seed: seed, UInt64(b))
        var start = 0
        for size in strata.isEmpty ? [n] : strata where size > 0 {
            for _ in 0..<size { times[start + Int(stream.nextInt(below: UInt64(size)))] += 1 }
            start += size
        }
    }

    /// Figures of every resample, resample-major (`figures` per resample), for each of `tables`
    /// (the first is counted; the others are analytic views of the same counts).
    static func resampleFigures(
        _ tables: [FidelityTable], layout: FigureLayout, resamples: Int, seed: UInt64, workers: Int
    ) async -> [[Double]] {
        let workers = max(1, min(workers, resamples))
        let chunk = (resamples + workers - 1) / workers
        let figures = layout.count
        let table = tables[0]
        let n = table.respondentCount
        let parts = await withTaskGroup(of: (Int, [[Double]]).self) { group in
            for w in 0..<workers {
                let start = w * chunk
                let end = min(resamples, start + chunk)
                guard start < end else { continue }
                group.addTask {
                    var out = [[Double]](
                        repeating: [Double](repeating: .nan, count: (end - start) * figures), count: tables.count)
                    var counts = FidelityCounts(table)
                    let index = FidelityCounts.Index(table, offsets: counts.offsets)
                    var times = [Int32](repeating: 0, count: n)
                    for b in start..<end {
                        draw(b, n: n, seed: seed, strata: table.strata, into: &times)
                        counts.reset()
                        counts.addResample(table, index: index, times: times)
                        for v in tables.indices {
                            counts.figures(tables[v], into: &out[v], at: (b - start) * figures)
                        }
                    }
                    return (w, out)
                }
            }
            var parts: [(Int, [[Double]])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return tables.indices.map { v in parts.flatMap { $0[v] } }
    }

    /// 2.5% and 97.5% quantiles of each figure over the resamples (undefined resamples left out).
    static func intervals(_ samples: [Double], figures: Int, resamples: Int) -> ([Double], [Double]) {
        var low = [Double](repeating: .nan, count: figures)
        var high = low
        var column: [Double] = []
        column.reserveCapacity(resamples)
        for f in 0..<figures {
            column.removeAll(keepingCapacity: true)
            for b in 0..<resamples {
                let x = samples[b * figures + f]
                if !x.isNaN { column.append(x) }
            }
            guard !column.isEmpty else { continue }
            column.sort()
            low[f] = FidelityMetrics.quantile(sorted: column, 0.025)
            high[f] = FidelityMetrics.quantile(sorted: column, 0.975)
        }
        return (low, high)
    }
}
