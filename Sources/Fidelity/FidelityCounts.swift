import Foundation

/// Weighted counts of one pass over a table (all respondents, a bootstrap resample, or half of them).
///
/// Two flat arrays hold everything, so the inner loop writes through two raw buffers:
/// `values` = human shares' weights | simulated | both answered | matches | ordinal error (per cell),
/// `tallies` = human n | simulated n | both n (per cell and question) | respondents per cell.
struct FidelityCounts {
    let q: Int
    let cells: Int
    let offsets: [Int]
    let stride: Int
    var values: [Double]
    var tallies: [Int]

    var simulatedBase: Int { cells * stride }
    var bothBase: Int { 2 * cells * stride }
    var matchBase: Int { bothBase + cells * q }
    var errorBase: Int { matchBase + cells * q }
    var simulatedNBase: Int { cells * q }
    var bothNBase: Int { 2 * cells * q }
    var cellNBase: Int { 3 * cells * q }

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
        values = Array(repeating: 0, count: 2 * cells * stride + 3 * cells * q)
        tallies = Array(repeating: 0, count: 3 * cells * q + cells)
    }

    mutating func reset() {
        values.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        tallies.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    var cellN: [Int] { Array(tallies[cellNBase...]) }

    /// The flat share indices of a table's answers (`offsets[j] + position`, `-1` when missing) and
    /// each respondent's cells: computed once per worker, read by every resample.
    struct Index {
        var human: [Int32]
        var simulated: [Int32]
        var cells: [Int32]
        var perRespondent: Int

        init(_ table: FidelityTable, offsets: [Int]) {
            let q = table.questionCount
            let n = table.respondentCount
            let sim: [Int32]
            if case .answers(let answers) = table.simulated { sim = answers } else { sim = [] }
            human = [Int32](repeating: -1, count: n * q)
            simulated = human
            for r in 0..<n {
                for j in 0..<q {
                    let h = table.human[r * q + j]
                    if h >= 0 { human[r * q + j] = Int32(offsets[j]) + h }
                    if !sim.isEmpty, sim[r * q + j] >= 0 { simulated[r * q + j] = Int32(offsets[j]) + sim[r * q + j] }
                }
            }
            perRespondent = 1 + table.attributeCount
            cells = [Int32](repeating: -1, count: n * perRespondent)
            for r in 0..<n {
                cells[r * perRespondent] = 0
                for a in 0..<table.attributeCount {
                    cells[r * perRespondent + 1 + a] = table.groups[r * table.attributeCount + a]
                }
            }
        }
    }

    /// The bootstrap's pass: respondent `r` counted `times[r]` times on both sides, the values only
    /// (resampled figures need no n). `index` is ``Index`` of the same table.
    mutating func addResample(_ table: FidelityTable, index: Index, times: [Int32]) {
        let q = self.q
        let n = table.respondentCount
        let stride = self.stride
        let (sBase, bBase, mBase, eBase) = (simulatedBase, bothBase, matchBase, errorBase)
        let analytic = table.simulated.isAnalytic
        var scale = [Double](repeating: 0, count: q)
        for j in 0..<q where table.ordinal[j] && table.optionCounts[j] > 1 {
            scale[j] = 1 / Double(table.optionCounts[j] - 1)
        }
        var values = self.values
        self.values = []
        values.withUnsafeMutableBufferPointer { v in
            index.human.withUnsafeBufferPointer { hIndex in
                index.simulated.withUnsafeBufferPointer { sIndex in
                    index.cells.withUnsafeBufferPointer { cellsOf in
                        table.weights.withUnsafeBufferPointer { weights in
                            times.withUnsafeBufferPointer { times in
                                scale.withUnsafeBufferPointer { scale in
                                    let per = index.perRespondent
                                    for r in 0..<n {
                                        let m = times[r]
                                        if m == 0 { continue }
                                        let w = Double(m) * weights[r]
                                        let row = r * q
                                        for c in 0..<per {
                                            let cell = Int(cellsOf[r * per + c])
                                            if cell < 0 { continue }
                                            let base = cell * stride
                                            let qbase = cell * q
                                            if analytic {
                                                for j in 0..<q {
                                                    let hi = Int(hIndex[row + j])
                                                    if hi >= 0 { v[base + hi] += w }
                                                }
                                                continue
                                            }
                                            for j in 0..<q {
                                                let hi = Int(hIndex[row + j])
                                                let si = Int(sIndex[row + j])
                                                if hi >= 0 { v[base + hi] += w }
                                                if si >= 0 {
                                                    v[sBase + base + si] += w
                                                    if hi >= 0 {
                                                        v[bBase + qbase + j] += w
                                                        if hi == si {
                                                            v[mBase + qbase + j] += w
                                                        } else if scale[j] > 0 {
                                                            v[eBase + qbase + j] += w * Double(abs(hi - si)) * scale[j]
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.values = values
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
        case .uniform, .majority:
            sim = table.human
            uniform = !simulatedFromHuman
        }
        let paired = !simulatedFromHuman
        let stride = self.stride
        let (sBase, bBase, mBase, eBase) = (simulatedBase, bothBase, matchBase, errorBase)
        let (snBase, bnBase, cnBase) = (simulatedNBase, bothNBase, cellNBase)
        var values = self.values
        var tallies = self.tallies
        self.values = []
        self.tallies = []
        values.withUnsafeMutableBufferPointer { v in
            tallies.withUnsafeMutableBufferPointer { t in
                table.human.withUnsafeBufferPointer { human in
                    sim.withUnsafeBufferPointer { sim in
                        table.groups.withUnsafeBufferPointer { groups in
                            table.weights.withUnsafeBufferPointer { weights in
                                offsets.withUnsafeBufferPointer { offsets in
                                    ordinalScale.withUnsafeBufferPointer { scale in
                                        humanTimes.withUnsafeBufferPointer { hTimes in
                                            simulatedTimes.withUnsafeBufferPointer { sTimes in
                                                for r in 0..<n {
                                                    let hm = Int(hTimes[r])
                                                    let sm = Int(sTimes[r])
                                                    if hm == 0, sm == 0 { continue }
                                                    let hw = Double(hm) * weights[r]
                                                    let sw = Double(sm) * weights[r]
                                                    let row = r * q
                                                    for c in -1..<a {
                                                        let cell: Int
                                                        if c < 0 {
                                                            cell = 0
                                                        } else {
                                                            let g = Int(groups[r * a + c])
                                                            if g < 0 { continue }
                                                            cell = g
                                                        }
                                                        t[cnBase + cell] += max(hm, sm)
                                                        let base = cell * stride
                                                        let qbase = cell * q
                                                        for j in 0..<q {
                                                            let h = Int(human[row + j])
                                                            if h >= 0, hm > 0 {
                                                                v[base + offsets[j] + h] += hw
                                                                t[qbase + j] += hm
                                                            }
                                                            if uniform {
                                                                if h >= 0 { t[snBase + qbase + j] += sm }
                                                                continue
                                                            }
                                                            let s = Int(sim[row + j])
                                                            if s >= 0, sm > 0 {
                                                                v[sBase + base + offsets[j] + s] += sw
                                                                t[snBase + qbase + j] += sm
                                                            }
                                                            if paired, h >= 0, s >= 0 {
                                                                v[bBase + qbase + j] += hw
                                                                t[bnBase + qbase + j] += hm
                                                                if h == s {
                                                                    v[mBase + qbase + j] += hw
                                                                } else if scale[j] > 0 {
                                                                    v[eBase + qbase + j] +=
                                                                        hw * Double(abs(h - s)) * scale[j]
                                                                }
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.values = values
        self.tallies = tallies
    }

    /// The shares of one question in one cell (`nil` when nobody answered); `simulatedSide` reads the
    /// simulated counts.
    func shares(simulatedSide: Bool, cell: Int, question j: Int, k: Int) -> [Double]? {
        let base = (simulatedSide ? simulatedBase : 0) + cell * stride + offsets[j]
        var total = 0.0
        for i in 0..<k { total += values[base + i] }
        guard total > 0 else { return nil }
        return (0..<k).map { values[base + $0] / total }
    }

    /// Every figure of the layout from these counts into `out` (NaN for an undefined figure).
    func figures(_ table: FidelityTable, into out: inout [Double], at start: Int = 0) {
        let layout = FigureLayout(questions: q, cells: cells)
        let isUniform: Bool
        if case .uniform = table.simulated { isUniform = true } else { isUniform = false }
        var modes: [Int32]? = nil
        if case .majority(let m) = table.simulated { modes = m }
        let analytic = table.simulated.isAnalytic
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
                    hTotal += values[base + i]
                    sTotal += values[simulatedBase + base + i]
                }
                var tvd = Double.nan
                var score = Double.nan
                var similarity = Double.nan
                var accuracy = Double.nan
                var error = Double.nan
                if hTotal > 0, analytic || sTotal > 0 {
                    for i in 0..<k {
                        hBuf[i] = values[base + i] / hTotal
                        if isUniform {
                            sBuf[i] = 1 / Double(k)
                        } else if let modes {
                            sBuf[i] = i == Int(modes[j]) ? 1 : 0
                        } else {
                            sBuf[i] = values[simulatedBase + base + i] / sTotal
                        }
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
                            for i in 0..<k {
                                e += values[base + i] / hTotal * FidelityMetrics.uniformOrdinalError(i, k)
                            }
                            error = e
                        }
                    }
                } else if let modes {
                    if hTotal > 0 {
                        let mode = Int(modes[j])
                        accuracy = values[base + mode] / hTotal
                        if table.ordinal[j], k > 1 {
                            var e = 0.0
                            for i in 0..<k { e += values[base + i] * Double(abs(i - mode)) }
                            error = e / hTotal / Double(k - 1)
                        }
                    }
                } else if values[bothBase + cell * q + j] > 0 {
                    let both = values[bothBase + cell * q + j]
                    accuracy = values[matchBase + cell * q + j] / both
                    if table.ordinal[j] { error = values[errorBase + cell * q + j] / both }
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
