/// How a PersonaTree is written into a prompt.
public enum TreeRenderFormat: String, Hashable, Codable, Sendable, CaseIterable {
    /// JSON with 2-space indent, keys in schema order (faithful).
    case json
    /// One leaf per line: `category > branch > leaf: value` (fewer tokens).
    case outline
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
    /// document order), then schema leaves the same way; locked leaves are never dropped.
    public func render(
        _ format: TreeRenderFormat, budget: Int? = nil, tokens counter: TokenCounter = .charsOver4
    ) -> TreeRender {
        let full = pruned()
        let text = full.renderText(format)
        let size = counter(text)
        guard let budget, size > budget else {
            return TreeRender(text: text, tokens: size, droppedLeaves: 0, withinBudget: budget.map { size <= $0 } ?? true)
        }
        // Drop order: (grown before schema, older first, document order).
        let leaves = full.leaves.enumerated().filter { !$0.element.locked }
        let order = leaves.sorted { a, b in
            let ga = a.element.origin == .grown ? 0 : 1
            let gb = b.element.origin == .grown ? 0 : 1
            if ga != gb { return ga < gb }
            if a.element.updatedAt != b.element.updatedAt { return a.element.updatedAt < b.element.updatedAt }
            return a.offset < b.offset
        }.map(\.element.path)
        // Rendered size only shrinks as more leaves are dropped, so binary-search the fewest drops.
        func attempt(_ k: Int) -> (String, Int) {
            let dropped = Set(order.prefix(k))
            let t = full.removingLeaves(dropped).pruned().renderText(format)
            return (t, counter(t))
        }
        var lo = 1
        var hi = order.count
        var best = attempt(order.count)
        if best.1 > budget {
            return TreeRender(text: best.0, tokens: best.1, droppedLeaves: order.count, withinBudget: false)
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
        return TreeRender(text: best.0, tokens: best.1, droppedLeaves: hi, withinBudget: true)
    }

    func removingLeaves(_ paths: Set<TreePath>) -> PersonaTree {
        guard !paths.isEmpty else { return self }
        func strip(_ node: TreeNode, _ prefix: [String]) -> TreeNode {
            guard case .branch(let key, let children, let origin) = node else { return node }
            var kept: [TreeNode] = []
            for child in children {
                let keys = prefix + [child.key]
                if !child.isBranch && paths.contains(TreePath(trusted: keys)) { continue }
                kept.append(strip(child, keys))
            }
            return .branch(key: key, children: kept, origin: origin)
        }
        return PersonaTree(schemaID: schemaID, root: strip(root, []))
    }

    /// Renders every node as it is (no pruning, no budget).
    func renderText(_ format: TreeRenderFormat) -> String {
        switch format {
        case .json:
            var out = ""
            func write(_ node: TreeNode, indent: Int) {
                let children = node.children
                if children.isEmpty {
                    out += "{}"
                    return
                }
                out += "{\n"
                for (i, child) in children.enumerated() {
                    out += String(repeating: " ", count: indent + 2) + JSONText.quote(child.key) + ": "
                    if let value = child.value { out += JSONText.quote(value) } else { write(child, indent: indent + 2) }
                    out += i == children.count - 1 ? "\n" : ",\n"
                }
                out += String(repeating: " ", count: indent) + "}"
            }
            write(root, indent: 0)
            return out
        case .outline:
            var lines: [String] = []
            for leaf in leaves {
                let value = leaf.value.replacingNewlines()
                lines.append(leaf.path.keys.joined(separator: " > ") + ": " + value)
            }
            return lines.joined(separator: "\n")
        }
    }

    /// The full tree for the MemListener, empty slots included: one `path: "value"` line per leaf
    /// (`[locked]` marks persona-core facts) and one `path.*` line per branch without children.
    public func listenerView() -> String {
        var lines: [String] = []
        func walk(_ node: TreeNode, _ prefix: [String]) {
            for child in node.children {
                let keys = prefix + [child.key]
                let path = keys.joined(separator: ".")
                switch child {
                case .branch(_, let children, _):
                    if children.isEmpty { lines.append("\(path).*: (empty; add leaves here)") }
                    walk(child, keys)
                case .leaf(_, let value, _, let locked, _):
                    lines.append("\(path): \(JSONText.quote(value))\(locked ? " [locked]" : "")")
                }
            }
        }
        walk(root, [])
        return lines.joined(separator: "\n")
    }
}

extension String {
    func replacingNewlines() -> String {
        guard contains("\n") || contains("\r") else { return self }
        return String(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}
