/// A path of keys from the root of a PersonaTree, written `a.b.c`.
public struct TreePath: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The keys, top-level category first.
    public let keys: [String]

    /// Creates a path from keys; each must be non-empty and free of `.`, `,`, `(`, `)`, `"` and newlines.
    public init(keys: [String]) throws(MemoryError) {
        guard !keys.isEmpty else { throw MemoryError(.invalidTree, "a tree path needs at least one key") }
        for key in keys where !TreePath.isValidKey(key) {
            throw MemoryError(
                .invalidTree,
                "tree key \"\(key)\" is invalid: keys are non-empty and contain no '.', ',', '(', ')', '\"' or newline")
        }
        self.keys = keys
    }

    /// Parses a dotted path such as `preferences.food.favourite`; spaces around keys are ignored.
    public init(_ dotted: String) throws(MemoryError) {
        let keys = dotted.split(separator: ".", omittingEmptySubsequences: false).map {
            String($0).trimmingWhitespace()
        }
        guard !keys.contains(where: \.isEmpty) else {
            throw MemoryError(
                .invalidTree, "tree path \"\(dotted)\" has an empty key; write keys separated by single dots")
        }
        try self.init(keys: keys)
    }

    /// Whether `key` may be used in a path.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && !key.unicodeScalars.contains { ".,()\"\n\r".unicodeScalars.contains($0) }
    }

    /// The path one level up, or nil at depth 1.
    public var parent: TreePath? { keys.count > 1 ? TreePath(trusted: Array(keys.dropLast())) : nil }

    /// The path extended by `key` (which must be valid).
    public func appending(_ key: String) -> TreePath { TreePath(trusted: keys + [key]) }

    init(trusted keys: [String]) { self.keys = keys }

    public var description: String { keys.joined(separator: ".") }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
