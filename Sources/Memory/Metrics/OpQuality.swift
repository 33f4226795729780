/// The op-quality score of predicted MemListener ops against gold ops (spec memory.md §B.3), a
/// deterministic version of InsideOut's reward.
public struct OpQualityScore: Hashable, Sendable {
    /// The score in [-1, 1].
    public let score: Double
    /// Exact matches / predicted ops (1 when both are empty).
    public let precision: Double
    /// Exact matches / gold ops (1 when gold is empty).
    public let recall: Double
    /// The harmonic mean of precision and recall.
    public let f1: Double
    /// Same type and path, equal normalised value (or both DELETE).
    public let exact: Int
    /// Same type and path, different value.
    public let partial: Int
    /// Same path, other type.
    public let wrong: Int
    /// Gold ops with no predicted op on their path.
    public let missing: Int
    /// Predicted ops matched to no gold op.
    public let extra: Int

    /// Scores `predicted` against `gold`; NO_OPs in either list are ignored, and a gold list with
    /// no real op scores 1 for an empty prediction and -1 otherwise.
    public static func score(predicted: [MemoryOp], gold: [MemoryOp]) -> OpQualityScore {
        let g = gold.filter { $0 != .noop }
        let p = predicted.filter { $0 != .noop }
        if g.isEmpty {
            let ok = p.isEmpty
            return OpQualityScore(
                score: ok ? 1 : -1, precision: ok ? 1 : 0, recall: 1, f1: ok ? 1 : 0, exact: 0, partial: 0, wrong: 0,
                missing: 0, extra: p.count)
        }
        var used = [Bool](repeating: false, count: p.count)
        var items: [Double] = []
        var exact = 0
        var partial = 0
        var wrong = 0
        var missing = 0
        for op in g {
            guard let j = p.indices.first(where: { !used[$0] && p[$0].path == op.path }) else {
                items.append(-0.5)
                missing += 1
                continue
            }
            used[j] = true
            let q = p[j]
            if q.name == op.name {
                let same = op.value.map(normalise) == q.value.map(normalise)
                if same {
                    items.append(1)
                    exact += 1
                } else {
                    items.append(0.5)
                    partial += 1
                }
            } else {
                items.append(-1)
                wrong += 1
            }
        }
        let extra = used.filter { !$0 }.count
        if extra > 0 { items.append(max(-1, -Double(extra) / Double(max(g.count, 1)))) }
        let mean = items.reduce(0, +) / Double(items.count)
        let precision = p.isEmpty ? 0 : Double(exact) / Double(p.count)
        let recall = Double(exact) / Double(g.count)
        let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        return OpQualityScore(
            score: min(1, max(-1, mean)), precision: precision, recall: recall, f1: f1, exact: exact, partial: partial,
            wrong: wrong, missing: missing, extra: extra)
    }

    static func normalise(_ value: String) -> String {
        ConversationMetrics.tokens(value).joined(separator: " ")
    }
}

/// Health signals of a PersonaTree and its MemListener (spec memory.md §B.3).
public struct TreeHealth: Hashable, Sendable {
    /// Filled and total leaves of one top-level category.
    public struct Category: Hashable, Sendable {
        /// The category key.
        public let key: String
        /// Leaves with a value.
        public let filled: Int
        /// All leaves.
        public let total: Int
    }

    /// Per category, in schema order.
    public let categories: [Category]
    /// Leaves with a value.
    public let filledLeaves: Int
    /// All leaves.
    public let totalLeaves: Int
    /// Mean length of filled values, in characters.
    public let meanValueLength: Double
    /// Rejected (and dropped) ops per reason, in the order of ``OpOutcome/Reason``; zero counts omitted.
    public let rejectedByReason: [(reason: OpOutcome.Reason, count: Int)]
    /// Tree tokens / visible-history tokens (nil without a history size).
    public let compressionRatio: Double?

    public static func == (a: TreeHealth, b: TreeHealth) -> Bool {
        a.categories == b.categories && a.filledLeaves == b.filledLeaves && a.totalLeaves == b.totalLeaves
            && a.meanValueLength == b.meanValueLength && a.compressionRatio == b.compressionRatio
            && a.rejectedByReason.map(\.reason) == b.rejectedByReason.map(\.reason)
            && a.rejectedByReason.map(\.count) == b.rejectedByReason.map(\.count)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(filledLeaves)
        hasher.combine(totalLeaves)
    }

    /// Measures a tree and the outcomes of the ops applied to it; `historyTokens` is the size of
    /// the viewer's visible history for the compression ratio.
    public static func measure(
        _ tree: PersonaTree, outcomes: [OpOutcome] = [], historyTokens: Int? = nil,
        tokens counter: TokenCounter = .charsOver4
    ) -> TreeHealth {
        let leaves = tree.leaves
        var categories: [Category] = []
        for top in tree.root.children {
            let mine = leaves.filter { $0.path.keys.first == top.key }
            categories.append(
                Category(key: top.key, filled: mine.filter { !$0.value.isEmpty }.count, total: mine.count))
        }
        let filled = leaves.filter { !$0.value.isEmpty }
        let meanLength =
            filled.isEmpty ? 0 : Double(filled.map(\.value.count).reduce(0, +)) / Double(filled.count)
        var rejected: [(reason: OpOutcome.Reason, count: Int)] = []
        for reason in OpOutcome.Reason.allCases {
            let n = outcomes.filter { $0 == .rejected(reason) || $0 == .dropped(reason) }.count
            if n > 0 { rejected.append((reason, n)) }
        }
        var ratio: Double?
        if let historyTokens, historyTokens > 0 {
            ratio = Double(tree.render(.outline, tokens: counter).tokens) / Double(historyTokens)
        }
        return TreeHealth(
            categories: categories, filledLeaves: filled.count, totalLeaves: leaves.count, meanValueLength: meanLength,
            rejectedByReason: rejected, compressionRatio: ratio)
    }

    /// Filled leaves gained from `before` to `after` (growth per session).
    public static func growth(from before: PersonaTree, to after: PersonaTree) -> Int {
        after.leaves.filter { !$0.value.isEmpty }.count - before.leaves.filter { !$0.value.isEmpty }.count
    }
}
