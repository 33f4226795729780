import Foundation
import Storage

/// The answers a fidelity figure is computed from, as flat arrays: one row per respondent, one
/// column per scored question, each cell an option position (`0..<K`) or `-1` (missing, failed).
///
/// Every respondent belongs to cell 0 (everyone) and to at most one group cell per attribute
/// (`groups[r * attributeCount + a]`, a cell id ≥ 1, or `-1` when the attribute is missing).
public struct FidelityTable: Sendable {
    /// What the simulated side of the table is.
    public enum Simulated: Sendable {
        /// Simulated answers, `answers[r * Q + q]`, `-1` for failed or not asked.
        case answers([Int32])
        /// The uniform reference point: S = U, expected accuracy 1/K.
        case uniform
    }

    /// K of each question.
    public var optionCounts: [Int]
    /// Whether each question is ordinal.
    public var ordinal: [Bool]
    /// The humans' answers, `human[r * Q + q]`.
    public var human: [Int32]
    /// The simulated side.
    public var simulated: Simulated
    /// Design weights, one per respondent.
    public var weights: [Double]
    /// Group cells, `groups[r * attributeCount + a]`.
    public var groups: [Int32]
    /// Attributes per respondent in ``groups``.
    public var attributeCount: Int
    /// Cells: 1 (everyone) + every group of every attribute.
    public var cellCount: Int

    /// Creates a table.
    public init(
        optionCounts: [Int], ordinal: [Bool], human: [Int32], simulated: Simulated, weights: [Double],
        groups: [Int32] = [], attributeCount: Int = 0, cellCount: Int = 1
    ) {
        self.optionCounts = optionCounts
        self.ordinal = ordinal
        self.human = human
        self.simulated = simulated
        self.weights = weights
        self.groups = groups
        self.attributeCount = attributeCount
        self.cellCount = cellCount
    }

    /// Q.
    public var questionCount: Int { optionCounts.count }
    /// n.
    public var respondentCount: Int { weights.count }

    /// The same table with another simulated side.
    public func with(_ simulated: Simulated) -> FidelityTable {
        var copy = self
        copy.simulated = simulated
        return copy
    }
}

/// Where each figure sits in a flat figure vector: per cell, per question 5 figures, then 7
/// overall figures.
public struct FigureLayout: Sendable, Hashable {
    /// Per-question figures.
    public enum QuestionFigure: Int, Sendable, CaseIterable {
        case tvd, simbench, ordinalSimilarity, accuracy, ordinalError
    }
    /// Overall figures of a cell.
    public enum OverallFigure: Int, Sendable, CaseIterable {
        case representativenessOrdinal, representativenessNominal, representativeness, tvd, simbench, accuracy,
            ordinalError
    }

    /// Q.
    public var questions: Int
    /// Cells.
    public var cells: Int

    /// Figures per cell.
    public var perCell: Int { questions * 5 + 7 }
    /// Figures in all.
    public var count: Int { cells * perCell }
    /// The index of a question figure.
    public func index(cell: Int, question: Int, _ figure: QuestionFigure) -> Int {
        cell * perCell + question * 5 + figure.rawValue
    }
    /// The index of an overall figure.
    public func index(cell: Int, _ figure: OverallFigure) -> Int { cell * perCell + questions * 5 + figure.rawValue }
}

/// Weighted counts of one pass over a table (all respondents, a bootstrap resample, or half of them).
struct FidelityCounts {
    let q: Int
    let cells: Int
    let offsets: [Int]
    let stride: Int
    var human: [Double]
    var simulated: [Double]
    var humanN: [Int]
    var simulatedN: [Int]
    var both: [Double]
    var bothN: [Int]
    var match: [Double]
    var ordinalError: [Double]
    var cellN: [Int]

