import Storage

/// MinHash signatures with k = bands × rows hash functions h_j(x) = (a_j·x + b_j) mod (2^61 − 1) (spec §11.2).
public struct MinHasher: Sendable {
    /// The Mersenne prime 2^61 − 1.
    public static let prime: UInt64 = (1 << 61) - 1
    /// LSH bands.
    public let bands: Int
    /// Rows per band.
    public let rows: Int
    let a: [UInt64]
    let b: [UInt64]

    /// The number of hash functions.
    public var count: Int { bands * rows }

    /// Draws (a_j, b_j) from SplitMix64(seed), a_j ≠ 0.
    public init(bands: Int = 16, rows: Int = 8, seed: UInt64 = 0x5EED) {
        self.bands = bands
        self.rows = rows
        var generator = SplitMix64(seed: seed)
        var a: [UInt64] = []
        var b: [UInt64] = []
        for _ in 0..<(bands * rows) {
            var x: UInt64 = 0
            while x == 0 { x = generator.next() % Self.prime }
            a.append(x)
            b.append(generator.next() % Self.prime)
        }
        self.a = a
        self.b = b
    }

    /// (x · y) mod (2^61 − 1) for x, y < 2^61.
    @inline(__always)
    static func mulmod(_ x: UInt64, _ y: UInt64) -> UInt64 {
        let product = x.multipliedFullWidth(by: y)
        let low = product.low & prime
        let high = (product.high << 3) | (product.low >> 61)
        var sum = low &+ high
        if sum >= prime { sum -= prime }
        return sum
    }

    /// A 64-bit token hash: the first 8 bytes of SHA-256 of the token text, big-endian.
    public static func tokenHash(_ token: String) -> UInt64 {
        let digest = SHA256.digest(Array(token.utf8))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return value
    }

    /// h_j(x) = (a_j·x + b_j) mod (2^61 − 1) for x < 2^61.
    @inline(__always)
    func hash(_ j: Int, _ x: UInt64) -> UInt64 {
        let value = Self.mulmod(a[j], x) &+ b[j]
        return value >= Self.prime ? value - Self.prime : value
    }

    /// The k hash values of one token hash.
    public func hashes(of token: UInt64) -> [UInt64] {
        let x = token % Self.prime
        return (0..<count).map { hash($0, x) }
    }

    /// The signature of a set of token hashes (all `UInt64.max` for an empty set).
    public func signature(of tokens: [UInt64]) -> [UInt64] {
        var result = [UInt64](repeating: .max, count: count)
        for token in tokens {
            let x = token % Self.prime
            for j in 0..<count { result[j] = min(result[j], hash(j, x)) }
        }
        return result
    }

    /// The signature as the element-wise minimum of precomputed per-token hash rows (`table[token·k ..< +k]`).
    func signature(tokens: UnsafeBufferPointer<UInt32>, table: UnsafeBufferPointer<UInt64>, into result: inout [UInt64])
    {
        let k = count
        result.withUnsafeMutableBufferPointer { out in
            for j in 0..<k { out[j] = .max }
            for token in tokens {
                let base = Int(token) * k
                for j in 0..<k {
                    let value = table[base + j]
                    if value < out[j] { out[j] = value }
                }
            }
        }
    }

    /// Exact Jaccard similarity of two sorted, duplicate-free token lists (the confirmation step
    /// after an LSH candidate match); two empty lists count as identical.
    public static func jaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in TokenJaccard.jaccard(a, b) } }
    }

    /// One 64-bit key per band (a deterministic mix of the band's rows; the band index is mixed in).
    public func bandKeys(_ signature: [UInt64]) -> [UInt64] {
        var keys = [UInt64](repeating: 0, count: bands)
        bandKeys(signature, into: &keys)
        return keys
    }

    func bandKeys(_ signature: [UInt64], into keys: inout [UInt64]) {
        for band in 0..<bands {
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(band + 1)
            for row in 0..<rows {
                h ^= signature[band * rows + row]
                h = Self.mix(h)
            }
            keys[band] = h
        }
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Locality-sensitive hashing over MinHash band keys: append-only buckets per band, chained through arrays.
public struct LSHIndex: Sendable {
    private var heads: [[UInt64: Int32]]
    private var next: [[Int32]]
    private var seen: [Int32] = []
    private var stamp: Int32 = 0
    /// The number of items inserted.
    public private(set) var count = 0

    /// Creates an empty index with `bands` bands.
    public init(bands: Int, capacity: Int = 0) {
        heads = (0..<bands).map { _ in
            var dictionary: [UInt64: Int32] = [:]
            dictionary.reserveCapacity(capacity)
            return dictionary
        }
        next = (0..<bands).map { _ in
            var array: [Int32] = []
            array.reserveCapacity(capacity)
            return array
        }
        seen.reserveCapacity(capacity)
    }

    /// Calls `body` once for every item sharing at least one band key, in band order, then chain order
    /// (newest first); `body` returns false to stop.
    public mutating func forEachCandidate(_ keys: [UInt64], _ body: (Int) -> Bool) {
        stamp &+= 1
        if stamp == Int32.max {
            for i in seen.indices { seen[i] = 0 }
            stamp = 1
        }
        for band in keys.indices {
            guard var item = heads[band][keys[band]] else { continue }
            while item >= 0 {
                if seen[Int(item)] != stamp {
                    seen[Int(item)] = stamp
                    if !body(Int(item)) { return }
                }
                item = next[band][Int(item)]
            }
        }
    }

    /// Inserts the next item (its id is `count`).
    public mutating func insert(_ keys: [UInt64]) {
        let id = Int32(count)
        for band in keys.indices {
            let previous = heads[band].updateValue(id, forKey: keys[band]) ?? -1
            next[band].append(previous)
        }
        seen.append(0)
        count += 1
    }
}

/// Exact Jaccard on sorted token lists, with an early exit once the threshold can no longer be reached.
enum TokenJaccard {
    /// J(A, B) for sorted, duplicate-free lists; two empty lists count as identical.
    static func jaccard<Token: FixedWidthInteger>(_ a: UnsafeBufferPointer<Token>, _ b: UnsafeBufferPointer<Token>)
        -> Double
    {
        let shared = common(a, b) ?? 0
        let union = a.count + b.count - shared
        return union == 0 ? 1 : Double(shared) / Double(union)
    }

    /// Whether J(A, B) ≥ τ, stopping early when it cannot be.
    static func atLeast(_ a: UnsafeBufferPointer<UInt32>, _ b: UnsafeBufferPointer<UInt32>, _ tau: Double) -> Bool {
        // J >= τ  ⟺  common · (1 + τ) >= τ · (|A| + |B|).
        let needed = tau * Double(a.count + b.count) / (1 + tau) - 1e-12
        guard let shared = common(a, b, reaching: needed) else { return false }
        return Double(shared) >= needed
    }

    /// How many elements two sorted, duplicate-free lists share: the one merge walk behind every exact
    /// Jaccard in Population (attribute tokens, narrative shingles). Nil as soon as the count can no
    /// longer reach `needed`.
    static func common<Token: FixedWidthInteger>(
        _ a: UnsafeBufferPointer<Token>, _ b: UnsafeBufferPointer<Token>, reaching needed: Double = -.infinity
    ) -> Int? {
        var i = 0
        var j = 0
        var common = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                common += 1
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
            if Double(common + min(a.count - i, b.count - j)) < needed { return nil }
        }
        return common
    }
}
