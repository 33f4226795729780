import Foundation
public import Storage

/// A PersonaTree schema or saved tree as a JSON file with ordered children.
///
/// Format: `{"schemaID": "…", "children": [node, …]}` where a node is `{"key": "…", "children":
/// […]}` (a branch) or `{"key": "…"}` (a leaf) with optional `"value"`, `"locked"`, `"origin"`
/// (`schema`/`grown`), `"updatedAt"`, `"seed"` (persona attribute names that fill this leaf) and
/// `"description"` (documentation only). Parsed with the order-keeping `JSONValue.parse`, never
/// into a dictionary.
public struct TreeSchema: Hashable, Sendable {
    /// The tree as written in the file (values empty for a schema).
    public var tree: PersonaTree
    /// Persona attribute names that seed each leaf, in document order.
    public var seedAliases: [(path: TreePath, names: [String])]

    public static func == (lhs: TreeSchema, rhs: TreeSchema) -> Bool {
        lhs.tree == rhs.tree && lhs.seedAliases.map(\.path) == rhs.seedAliases.map(\.path)
            && lhs.seedAliases.map(\.names) == rhs.seedAliases.map(\.names)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(tree) }

    /// Creates a schema from a tree.
    public init(tree: PersonaTree, seedAliases: [(path: TreePath, names: [String])] = []) {
        self.tree = tree
        self.seedAliases = seedAliases
    }

    /// Parses a schema or tree file's text; `file` names it in error messages.
    public static func parse(_ text: String, file: String = "tree.json") throws(MemoryError) -> TreeSchema {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch {
            throw MemoryError(
                .parseFailure, "\(file):\(error.line):\(error.column): \(error.message); fix the JSON syntax",
                underlying: error)
        }
        guard let object = json.objectValue else {
            throw MemoryError(
                .parseFailure, "\(file): the top level must be an object with \"schemaID\" and \"children\"")
        }
        let schemaID = object["schemaID"]?.stringValue ?? "unnamed"
        guard let children = object["children"]?.arrayValue else {
            throw MemoryError(.parseFailure, "\(file): missing \"children\" array at the top level")
        }
        var aliases: [(path: TreePath, names: [String])] = []
        var seen: Set<String> = []
        func node(_ value: JSONValue, _ location: String, _ prefix: [String]) throws(MemoryError) -> TreeNode {
            guard let o = value.objectValue else {
                throw MemoryError(.parseFailure, "\(file): \(location): each node must be an object with a \"key\"")
            }
            guard let key = o["key"]?.stringValue else {
                throw MemoryError(.parseFailure, "\(file): \(location): missing \"key\"")
            }
            guard TreePath.isValidKey(key) else {
                throw MemoryError(
                    .invalidTree,
                    "\(file): \(location): key \"\(key)\" is invalid; keys are non-empty without '.', ',', '(', ')', '\"' or newline"
                )
            }
            let keys = prefix + [key]
            guard seen.insert(keys.joined(separator: ".")).inserted else {
                throw MemoryError(.invalidTree, "\(file): \(location): duplicate key \"\(key)\" under the same branch")
            }
            var origin = Origin.schema
            if let raw = o["origin"]?.stringValue {
                guard let o = Origin(rawValue: raw) else {
                    throw MemoryError(.parseFailure, "\(file): \(location): \"origin\" must be \"schema\" or \"grown\"")
                }
                origin = o
            }
            if let kids = o["children"] {
                guard let array = kids.arrayValue else {
                    throw MemoryError(.parseFailure, "\(file): \(location).children: must be an array")
                }
                var built: [TreeNode] = []
                for (i, child) in array.enumerated() {
                    built.append(try node(child, "\(location).children[\(i)]", keys))
                }
                return .branch(key: key, children: built, origin: origin)
            }
            if let seed = o["seed"]?.arrayValue {
                aliases.append((TreePath(trusted: keys), seed.compactMap(\.stringValue)))
            }
            return .leaf(
                key: key, value: o["value"]?.stringValue ?? "", origin: origin, locked: o["locked"]?.boolValue ?? false,
                updatedAt: Int(o["updatedAt"]?.intValue ?? 0))
        }
        var top: [TreeNode] = []
        for (i, child) in children.enumerated() { top.append(try node(child, "$.children[\(i)]", [])) }
        return TreeSchema(
            tree: PersonaTree(schemaID: schemaID, root: .branch(key: "", children: top, origin: .schema)),
            seedAliases: aliases)
    }

