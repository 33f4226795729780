import Storage

/// Why an attempt at a slot was rejected.
enum RejectReason: String, Sendable, CaseIterable {
    case conflict, hardRule, duplicateHash, nearDuplicate, binInfeasible
}

/// Samples one slot's attributes: quota attributes from the cell, then progressive conditional fill with
/// forward checking and backjumping (spec §9.6). One instance per worker; reuses its scratch buffers.
struct SlotSampler {
    let program: SamplingProgram
    let table: AttributeTable
    let plan: QuotaPlan
    let seed: UInt64
    var values: Assignment
    private var weights: [Double] = []
    private var failing: [Int] = []
    private var excluded: [Int64]

    init(program: SamplingProgram, plan: QuotaPlan, seed: UInt64) {
        self.program = program
        self.table = program.table
        self.plan = plan
        self.seed = seed
        values = Assignment(count: program.attributeCount)
        excluded = [Int64](repeating: -1, count: program.attributeCount)
        weights.reserveCapacity(64)
    }

    static func stream(seed: UInt64, slot: Int, attempt: Int) -> RandomStream {
        let base = RandomStream.slot(seed: seed, UInt64(slot))
        return attempt == 0 ? base : base.substream("attempt-\(attempt)")
    }

    /// Fills `values` for one attempt; returns nil on success or the reason of failure.
    mutating func sample(slot: Int, cell: Int, attempt: Int, depthMask: UInt64) -> RejectReason? {
        var stream = Self.stream(seed: seed, slot: slot, attempt: attempt)
        let count = program.attributeCount
        for a in 0..<count {
            values.states[a] = Assignment.unassigned
            excluded[a] = -1
        }
        let categories = plan.categories(ofCell: cell)
        for (d, dimension) in plan.dimensions.enumerated() {
            values.codes[dimension.attribute] = Int64(categories[d])
            values.states[dimension.attribute] =
                dimension.binned ? Assignment.binned : Assignment.assigned
        }
        for dimension in plan.dimensions where dimension.binned {
            guard drawWithinBin(dimension.attribute, &stream) else { return .binInfeasible }
        }
        var position = 0
        var backjumps = 0
        let order = program.fillOrder
        while position < order.count {
            let attribute = order[position]
            if draw(attribute, depthMask: depthMask, &stream) {
                position += 1
                continue
            }
            // Conflict: backjump to the most recent non-quota attribute read by a failing rule.
            guard backjumps < 8 else { return .conflict }
            backjumps += 1
            var target = -1
            for rule in failing {
                for dependency in program.hardRules[rule].dependencies {
                    let p = program.fillPosition[dependency]
                    if p >= 0 && p < position && p > target { target = p }
                }
            }
            guard target >= 0 else { return .conflict }
            let jumpAttribute = order[target]
            let previous = values.codes[jumpAttribute]
            for p in target...position {
                values.states[order[p]] = Assignment.unassigned
                excluded[order[p]] = -1
            }
            if table.kinds[jumpAttribute].isCategorical { excluded[jumpAttribute] = previous }
            position = target
        }
        for a in 0..<count where values.states[a] == Assignment.unassigned { values.states[a] = Assignment.disabled }
        for rule in program.hardRules where !rule.holds(program.schema, values) { return .hardRule }
        return nil
    }

    /// Soft-rule violations of the current values (rule ids, declared order).
    func softViolations() -> [String] {
        program.softRules.filter { !$0.holds(program.schema, values) }.map(\.rule.id)
    }

    /// Whether setting `attribute` to `code` keeps every relevant hard rule possible; records failing rules.
    @inline(__always)
    private mutating func feasible(_ attribute: Int, _ code: Int64) -> Bool {
        values.codes[attribute] = code
        values.states[attribute] = Assignment.assigned
        for rule in program.hardByAttribute[attribute]
        where program.hardRules[rule].truth(program.schema, values) == .false {
            if !failing.contains(rule) { failing.append(rule) }
            return false
        }
        return true
    }

    private mutating func drawWithinBin(_ attribute: Int, _ stream: inout RandomStream) -> Bool {
        let bin = Int(values.codes[attribute])
        let binLo = table.binLow[attribute][bin]
        let binHi = table.binHigh[attribute][bin]
        failing.removeAll(keepingCapacity: true)
        if table.kinds[attribute] == .int {
            let lo = Int(binLo.rounded(.up))
            let hi = Int(binHi.rounded(.down))
            guard lo <= hi else { return false }
            for _ in 0..<8 {
                let candidate = Int64(stream.nextInt(in: lo...hi))
                if feasible(attribute, candidate) { return true }
            }
            var options: [Int64] = []
            for value in lo...hi where feasible(attribute, Int64(value)) { options.append(Int64(value)) }
            guard !options.isEmpty else { return false }
            let choice = options[Int(stream.nextInt(below: UInt64(options.count)))]
            values.set(attribute, choice)
            return true
        }
        for _ in 0..<32 {
            let value = roundTo(binLo + stream.nextDouble() * (binHi - binLo), table.precision[attribute])
            if feasible(attribute, Int64(bitPattern: value.bitPattern)) { return true }
        }
        return false
    }

