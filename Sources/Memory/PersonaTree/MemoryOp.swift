/// One operation a MemListener proposes on a PersonaTree.
public enum MemoryOp: Hashable, Sendable, CustomStringConvertible {
    /// Add a value (create the leaf, fill an empty one, or append to a filled one).
    case add(TreePath, String)
    /// Replace a leaf's value (create it when missing).
    case update(TreePath, String)
    /// Clear a schema leaf or remove a grown one.
    case delete(TreePath)
    /// Nothing changes.
    case noop

    /// The target path (nil for `noop`).
    public var path: TreePath? {
        switch self {
        case .add(let p, _), .update(let p, _), .delete(let p): return p
        case .noop: return nil
        }
    }

    /// The wire name: `ADD`, `UPDATE`, `DELETE`, `NO_OP`.
    public var name: String {
        switch self {
        case .add: return "ADD"
        case .update: return "UPDATE"
        case .delete: return "DELETE"
        case .noop: return "NO_OP"
        }
    }

    /// The value, for `add` and `update`.
    public var value: String? {
        switch self {
        case .add(_, let v), .update(_, let v): return v
        case .delete, .noop: return nil
        }
    }

    /// The line-grammar form, e.g. `ADD(a.b, "x")`.
    public var description: String {
        switch self {
        case .add(let p, let v): return "ADD(\(p), \(JSONText.quote(v)))"
        case .update(let p, let v): return "UPDATE(\(p), \(JSONText.quote(v)))"
        case .delete(let p): return "DELETE(\(p))"
        case .noop: return "NO_OP()"
        }
    }
}

extension MemoryOp: Codable {
    enum CodingKeys: String, CodingKey { case op, path, value }

    /// Wire form: `{"op": "ADD|UPDATE|DELETE|NO_OP", "path": "a.b.c", "value": "..."}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .op)
        let pathText = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        let value = try c.decodeIfPresent(String.self, forKey: .value) ?? ""
        do {
            self = try MemoryOp(name: name, path: pathText, value: value)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .op, in: c, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .op)
        try c.encode(path?.description ?? "", forKey: .path)
        try c.encode(value ?? "", forKey: .value)
    }

    /// Builds an op from wire fields; op names are case-insensitive.
    public init(name: String, path: String, value: String) throws(MemoryError) {
        switch OpKeyword(name) {
        case .add: self = .add(try TreePath(path), value)
        case .update: self = .update(try TreePath(path), value)
        case .delete: self = .delete(try TreePath(path))
        case .noop: self = .noop
        case nil:
            throw MemoryError(.parseFailure, "unknown op \"\(name)\"; use ADD, UPDATE, DELETE or NO_OP")
        }
    }
}

enum OpKeyword {
    case add, update, delete, noop
    init?(_ raw: some StringProtocol) {
        switch raw.uppercased() {
        case "ADD": self = .add
        case "UPDATE": self = .update
        case "DELETE": self = .delete
        case "NO_OP", "NOOP", "NO-OP": self = .noop
        default: return nil
        }
    }
}

/// What applying one operation did.
public enum OpOutcome: Hashable, Sendable, CustomStringConvertible {
    /// An empty leaf was filled or a leaf was overwritten.
    case set
    /// A new leaf (and any missing branches) was grown.
    case created
    /// The value was appended to a filled leaf (`old; new`).
    case appended
    /// A schema leaf was emptied.
    case cleared
    /// A grown leaf was removed.
    case removed
    /// Nothing changed (the value was already contained).
    case unchanged
    /// A NO_OP.
    case noop
    /// The op broke a rule and was not applied.
    case rejected(Reason)
    /// The op was not considered (a later op in the batch targets the same path).
    case dropped(Reason)

    /// Why an op was rejected or dropped.
    public enum Reason: String, Hashable, Codable, Sendable, CaseIterable {
        /// A new top-level category was requested.
        case trunkFixed
        /// A child was requested under a leaf.
        case leafHasNoChildren
        /// The target is a branch.
        case targetIsBranch
        /// The target is a locked persona-core leaf.
        case locked
        /// The path is deeper than the limit.
        case tooDeep
        /// The branch already has the maximum number of grown children.
        case tooManyChildren
        /// The value is empty after trimming (use DELETE to clear).
        case emptyValue
        /// The value (or the appended result) is too long.
        case valueTooLong
        /// DELETE of a path that does not exist.
        case notFound
        /// A later op in the same batch targets the same path.
        case supersededInBatch
    }

    /// Whether the tree changed.
    public var changedTree: Bool {
        switch self {
        case .set, .created, .appended, .cleared, .removed: return true
        default: return false
        }
    }

    /// `set`, `rejected(locked)`, …
    public var description: String {
        switch self {
        case .set: return "set"
        case .created: return "created"
        case .appended: return "appended"
        case .cleared: return "cleared"
        case .removed: return "removed"
        case .unchanged: return "unchanged"
        case .noop: return "noop"
        case .rejected(let r): return "rejected(\(r.rawValue))"
        case .dropped(let r): return "dropped(\(r.rawValue))"
        }
    }
}

/// Limits on how a tree may grow.
public struct TreeLimits: Hashable, Codable, Sendable {
    /// The deepest path allowed (top-level categories are depth 1).
    public var maxDepth = 6
    /// How many grown children one branch may hold.
    public var maxNewChildren = 16
    /// The longest value, in characters.
    public var maxValueChars = 300
    /// The default limits.
    public init() {}
}
