/// Where a tree node came from.
public enum Origin: String, Hashable, Codable, Sendable {
    /// Part of the schema: present from the start, never removed.
    case schema
    /// Grown by operations.
    case grown
}

/// A node of a PersonaTree: a branch with ordered children, or a leaf with a value.
public enum TreeNode: Hashable, Codable, Sendable {
    /// A branch; children keep their order.
    case branch(key: String, children: [TreeNode], origin: Origin)
    /// A leaf; `updatedAt` is the log seq of the last write; `locked` leaves are persona-core facts.
    case leaf(key: String, value: String, origin: Origin, locked: Bool, updatedAt: Int)

    /// The node's key.
    public var key: String {
        switch self {
        case .branch(let key, _, _), .leaf(let key, _, _, _, _): return key
        }
    }

    /// The node's origin.
    public var origin: Origin {
        switch self {
        case .branch(_, _, let origin), .leaf(_, _, let origin, _, _): return origin
        }
    }

    /// Whether this is a branch.
    public var isBranch: Bool {
        if case .branch = self { return true }
        return false
    }

    /// A branch's children (empty for a leaf).
    public var children: [TreeNode] {
        if case .branch(_, let children, _) = self { return children }
        return []
    }

    /// A leaf's value (nil for a branch).
    public var value: String? {
        if case .leaf(_, let value, _, _, _) = self { return value }
        return nil
    }

    /// Whether this is a locked leaf.
    public var isLocked: Bool {
        if case .leaf(_, _, _, let locked, _) = self { return locked }
        return false
    }

    /// A leaf's last write seq (0 for branches).
    public var updatedAt: Int {
        if case .leaf(_, _, _, _, let updatedAt) = self { return updatedAt }
        return 0
    }

    enum CodingKeys: String, CodingKey {
        case key, children, origin, value, locked, updatedAt
    }

    /// Wire form: `{"key", "children": […]}` for branches, `{"key", "value", "locked", "updatedAt"}`
    /// for leaves, both with `"origin"`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let key = try c.decode(String.self, forKey: .key)
        let origin = try c.decodeIfPresent(Origin.self, forKey: .origin) ?? .schema
        if let children = try c.decodeIfPresent([TreeNode].self, forKey: .children) {
            self = .branch(key: key, children: children, origin: origin)
        } else {
            self = .leaf(
                key: key, value: try c.decodeIfPresent(String.self, forKey: .value) ?? "", origin: origin,
                locked: try c.decodeIfPresent(Bool.self, forKey: .locked) ?? false,
                updatedAt: try c.decodeIfPresent(Int.self, forKey: .updatedAt) ?? 0)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .branch(let key, let children, let origin):
            try c.encode(key, forKey: .key)
            try c.encode(origin, forKey: .origin)
            try c.encode(children, forKey: .children)
        case .leaf(let key, let value, let origin, let locked, let updatedAt):
            try c.encode(key, forKey: .key)
            try c.encode(origin, forKey: .origin)
            try c.encode(value, forKey: .value)
            try c.encode(locked, forKey: .locked)
            try c.encode(updatedAt, forKey: .updatedAt)
        }
    }
}

/// An agent's long-term memory about itself: a schema trunk plus grown leaves (spec memory.md §B.2).
public struct PersonaTree: Hashable, Codable, Sendable {
    /// The schema this tree was built from.
    public let schemaID: String
    /// The root branch (key `""`); its children are the top-level categories.
    public var root: TreeNode

    /// Creates a tree.
    public init(schemaID: String, root: TreeNode) {
        self.schemaID = schemaID
        self.root = root
    }

    /// The node at `path`, if any.
    public func node(at path: TreePath) -> TreeNode? {
        var node = root
        for key in path.keys {
            guard let child = node.children.first(where: { $0.key == key }) else { return nil }
            node = child
        }
        return node
    }

    /// A leaf with its path.
    public struct LeafEntry: Hashable, Sendable {
        /// Where it is.
        public let path: TreePath
        /// Its value.
        public let value: String
        /// Its origin.
        public let origin: Origin
        /// Whether it is locked.
        public let locked: Bool
        /// The seq of its last write.
        public let updatedAt: Int
    }

    /// Every leaf in document (schema) order.
    public var leaves: [LeafEntry] {
        var out: [LeafEntry] = []
        func walk(_ node: TreeNode, _ prefix: [String]) {
            for child in node.children {
                let keys = prefix + [child.key]
                switch child {
                case .branch: walk(child, keys)
                case .leaf(_, let value, let origin, let locked, let updatedAt):
                    out.append(
                        LeafEntry(
                            path: TreePath(trusted: keys), value: value, origin: origin, locked: locked,
                            updatedAt: updatedAt))
                }
            }
        }
        walk(root, [])
        return out
    }

    /// The paths of every schema branch, in document order (the trunk).
    public var trunk: [TreePath] {
        var out: [TreePath] = []
        func walk(_ node: TreeNode, _ prefix: [String]) {
            for child in node.children where child.isBranch {
                let keys = prefix + [child.key]
                if child.origin == .schema { out.append(TreePath(trusted: keys)) }
                walk(child, keys)
            }
        }
        walk(root, [])
        return out
    }
}
