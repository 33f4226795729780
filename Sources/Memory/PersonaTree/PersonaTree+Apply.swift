extension PersonaTree {
    /// Applies a batch of operations strictly (spec memory.md §B.2.2) and returns one outcome per op,
    /// in the order of `ops`.
    ///
    /// When several ops target the same path only the last is kept; the earlier ones are
    /// `dropped(.supersededInBatch)`. The kept DELETEs run first, then the kept ADD/UPDATEs, each
    /// group in batch order: a delete can only free a path, so running deletes first makes a batch
    /// idempotent even when its paths nest (`DELETE(a.b)` with `ADD(a.b.c, …)`), which strict
    /// in-order application is not. Every write stamps `updatedAt = seq` (the seq of the last
    /// event of the chunk the ops came from).
    @discardableResult
    public mutating func apply(_ ops: [MemoryOp], seq: Int, limits: TreeLimits = TreeLimits()) -> [OpOutcome] {
        var lastIndex: [TreePath: Int] = [:]
        for (i, op) in ops.enumerated() { if let p = op.path { lastIndex[p] = i } }
        var outcomes = [OpOutcome](repeating: .noop, count: ops.count)
        var kept: [Int] = []
        for (i, op) in ops.enumerated() {
            guard let path = op.path else { continue }
            if lastIndex[path] != i {
                outcomes[i] = .dropped(.supersededInBatch)
            } else {
                kept.append(i)
            }
        }
        let deletesFirst =
            kept.filter { if case .delete = ops[$0] { true } else { false } }
            + kept.filter { if case .delete = ops[$0] { false } else { true } }
        for i in deletesFirst {
            if let path = ops[i].path { outcomes[i] = applyOne(ops[i], path: path, seq: seq, limits: limits) }
        }
        return outcomes
    }

    private mutating func applyOne(_ op: MemoryOp, path: TreePath, seq: Int, limits: TreeLimits) -> OpOutcome {
        guard path.keys.count <= limits.maxDepth else { return .rejected(.tooDeep) }
        var value: String?
        if let raw = op.value {
            let trimmed = raw.trimmingWhitespace()
            guard !trimmed.isEmpty else { return .rejected(.emptyValue) }
            guard trimmed.count <= limits.maxValueChars else { return .rejected(.valueTooLong) }
            value = trimmed
        }
        return Self.apply(op, value: value, keys: path.keys[...], depth: 0, node: &root, seq: seq, limits: limits)
    }

    /// Applies `op` below `node` (a branch at `depth`), `keys` being the rest of the path.
    private static func apply(
        _ op: MemoryOp, value: String?, keys: ArraySlice<String>, depth: Int, node: inout TreeNode, seq: Int,
        limits: TreeLimits
    ) -> OpOutcome {
        guard case .branch(let key, var children, let origin) = node, let first = keys.first else {
            return .rejected(.leafHasNoChildren)
        }
        guard let index = children.firstIndex(where: { $0.key == first }) else {
            // `node` is the deepest existing ancestor: growth is allowed below depth 1 only.
            if case .delete = op { return .rejected(.notFound) }
            guard depth >= 1 else { return .rejected(.trunkFixed) }
            let grown = children.filter { $0.origin == .grown }.count
            guard grown < limits.maxNewChildren else { return .rejected(.tooManyChildren) }
            children.append(Self.chain(keys, value: value ?? "", seq: seq))
            node = .branch(key: key, children: children, origin: origin)
            return .created
        }
        if keys.count > 1 {
            guard children[index].isBranch else {
                if case .delete = op { return .rejected(.notFound) }
                return .rejected(.leafHasNoChildren)
            }
            let outcome = apply(
                op, value: value, keys: keys.dropFirst(), depth: depth + 1, node: &children[index], seq: seq,
                limits: limits)
            if outcome == .removed, children[index].origin == .grown, children[index].children.isEmpty {
                children.remove(at: index)  // a grown branch left empty is pruned
            }
            node = .branch(key: key, children: children, origin: origin)
            return outcome
        }
        guard case .leaf(let leafKey, let old, let leafOrigin, let locked, _) = children[index] else {
            return .rejected(.targetIsBranch)
        }
        guard !locked else { return .rejected(.locked) }
        let outcome: OpOutcome
        switch op {
        case .add:
            let v = value ?? ""
            if old.isEmpty {
                children[index] = .leaf(key: leafKey, value: v, origin: leafOrigin, locked: false, updatedAt: seq)
                outcome = .set
            } else if Self.contains(old, v) {
                return .unchanged
            } else {
                let merged = old + "; " + v
                guard merged.count <= limits.maxValueChars else { return .rejected(.valueTooLong) }
                children[index] = .leaf(key: leafKey, value: merged, origin: leafOrigin, locked: false, updatedAt: seq)
                outcome = .appended
            }
        case .update:
            children[index] = .leaf(key: leafKey, value: value ?? "", origin: leafOrigin, locked: false, updatedAt: seq)
            outcome = .set
        case .delete:
            if leafOrigin == .schema {
                children[index] = .leaf(key: leafKey, value: "", origin: .schema, locked: false, updatedAt: seq)
                outcome = .cleared
            } else {
                children.remove(at: index)
                outcome = .removed
            }
        case .noop:
            return .noop
        }
        node = .branch(key: key, children: children, origin: origin)
        return outcome
    }

    /// Grown branches for all but the last key, then a grown leaf.
    private static func chain(_ keys: ArraySlice<String>, value: String, seq: Int) -> TreeNode {
        guard let first = keys.first else { preconditionFailure("empty key chain") }
        if keys.count == 1 { return .leaf(key: first, value: value, origin: .grown, locked: false, updatedAt: seq) }
        return .branch(key: first, children: [chain(keys.dropFirst(), value: value, seq: seq)], origin: .grown)
    }

    /// Whether `value` is already one of the `; `-separated parts of `old` (case-insensitive).
    static func contains(_ old: String, _ value: String) -> Bool {
        let v = value.lowercased()
        return old.lowercased() == v
            || old.split(separator: ";").contains { String($0).trimmingWhitespace().lowercased() == v }
    }
}
