/// How a PersonaTree is written into a prompt.
public enum TreeRenderFormat: String, Hashable, Codable, Sendable, CaseIterable {
    /// JSON with 2-space indent, keys in schema order (faithful).
    case json
    /// One leaf per line: `category > branch > leaf: value` (fewer tokens).
    case outline
}

/// Which leaves a render shows.
public enum TreeRenderScope: String, Hashable, Codable, Sendable, CaseIterable {
    /// Every filled leaf, locked persona-core leaves included.
    case all
    /// Only what was learned: filled leaves that are not locked. Use it when the persona core is
    /// already in the prompt (an agent's persona text), so the core is not rendered twice.
    case learned
}

/// A rendered tree and what the budget cost.
public struct TreeRender: Hashable, Sendable {
    /// The rendered text.
    public let text: String
    /// Its size in tokens, by the counter used.
    public let tokens: Int
    /// How many filled leaves were dropped to fit the budget.
    public let droppedLeaves: Int
    /// Whether the render fits the budget (false only when the locked leaves alone exceed it).
    public let withinBudget: Bool
    /// The paths of the dropped leaves, in the order they were dropped (spec memory.md §B.2.5:
    /// grown leaves oldest first, then schema leaves oldest first).
    public let droppedPaths: [TreePath]
    /// How many leaves the render shows.
    public let shownLeaves: Int

    init(
        text: String, tokens: Int, droppedLeaves: Int, withinBudget: Bool, droppedPaths: [TreePath] = [],
        shownLeaves: Int = 0
    ) {
        self.text = text
        self.tokens = tokens
        self.droppedLeaves = droppedLeaves
        self.withinBudget = withinBudget
        self.droppedPaths = droppedPaths
        self.shownLeaves = shownLeaves
    }
}

/// Counts tokens; the default is the fixed estimate `ceil(UTF-8 bytes / 4)`, recorded in runs.
public struct TokenCounter: Sendable {
    /// A short name for run records, e.g. `chars/4`.
    public let name: String
    let count: @Sendable (String) -> Int

    /// Creates a counter from a tokeniser.
    public init(name: String, count: @escaping @Sendable (String) -> Int) {
        self.name = name
        self.count = count
    }

    /// Counts the tokens of `text`.
    public func callAsFunction(_ text: String) -> Int { count(text) }

    /// `ceil(UTF-8 bytes / 4)`.
    public static let charsOver4 = TokenCounter(name: "chars/4") { ($0.utf8.count + 3) / 4 }
}

extension PersonaTree {
    /// The tree without empty leaves and without branches left with no filled leaf.
    public func pruned() -> PersonaTree {
        func prune(_ node: TreeNode) -> TreeNode? {
            switch node {
            case .leaf(_, let value, _, _, _):
                return value.isEmpty ? nil : node
            case .branch(let key, let children, let origin):
                let kept = children.compactMap(prune)
                return kept.isEmpty ? nil : .branch(key: key, children: kept, origin: origin)
            }
        }
        let children = root.children.compactMap(prune)
        return PersonaTree(schemaID: schemaID, root: .branch(key: root.key, children: children, origin: root.origin))
    }

    /// Renders the pruned tree deterministically in schema order, within `budget` tokens if given.
    ///
    /// Over budget, filled leaves are dropped: grown leaves first, oldest `updatedAt` first (ties in
    /// document order), then schema leaves the same way; locked leaves are never dropped. With
    /// `scope` ``TreeRenderScope/learned`` locked leaves are not shown at all, so the whole budget
    /// goes to learned leaves.
    public func render(
        _ format: TreeRenderFormat, budget: Int? = nil, tokens counter: TokenCounter = .charsOver4,
        scope: TreeRenderScope = .all
    ) -> TreeRender {
        let full = pruned()
        let leaves = full.leaves
        let base = leaves.map { scope == .all || !$0.locked }
        let shown = base.filter { $0 }.count
        if shown == 0 {
            return TreeRender(text: "", tokens: 0, droppedLeaves: 0, withinBudget: true)
        }
        let text = full.renderText(format, keep: scope == .all ? nil : base)
        let size = counter(text)
        guard let budget, size > budget else {
            return TreeRender(
                text: text, tokens: size, droppedLeaves: 0, withinBudget: budget.map { size <= $0 } ?? true,
                shownLeaves: shown)
        }
        // Drop order: grown before schema, older first, document order; locked leaves never.
        let keys = leaves.enumerated().compactMap { i, leaf in
            leaf.locked ? nil : (rank: leaf.origin == .grown ? 0 : 1, updatedAt: leaf.updatedAt, index: i)
        }
        let order = keys.sorted { a, b in
            if a.rank != b.rank { return a.rank < b.rank }
            if a.updatedAt != b.updatedAt { return a.updatedAt < b.updatedAt }
            return a.index < b.index
        }.map(\.index)
        // The rendered size only shrinks as more leaves are dropped: binary-search the fewest drops.
        func attempt(_ k: Int) -> (String, Int) {
            var keep = base
            for i in order.prefix(k) { keep[i] = false }
            let t = keep.contains(true) ? full.renderText(format, keep: keep) : ""
            return (t, counter(t))
        }
        func dropped(_ k: Int) -> [TreePath] { order.prefix(k).map { leaves[$0].path } }
        var lo = 1
        var hi = order.count
        var best = attempt(order.count)
        if best.1 > budget {
            return TreeRender(
                text: best.0, tokens: best.1, droppedLeaves: order.count, withinBudget: false,
                droppedPaths: dropped(order.count), shownLeaves: shown - order.count)
        }
        while lo < hi {
            let mid = (lo + hi) / 2
            let r = attempt(mid)
            if r.1 <= budget {
                hi = mid
                best = r
            } else {
                lo = mid + 1
            }
        }
        return TreeRender(
            text: best.0, tokens: best.1, droppedLeaves: hi, withinBudget: true, droppedPaths: dropped(hi),
            shownLeaves: shown - hi)
    }