    /// Imports an InsideOut-style object-keyed schema or profile (`{"Category": {"Branch":
    /// {"leaf": "value" or ""}}}`), keeping key order: objects become branches, strings leaves, any
    /// other value a leaf holding its JSON text. Keys with characters paths cannot hold are
    /// rejected with their JSON path.
    public static func importObjectKeyed(_ text: String, schemaID: String, file: String = "schema.json")
        throws(MemoryError) -> TreeSchema
    {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch {
            throw MemoryError(
                .parseFailure, "\(file):\(error.line):\(error.column): \(error.message); fix the JSON syntax",
                underlying: error)
        }
        guard let top = json.objectValue else {
            throw MemoryError(.parseFailure, "\(file): the top level must be an object of categories")
        }
        func nodes(_ object: JSONObject, _ location: String) throws(MemoryError) -> [TreeNode] {
            var out: [TreeNode] = []
            for (key, value) in object {
                guard TreePath.isValidKey(key) else {
                    throw MemoryError(
                        .invalidTree, "\(file): \(location).\(key): key is not usable in a tree path; rename it")
                }
                if let child = value.objectValue {
                    out.append(.branch(key: key, children: try nodes(child, "\(location).\(key)"), origin: .schema))
                } else {
                    let v = value.stringValue ?? (value.isNull ? "" : value.serialized())
                    out.append(.leaf(key: key, value: v, origin: .schema, locked: false, updatedAt: 0))
                }
            }
            return out
        }
        let children = try nodes(top, "$")
        return TreeSchema(
            tree: PersonaTree(schemaID: schemaID, root: .branch(key: "", children: children, origin: .schema)))
    }

    /// Reads a schema or tree file.
    public static func load(_ path: String) throws(MemoryError) -> TreeSchema {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw MemoryError(.fileAccess, "\(path): cannot read the file; check the path", underlying: error)
        }
        return try parse(text, file: path)
    }

    /// Seeds the schema from a persona: each attribute fills the first leaf whose key or `seed`
    /// names match it (case and punctuation ignored) and that leaf is locked; attributes with no
    /// matching leaf become locked grown leaves under the first top-level branch (normally
    /// `identity`); the narrative fills `identity.narrative` when present.
    public func seeded(with persona: PersonaSeed, seq: Int = 0) -> PersonaTree {
        var tree = tree
        func norm(_ s: String) -> String {
            String(s.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) })
        }
        let leafPaths = tree.leaves.map(\.path)
        var fills: [(TreePath, String)] = []
        var extra: [(String, String)] = []
        for attribute in persona.attributes {
            let name = norm(attribute.name)
            let value = attribute.value.trimmingWhitespace()
            guard !value.isEmpty else { continue }
            let byAlias = seedAliases.first { $0.names.contains { norm($0) == name } }?.path
            if let path = byAlias ?? leafPaths.first(where: { norm($0.keys.last ?? "") == name }) {
                fills.append((path, value))
            } else {
                extra.append((attribute.name, value))
            }
        }
        if let narrative = persona.narrative?.trimmingWhitespace(), !narrative.isEmpty {
            if let path = leafPaths.first(where: { $0.keys.last == "narrative" }) {
                fills.append((path, narrative))
            } else {
                extra.append(("narrative", narrative))
            }
        }
        var merged: [TreePath: String] = [:]
        var order: [TreePath] = []
        for (path, value) in fills {
            if let old = merged[path] {
                merged[path] = old + "; " + value
            } else {
                merged[path] = value
                order.append(path)
            }
        }
        for path in order { tree.setLocked(path, value: merged[path] ?? "", seq: seq) }
        if let home = tree.root.children.first(where: \.isBranch)?.key {
            for (name, value) in extra {
                var key = String(
                    name.unicodeScalars.map { ".,()\"\n\r".unicodeScalars.contains($0) ? "_" : Character($0) })
                key = key.trimmingWhitespace()
                if key.isEmpty { continue }
                tree.addLocked(TreePath(trusted: [home, key]), value: value, seq: seq)
            }
        }
        return tree
    }
}

