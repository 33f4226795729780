import Foundation
import Storage
import Testing

@testable import Population

@Suite("Deduplication")
struct DedupTests {
    @Test("Test 15: the canonical hash ignores key order, Unicode normal form and whitespace")
    func canonicalHash() {
        let a = JSONObject([("name", "Ren\u{E9}"), ("city", "  Foo   bar "), ("age", 34)])
        let b = JSONObject([("age", 34), ("city", "Foo bar"), ("name", "Rene\u{301}")])
        #expect(CanonicalHash.hash(a) == CanonicalHash.hash(b))
        #expect(CanonicalHash.hash(a).count == 32)
        let c = JSONObject([("age", 35), ("city", "Foo bar"), ("name", "Rene\u{301}")])
        #expect(CanonicalHash.hash(a) != CanonicalHash.hash(c))
    }

    @Test("Generated hashes equal the public canonical hash of the written attributes")
    func encoderMatchesPublicHash() async throws {
        let spec = try DemoFixture.spec()
        let personas = try await PersonaFactory.personas(spec: spec, count: 200, seed: 5).personas
        let textIDs = Set(spec.taxonomy.attributes.filter { $0.kind == .text }.map(\.id))
        for persona in personas {
            let structured = JSONObject(
                persona.attributes.filter { !textIDs.contains($0.key) }.map { ($0.key, $0.value) })
            #expect(CanonicalHash.hash(structured) == persona.hash)
        }
    }

    static func tokens(_ base: Int, differing: Int, n: Int = 20) -> [UInt32] {
        (0..<n).map { i in UInt32(i * 1000 + (i < differing ? base + 1 : 0)) }.sorted()
    }

    @Test("Test 16: J = 19/21 with one of 20 attributes differing is rejected at τ = 0.9; 18/22 is kept")
    func jaccardThreshold() {
        let a = Self.tokens(0, differing: 0)
        let b = Self.tokens(0, differing: 1)
        let c = Self.tokens(0, differing: 2)
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                #expect(abs(TokenJaccard.jaccard(x, y) - 19.0 / 21.0) < 1e-12)
                #expect(TokenJaccard.atLeast(x, y, 0.9))
            }
            c.withUnsafeBufferPointer { y in
                #expect(abs(TokenJaccard.jaccard(x, y) - 18.0 / 22.0) < 1e-12)
                #expect(!TokenJaccard.atLeast(x, y, 0.9))
            }
        }
    }

    @Test("Test 17: MinHash-LSH finds at least 99.8% of 1,000 planted J ≈ 0.905 pairs among 10^5 personas")
    func lshRecall() {
        let hasher = MinHasher(bands: 16, rows: 8, seed: 17)
        var stream = RandomStream(seed: 1717)
        // Token universe: 20 attributes × 50 values; a per-token hash row table makes signatures cheap.
        let k = hasher.count
        var table: [UInt64] = []
        table.reserveCapacity(1000 * k)
        for token in 0..<1000 { table += hasher.hashes(of: MinHasher.tokenHash("t\(token)")) }
        var index = LSHIndex(bands: 16, capacity: 101_000)
        var signature = [UInt64](repeating: 0, count: k)
        var keys = [UInt64](repeating: 0, count: 16)
        var tokens = [UInt32](repeating: 0, count: 20)
        var found = 0
        let total = 100_000
        var plantedPartner: [Int32] = []
        plantedPartner.reserveCapacity(total + 1000)
        var stored: [[UInt32]] = []
        stored.reserveCapacity(total + 1000)
        for i in 0..<(total + 1000) {
            if i < total {
                for a in 0..<20 { tokens[a] = UInt32(a * 50 + Int(stream.nextInt(below: 50))) }
                plantedPartner.append(-1)
            } else {
                // A twin of persona (i − total) · 97 with exactly one attribute changed: J = 19/21.
                let original = stored[(i - total) * 97]
                tokens = original
                let a = Int(stream.nextInt(below: 20))
                tokens[a] = UInt32(a * 50 + (Int(original[a]) % 50 + 1) % 50)
                plantedPartner.append(Int32((i - total) * 97))
            }
            stored.append(tokens)
            tokens.withUnsafeBufferPointer { t in
                table.withUnsafeBufferPointer { h in hasher.signature(tokens: t, table: h, into: &signature) }
            }
            hasher.bandKeys(signature, into: &keys)
            if plantedPartner[i] >= 0 {
                var hit = false
                let partner = Int(plantedPartner[i])
                index.forEachCandidate(keys) { candidate in
                    if candidate == partner { hit = true }
                    return !hit
                }
                if hit { found += 1 }
            }
            index.insert(keys)
        }
        #expect(Double(found) / 1000 >= 0.998)
        #expect(found == 1000)
    }

    @Test("Test 18: the SimHash block index returns exactly the brute-force pair set (Hamming ≤ 3)")
    func simhashIndex() {
        var stream = RandomStream(seed: 18)
        let randomCount = ProcessInfo.processInfo.environment["AGORA_LONG_TESTS"] == nil ? 20_000 : 100_000
        var hashes: [UInt64] = (0..<randomCount).map { _ in stream.next() }
        for _ in 0..<500 {
            var h = hashes[Int(stream.nextInt(below: UInt64(randomCount)))]
            let flips = 1 + Int(stream.nextInt(below: 3))
            var used: [Int] = []
            while used.count < flips {
                let bit = Int(stream.nextInt(below: 64))
                if !used.contains(bit) { used.append(bit) }
            }
            for bit in used { h ^= 1 << UInt64(bit) }
            hashes.append(h)
        }
        var index = SimHashIndex()
        var fromIndex: [[Int]] = []
        for h in hashes {
            for other in index.neighbours(of: h) { fromIndex.append([other, index.hashes.count]) }
            index.insert(h)
        }
        // Brute force: sort by each 16-bit block is not used here; a plain all-pairs scan over raw buffers.
        var brute: [[Int]] = []
        hashes.withUnsafeBufferPointer { all in
            for j in 0..<all.count {
                let h = all[j]
                for i in 0..<j where (all[i] ^ h).nonzeroBitCount <= 3 { brute.append([i, j]) }
            }
        }
        #expect(fromIndex.count >= 500)
        #expect(fromIndex == brute)
    }
}
