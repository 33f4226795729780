/// A JSON object whose keys keep their insertion order.
///
/// Lookup by key is O(1) (a linear scan of at most ``linearLimit`` keys for small objects, which
/// is cheaper than hashing); removing a key is O(n). Two objects are equal when they hold the same
/// keys with equal values, whatever the order; the hash is computed over the keys in UTF-8 byte
/// order so that it agrees with equality.
public struct JSONObject: Sendable, Hashable, Codable, Sequence, ExpressibleByDictionaryLiteral {
    /// The element of the sequence: one key and its value, in insertion order.
    public typealias Element = (key: String, value: JSONValue)

    private var orderedKeys: [String] = []
    private var orderedValues: [JSONValue] = []
    /// Key positions, built only once the object grows past ``linearLimit`` keys: most objects
    /// (request bodies, messages, events) are small, and hashing every key cost more than scanning.
    private var positions: [String: Int]?

    /// Objects with at most this many keys find a key by comparing it with each key in turn.
    static let linearLimit = 8

    /// Creates an empty object.
    public init() {}

    /// Creates an object from pairs in order; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs {
            self[key] = value
        }
    }

    /// Creates an object from a dictionary literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// The keys in insertion order.
    public var keys: [String] { orderedKeys }

    /// The values in insertion order.
    public var values: [JSONValue] { orderedValues }

    /// The number of keys.
    public var count: Int { orderedKeys.count }

    /// Whether the object has no keys.
    public var isEmpty: Bool { orderedKeys.isEmpty }

    /// The value for `key`; setting `nil` removes the key, setting a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = index(of: key) else { return nil }
            return orderedValues[index]
        }
        set {
            if let index = index(of: key) {
                if let newValue {
                    orderedValues[index] = newValue
                } else {
                    orderedKeys.remove(at: index)
                    orderedValues.remove(at: index)
                    if positions != nil {
                        positions?[key] = nil
                        for later in index..<orderedKeys.count {
                            positions?[orderedKeys[later]] = later
                        }
                    }
                }
            } else if let newValue {
                if positions != nil {
                    positions?[key] = orderedKeys.count
                } else if orderedKeys.count >= Self.linearLimit {
                    var table = [String: Int](minimumCapacity: orderedKeys.count * 2)
                    for (position, existing) in orderedKeys.enumerated() { table[existing] = position }
                    table[key] = orderedKeys.count
                    positions = table
                }
                orderedKeys.append(key)
                orderedValues.append(newValue)
            }
        }
    }

    /// The position of `key` (String equality, as a Dictionary would use).
    private func index(of key: String) -> Int? {
        if let positions { return positions[key] }
        for index in orderedKeys.indices where orderedKeys[index] == key { return index }
        return nil
    }

    /// Returns an iterator over the pairs in insertion order.
    public func makeIterator() -> Iterator {
        Iterator(object: self)
    }

    /// Iterates over the pairs of a ``JSONObject`` in insertion order.
    public struct Iterator: IteratorProtocol {
        private let object: JSONObject
        private var index = 0

        fileprivate init(object: JSONObject) {
            self.object = object
        }

        /// Returns the next pair, or `nil` at the end.
        public mutating func next() -> Element? {
            guard index < object.orderedKeys.count else { return nil }
            defer { index += 1 }
            return (key: object.orderedKeys[index], value: object.orderedValues[index])
        }
    }

    /// Whether two objects hold the same keys with equal values, ignoring order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (index, key) in lhs.orderedKeys.enumerated() {
            guard let other = rhs[key], other == lhs.orderedValues[index] else { return false }
        }
        return true
    }

    /// Hashes the pairs in UTF-8 byte order of the keys, so the hash ignores insertion order.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for key in orderedKeys.sorted(by: JSONObject.utf8Precedes) {
            hasher.combine(key)
            hasher.combine(self[key])
        }
    }

    /// Orders two strings by their UTF-8 bytes (the canonical key order).
    static func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// Decodes an object from a keyed container; the key order is whatever the decoder reports.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicKey.self)
        for key in container.allKeys {
            self[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
    }

    /// Encodes the pairs in insertion order into a keyed container.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        for (key, value) in self {
            try container.encode(value, forKey: DynamicKey(key))
        }
    }
}

/// A coding key built from any string.
struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ string: String) {
        stringValue = string
    }

    init?(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        return nil
    }
}
