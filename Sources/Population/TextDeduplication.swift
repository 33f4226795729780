/// 64-bit SimHash over character 3-grams (whitespace removed, FNV-1a 64 per gram) (spec §11.3).
public enum SimHash {
    /// FNV-1a 64 of bytes.
    static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    /// The SimHash of `text`.
    public static func hash(_ text: String) -> UInt64 {
        let characters = Array(text.filter { !$0.isWhitespace })
        guard !characters.isEmpty else { return 0 }
        var weights = [Int](repeating: 0, count: 64)
        let n = min(3, characters.count)
        for i in 0...(characters.count - n) {
            let gram = String(characters[i..<(i + n)])
            let h = fnv1a(gram.utf8)
            for bit in 0..<64 { weights[bit] += (h >> UInt64(bit)) & 1 == 1 ? 1 : -1 }
        }
        var result: UInt64 = 0
        for bit in 0..<64 where weights[bit] > 0 { result |= 1 << UInt64(bit) }
        return result
    }
}

/// An exact index for Hamming distance ≤ 3 on 64-bit hashes: 4 tables keyed by (block, 16-bit value)
/// (Manku et al. 2007). Any pair within distance 3 shares at least one block, so recall is 100%.
public struct SimHashIndex: Sendable {
    private var tables: [[UInt16: [Int32]]] = Array(repeating: [:], count: 4)
    /// The stored hashes, by id.
    public private(set) var hashes: [UInt64] = []

    /// Creates an empty index.
    public init() {}

    @inline(__always) static func block(_ hash: UInt64, _ index: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: hash >> UInt64(16 * index))
    }

    /// Ids of stored hashes within `maxDistance` (≤ 3) of `hash`, ascending.
    public func neighbours(of hash: UInt64, maxDistance: Int = 3) -> [Int] {
        var result: [Int] = []
        for b in 0..<4 {
            guard let bucket = tables[b][Self.block(hash, b)] else { continue }
            for id in bucket where (hashes[Int(id)] ^ hash).nonzeroBitCount <= maxDistance {
                // Report each id once: only from the first block it shares.
                var first = b
                for earlier in 0..<b where Self.block(hashes[Int(id)], earlier) == Self.block(hash, earlier) {
                    first = earlier
                    break
                }
                if first == b { result.append(Int(id)) }
            }
        }
        return result.sorted()
    }

    /// Adds a hash; its id is the previous count.
    @discardableResult
    public mutating func insert(_ hash: UInt64) -> Int {
        let id = Int32(hashes.count)
        hashes.append(hash)
        for b in 0..<4 { tables[b][Self.block(hash, b), default: []].append(id) }
        return Int(id)
    }
}

/// Near-duplicate narratives: MinHash over word 3-shingles with LSH and exact Jaccard confirmation, or SimHash.
struct TextDeduplicator: Sendable {
    let settings: DedupSettings
    private let hasher: MinHasher
    private var index: LSHIndex
    private var shingles: [[UInt64]] = []
    private var simhash = SimHashIndex()

    init(settings: DedupSettings, seed: UInt64) {
        self.settings = settings
        hasher = MinHasher(bands: 32, rows: 4, seed: seed)
        index = LSHIndex(bands: 32)
    }

    static func shingles(_ text: String) -> [UInt64] {
        let words = PopulationMetrics.words(text)
        var result: [UInt64] = []
        if words.count < 3 {
            result = [SimHash.fnv1a(words.joined(separator: " ").utf8)]
        } else {
            for i in 0...(words.count - 3) {
                result.append(SimHash.fnv1a(words[i..<(i + 3)].joined(separator: " ").utf8))
            }
        }
        return Array(Set(result)).sorted()
    }

    /// The slot index (insertion id) of an accepted near-duplicate, if any.
    mutating func duplicate(of text: String) -> Int? {
        switch settings.text {
        case "simhash":
            return simhash.neighbours(of: SimHash.hash(text), maxDistance: settings.simhashDistance).first
        case "minhash":
            let mine = Self.shingles(text)
            let keys = hasher.bandKeys(hasher.signature(of: mine))
            var found: Int?
            let stored = shingles
            let tau = settings.textThreshold
            index.forEachCandidate(keys) { other in
                let jaccard = MinHasher.jaccard(mine, stored[other])
                if jaccard >= tau {
                    found = other
                    return false
                }
                return true
            }
            return found
        default:
            return nil
        }
    }

    mutating func accept(_ text: String) {
        switch settings.text {
        case "simhash": simhash.insert(SimHash.hash(text))
        case "minhash":
            let mine = Self.shingles(text)
            index.insert(hasher.bandKeys(hasher.signature(of: mine)))
            shingles.append(mine)
        default: break
        }
    }
}

/// Embedding near-duplicates: normalised vectors, brute-force cosine, first accepted wins.
struct EmbeddingIndex: Sendable {
    private var vectors: [[Double]] = []
    let threshold: Double

    init(threshold: Double) { self.threshold = threshold }

    static func normalised(_ vector: [Double]) -> [Double] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

    func duplicate(of vector: [Double]) -> Int? {
        let v = Self.normalised(vector)
        for (id, other) in vectors.enumerated() where other.count == v.count {
            var dot = 0.0
            for k in v.indices { dot += v[k] * other[k] }
            if dot >= threshold { return id }
        }
        return nil
    }

    mutating func accept(_ vector: [Double]) { vectors.append(Self.normalised(vector)) }
}