    init(_ table: FidelityTable) {
        q = table.questionCount
        cells = table.cellCount
        var offsets: [Int] = []
        var total = 0
        for k in table.optionCounts {
            offsets.append(total)
            total += k
        }
        self.offsets = offsets
        stride = total
        human = Array(repeating: 0, count: cells * stride)
        simulated = human
        humanN = Array(repeating: 0, count: cells * q)
        simulatedN = humanN
        both = Array(repeating: 0, count: cells * q)
        bothN = humanN
        match = both
        ordinalError = both
        cellN = Array(repeating: 0, count: cells)
    }

    mutating func reset() {
        for i in human.indices {
            human[i] = 0
            simulated[i] = 0
        }
        for i in humanN.indices {
            humanN[i] = 0
            simulatedN[i] = 0
            both[i] = 0
            bothN[i] = 0
            match[i] = 0
            ordinalError[i] = 0
        }
        for i in cellN.indices { cellN[i] = 0 }
    }

    /// Adds every respondent `r` with multiplicity `humanTimes[r]` to the human side and
    /// `simulatedTimes[r]` to the simulated side (the same array for paired figures). With
    /// `simulatedFromHuman`, the simulated side counts the human answers (split halves).
    mutating func add(
        _ table: FidelityTable, humanTimes: [Int32], simulatedTimes: [Int32], simulatedFromHuman: Bool = false
    ) {
        let q = self.q
        let a = table.attributeCount
        let n = table.respondentCount
        let ordinalScale: [Double] = table.optionCounts.enumerated().map { i, k in
            table.ordinal[i] && k > 1 ? 1 / Double(k - 1) : 0
        }
        let sim: [Int32]
        var uniform = false
        switch table.simulated {
        case .answers(let answers): sim = simulatedFromHuman ? table.human : answers
        case .uniform:
            sim = table.human
            uniform = !simulatedFromHuman
        }
        let paired = !simulatedFromHuman
        table.human.withUnsafeBufferPointer { human in
            sim.withUnsafeBufferPointer { sim in
                table.groups.withUnsafeBufferPointer { groups in
                    for r in 0..<n {
                        let hm = humanTimes[r]
                        let sm = simulatedTimes[r]
                        if hm == 0, sm == 0 { continue }
                        let hw = Double(hm) * table.weights[r]
                        let sw = Double(sm) * table.weights[r]
                        for c in -1..<a {
                            let cell: Int
                            if c < 0 {
                                cell = 0
                            } else {
                                let g = groups[r * a + c]
                                if g < 0 { continue }
                                cell = Int(g)
                            }
                                cellN[cell] += Int(max(hm, sm))
                                let base = cell * stride
                                let qbase = cell * q
                                for j in 0..<q {
                                    let h = Int(human[r * q + j])
                                    if h >= 0, hm > 0 {
                                        self.human[base + offsets[j] + h] += hw
                                        humanN[qbase + j] += Int(hm)
                                    }
                                    if uniform {
                                        if h >= 0 {
                                            simulatedN[qbase + j] += Int(sm)
                                        }
                                        continue
                                    }
                                    let s = Int(sim[r * q + j])
                                    if s >= 0, sm > 0 {
                                        simulated[base + offsets[j] + s] += sw
                                        simulatedN[qbase + j] += Int(sm)
                                    }
                                    if paired, h >= 0, s >= 0 {
                                        both[qbase + j] += hw
                                        bothN[qbase + j] += Int(hm)
                                        if h == s { match[qbase + j] += hw }
                                        if ordinalScale[j] > 0 {
                                            ordinalError[qbase + j] += hw * Double(abs(h - s)) * ordinalScale[j]
                                        }
                                    }
                                }
                            }
                        }
                }
            }
        }
    }

    /// The shares of one question in one cell (`nil` when nobody answered).
    func shares(_ counts: [Double], cell: Int, question j: Int, k: Int) -> [Double]? {
        let base = cell * stride + offsets[j]
        var total = 0.0
        for i in 0..<k { total += counts[base + i] }
        guard total > 0 else { return nil }
        return (0..<k).map { counts[base + $0] / total }
    }