    /// Renders the tree, skipping leaves whose document-order index is false in `keep` and
    /// branches left without leaves (no budget logic).
    func renderText(_ format: TreeRenderFormat, keep: [Bool]? = nil) -> String {
        var index = 0
        /// Whether a subtree still has a kept leaf, advancing `index` over its leaves.
        func hasKept(_ node: TreeNode, from start: Int) -> (Bool, Int) {
            var i = start
            var any = false
            for child in node.children {
                if child.isBranch {
                    let (k, next) = hasKept(child, from: i)
                    any = any || k
                    i = next
                } else {
                    if keep?[i] ?? true { any = true }
                    i += 1
                }
            }
            return (any, i)
        }
        var out = ""
        switch format {
        case .json:
            func write(_ node: TreeNode, indent: Int) {
                var items: [(TreeNode, Int)] = []  // kept children with their first leaf index
                for child in node.children {
                    if child.isBranch {
                        let (k, next) = hasKept(child, from: index)
                        if k { items.append((child, index)) }
                        index = next
                    } else {
                        if keep?[index] ?? true { items.append((child, index)) }
                        index += 1
                    }
                }
                if items.isEmpty {
                    out += "{}"
                    return
                }
                out += "{\n"
                let pad = String(repeating: " ", count: indent + 2)
                for (n, (child, first)) in items.enumerated() {
                    out += pad + JSONText.quote(child.key) + ": "
                    if let value = child.value {
                        out += JSONText.quote(value)
                    } else {
                        let saved = index
                        index = first
                        write(child, indent: indent + 2)
                        index = saved
                    }
                    out += n == items.count - 1 ? "\n" : ",\n"
                }
                out += String(repeating: " ", count: indent) + "}"
            }
            write(root, indent: 0)
            return out
        case .outline:
            var first = true
            func walk(_ node: TreeNode, _ prefix: String) {
                for child in node.children {
                    let label = prefix.isEmpty ? child.key : prefix + " > " + child.key
                    if child.isBranch {
                        walk(child, label)
                    } else {
                        if keep?[index] ?? true {
                            if !first { out += "\n" }
                            first = false
                            out += label + ": " + (child.value ?? "").replacingNewlines()
                        }
                        index += 1
                    }
                }
            }
            walk(root, "")
            return out
        }
    }

    /// The MemListener's view of the tree, one `path: "value"` line per leaf, in three groups: the
    /// locked persona core, the filled leaves (oldest update first, so a new fact is appended at
    /// the end and the request keeps its prefix for provider caching), then the empty leaves and
    /// the empty branches a listener may add leaves to.
    public func listenerView() -> String {
        var locked: [String] = []
        var filled: [(updatedAt: Int, index: Int, line: String)] = []
        var empty: [String] = []
        func walk(_ node: TreeNode, _ prefix: [String]) {
            for child in node.children {
                let keys = prefix + [child.key]
                let path = keys.joined(separator: ".")
                switch child {
                case .branch(_, let children, _):
                    if children.isEmpty { empty.append("\(path).*: (empty; add leaves here)") }
                    walk(child, keys)
                case .leaf(_, let value, _, let isLocked, let updatedAt):
                    let line = "\(path): \(JSONText.quote(value))"
                    if isLocked {
                        locked.append(line + " [locked]")
                    } else if value.isEmpty {
                        empty.append(line)
                    } else {
                        filled.append((updatedAt, filled.count, line))
                    }
                }
            }
        }
        walk(root, [])
        let learned = filled.sorted { ($0.updatedAt, $0.index) < ($1.updatedAt, $1.index) }.map(\.line)
        var sections: [String] = []
        if !locked.isEmpty { sections.append("Persona core (locked):\n" + locked.joined(separator: "\n")) }
        if !learned.isEmpty { sections.append("Filled so far (oldest first):\n" + learned.joined(separator: "\n")) }
        if !empty.isEmpty { sections.append("Empty:\n" + empty.joined(separator: "\n")) }
        return sections.joined(separator: "\n")
    }
}

extension String {
    func replacingNewlines() -> String {
        guard utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return self }
        return String(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}