extension PersonaTree {
    /// Sets a leaf's value and locks it (seeding bypasses op limits).
    mutating func setLocked(_ path: TreePath, value: String, seq: Int) {
        func set(_ node: inout TreeNode, _ keys: ArraySlice<String>) {
            guard case .branch(let key, var children, let origin) = node, let first = keys.first,
                let i = children.firstIndex(where: { $0.key == first })
            else { return }
            if keys.count == 1 {
                if case .leaf(let k, _, let o, _, _) = children[i] {
                    children[i] = .leaf(key: k, value: value, origin: o, locked: true, updatedAt: seq)
                }
            } else {
                set(&children[i], keys.dropFirst())
            }
            node = .branch(key: key, children: children, origin: origin)
        }
        set(&root, path.keys[...])
    }

    /// Adds (or fills) a locked leaf directly under an existing top-level branch.
    mutating func addLocked(_ path: TreePath, value: String, seq: Int) {
        guard path.keys.count == 2, case .branch(let rk, var top, let ro) = root,
            let i = top.firstIndex(where: { $0.key == path.keys[0] }),
            case .branch(let key, var children, let origin) = top[i]
        else { return }
        if let j = children.firstIndex(where: { $0.key == path.keys[1] }) {
            guard case .leaf(let k, let old, let o, _, _) = children[j] else { return }
            children[j] = .leaf(
                key: k, value: old.isEmpty ? value : old + "; " + value, origin: o, locked: true, updatedAt: seq)
        } else {
            children.append(.leaf(key: path.keys[1], value: value, origin: .grown, locked: true, updatedAt: seq))
        }
        top[i] = .branch(key: key, children: children, origin: origin)
        root = .branch(key: rk, children: top, origin: ro)
    }

    /// The tree in the file format of ``TreeSchema`` (ordered, with values, locks and origins).
    public var jsonValue: JSONValue {
        func node(_ n: TreeNode) -> JSONValue {
            switch n {
            case .branch(let key, let children, let origin):
                var o = JSONObject([("key", .string(key))])
                if origin == .grown { o["origin"] = "grown" }
                o["children"] = .array(children.map(node))
                return .object(o)
            case .leaf(let key, let value, let origin, let locked, let updatedAt):
                var o = JSONObject([("key", .string(key))])
                if origin == .grown { o["origin"] = "grown" }
                if !value.isEmpty { o["value"] = .string(value) }
                if locked { o["locked"] = true }
                if updatedAt != 0 { o["updatedAt"] = .integer(Int64(updatedAt)) }
                return .object(o)
            }
        }
        return .object(JSONObject([("schemaID", .string(schemaID)), ("children", .array(root.children.map(node)))]))
    }
}

/// A persona as the Memory module needs it: ordered attribute name/value pairs and an optional
/// narrative (the Population module's `Persona` converts to this).
public struct PersonaSeed: Hashable, Codable, Sendable {
    /// One attribute, e.g. `age` = `34`.
    public struct Attribute: Hashable, Codable, Sendable {
        /// The attribute name.
        public var name: String
        /// Its value.
        public var value: String
        /// Creates an attribute.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The attributes, in the persona's order.
    public var attributes: [Attribute]
    /// A free-text description, if any.
    public var narrative: String?

    /// Creates a persona seed.
    public init(attributes: [Attribute], narrative: String? = nil) {
        self.attributes = attributes
        self.narrative = narrative
    }
}