    /// Every figure of the layout from these counts into `out` (NaN for an undefined figure).
    func figures(_ table: FidelityTable, into out: inout [Double], at start: Int = 0) {
        let layout = FigureLayout(questions: q, cells: cells)
        let isUniform: Bool
        if case .uniform = table.simulated { isUniform = true } else { isUniform = false }
        var hBuf = [Double](repeating: 0, count: table.optionCounts.max() ?? 0)
        var sBuf = hBuf
        for cell in 0..<cells {
            var ordinalSum = 0.0
            var ordinalCount = 0
            var nominalSum = 0.0
            var nominalCount = 0
            var tvdSum = 0.0
            var tvdCount = 0
            var simSum = 0.0
            var simCount = 0
            var accSum = 0.0
            var accCount = 0
            var errSum = 0.0
            var errCount = 0
            for j in 0..<q {
                let k = table.optionCounts[j]
                let base = cell * stride + offsets[j]
                var hTotal = 0.0
                var sTotal = 0.0
                for i in 0..<k {
                    hTotal += human[base + i]
                    sTotal += simulated[base + i]
                }
                var tvd = Double.nan
                var score = Double.nan
                var similarity = Double.nan
                var accuracy = Double.nan
                var error = Double.nan
                if hTotal > 0, isUniform || sTotal > 0 {
                    for i in 0..<k {
                        hBuf[i] = human[base + i] / hTotal
                        sBuf[i] = isUniform ? 1 / Double(k) : simulated[base + i] / sTotal
                    }
                    let metrics = FidelityMetrics.compare(
                        human: hBuf, simulated: sBuf, k: k, ordinal: table.ordinal[j])
                    tvd = metrics.tvd
                    score = metrics.simbench
                    similarity = metrics.ordinalSimilarity
                    if table.ordinal[j] {
                        ordinalSum += similarity
                        ordinalCount += 1
                    } else {
                        nominalSum += 1 - tvd
                        nominalCount += 1
                    }
                    tvdSum += tvd
                    tvdCount += 1
                    if !score.isNaN {
                        simSum += score
                        simCount += 1
                    }
                }
                if isUniform {
                    if hTotal > 0 {
                        accuracy = 1 / Double(k)
                        if table.ordinal[j] {
                            var e = 0.0
                            for i in 0..<k { e += human[base + i] / hTotal * FidelityMetrics.uniformOrdinalError(i, k) }
                            error = e
                        }
                    }
                } else if both[cell * q + j] > 0 {
                    accuracy = match[cell * q + j] / both[cell * q + j]
                    if table.ordinal[j] { error = ordinalError[cell * q + j] / both[cell * q + j] }
                }
                if !accuracy.isNaN {
                    accSum += accuracy
                    accCount += 1
                }
                if !error.isNaN {
                    errSum += error
                    errCount += 1
                }
                out[start + layout.index(cell: cell, question: j, .tvd)] = tvd
                out[start + layout.index(cell: cell, question: j, .simbench)] = score
                out[start + layout.index(cell: cell, question: j, .ordinalSimilarity)] = similarity
                out[start + layout.index(cell: cell, question: j, .accuracy)] = accuracy
                out[start + layout.index(cell: cell, question: j, .ordinalError)] = error
            }
            func mean(_ sum: Double, _ count: Int) -> Double { count > 0 ? sum / Double(count) : .nan }
            out[start + layout.index(cell: cell, .representativenessOrdinal)] = mean(ordinalSum, ordinalCount)
            out[start + layout.index(cell: cell, .representativenessNominal)] = mean(nominalSum, nominalCount)
            out[start + layout.index(cell: cell, .representativeness)] = mean(
                ordinalSum + nominalSum, ordinalCount + nominalCount)
            out[start + layout.index(cell: cell, .tvd)] = mean(tvdSum, tvdCount)
            out[start + layout.index(cell: cell, .simbench)] = mean(simSum, simCount)
            out[start + layout.index(cell: cell, .accuracy)] = mean(accSum, accCount)
            out[start + layout.index(cell: cell, .ordinalError)] = mean(errSum, errCount)
        }
    }
}