    private func roundTo(_ value: Double, _ precision: Int) -> Double {
        var scale = 1.0
        for _ in 0..<max(0, min(precision, 12)) { scale *= 10 }
        return (value * scale).rounded() / scale
    }

    /// The prior weights of a categorical, set or binned attribute given its parents.
    private func priorWeights(_ attribute: Int, into weights: inout [Double]) {
        weights.removeAll(keepingCapacity: true)
        guard let conditional = table.conditional[attribute] else {
            weights.append(contentsOf: table.fixedWeights[attribute])
            return
        }
        var key = 0
        var known = true
        for (position, parent) in conditional.parents.enumerated() {
            guard values.states[parent] == Assignment.assigned else {
                known = false
                break
            }
            key = key * conditional.radix[position] + table.category(parent, code: values.codes[parent])
        }
        weights.append(contentsOf: (known ? conditional.rows[key] : nil) ?? conditional.defaultRow)
    }

    /// Draws one non-quota attribute (or disables it). Returns false on an empty domain.
    private mutating func draw(_ attribute: Int, depthMask: UInt64, _ stream: inout RandomStream) -> Bool {
        let kind = table.kinds[attribute]
        let group = table.groups[attribute]
        if group >= 0, depthMask & (1 << UInt64(group)) == 0 {
            values.states[attribute] = Assignment.disabled
            return true
        }
        if let condition = program.enabledIf[attribute], program.schema.truth(condition, values) != .true {
            values.states[attribute] = Assignment.disabled
            return true
        }
        failing.removeAll(keepingCapacity: true)
        var local = weights
        weights = []
        defer { weights = local }
        priorWeights(attribute, into: &local)
        switch kind {
        case .enumeration, .ordinal, .bool:
            let mask = program.unaryMask[attribute]
            let check = !program.hardByAttribute[attribute].isEmpty
            let excludedCode = excluded[attribute]
            for value in local.indices where local[value] > 0 {
                if let mask, !mask[value] {
                    local[value] = 0
                } else if Int64(value) == excludedCode {
                    local[value] = 0
                } else if check && !feasible(attribute, Int64(value)) {
                    local[value] = 0
                }
            }
            guard let choice = stream.pickIndex(weights: local) else {
                values.states[attribute] = Assignment.unassigned
                return false
            }
            values.set(attribute, Int64(choice))
            return true
        case .int, .double:
            let rangeLo = table.rangeLow[attribute]
            let rangeHi = table.rangeHigh[attribute]
            let binned = !table.binLow[attribute].isEmpty
            for _ in 0..<16 {
                var lo = rangeLo
                var hi = rangeHi
                if binned {
                    guard let bin = stream.pickIndex(weights: local) else { break }
                    lo = table.binLow[attribute][bin]
                    hi = table.binHigh[attribute][bin]
                }
                let code: Int64
                if kind == .int {
                    code = Int64(stream.nextInt(in: Int(lo.rounded(.up))...Int(hi.rounded(.down))))
                } else {
                    code = Int64(
                        bitPattern: roundTo(lo + stream.nextDouble() * (hi - lo), table.precision[attribute]).bitPattern
                    )
                }
                if feasible(attribute, code) { return true }
            }
            if kind == .int, rangeHi - rangeLo <= 2000 {
                var options: [Int64] = []
                var optionWeights: [Double] = []
                for value in Int(rangeLo.rounded(.up))...Int(rangeHi.rounded(.down)) {
                    let weight = binned ? local[table.category(attribute, number: Double(value))] : 1
                    if weight > 0, feasible(attribute, Int64(value)) {
                        options.append(Int64(value))
                        optionWeights.append(weight)
                    }
                }
                if let choice = stream.pickIndex(weights: optionWeights) {
                    values.set(attribute, options[choice])
                    return true
                }
            }
            values.states[attribute] = Assignment.unassigned
            return false
        case .set:
            for _ in 0..<16 {
                let size = stream.nextInt(in: table.minCount[attribute]...table.maxCount[attribute])
                var available = local
                var members: Int64 = 0
                var chosen = 0
                while chosen < size, let pick = stream.pickIndex(weights: available) {
                    members |= 1 << Int64(pick)
                    available[pick] = 0
                    chosen += 1
                }
                if chosen < size { continue }
                if feasible(attribute, members) { return true }
            }
            values.states[attribute] = Assignment.unassigned
            return false
        case .text:
            values.states[attribute] = Assignment.disabled
            return true
        }
    }
}
