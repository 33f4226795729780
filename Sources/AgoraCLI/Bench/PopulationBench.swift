import Foundation
import Population
import Storage

/// Structured persona throughput at 10^6 and MinHash-LSH dedup of 10^5 personas.
enum PopulationBench: BenchSuite {
    static let name = "population"
    static let specPath = "Scenarios/populations/us-adults.json"

    static func run(quick: Bool) async throws -> [BenchFigure] {
        var figures: [BenchFigure] = []
        let clock = ContinuousClock()
        let spec = try PopulationSpec.load(file: specPath)
        let count = quick ? 20_000 : 1_000_000
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-bench-\(getpid()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out) }

        // 1. Sample, validate, dedup (exact hash + MinHash-LSH) and write `count` structured personas.
        let start = clock.now
        let summary = try await PersonaFactory.generate(spec: spec, count: count, seed: 7, out: out, workers: 2)
        let seconds = BenchClock.seconds(clock.now - start)
        let scaled = quick ? seconds * 1_000_000 / Double(count) : seconds
        figures.append(
            BenchFigure(
                name: "\(count) structured personas (us-adults), wall", value: seconds, unit: "s",
                target: quick ? nil : "≤ 60 s", met: quick ? nil : seconds <= 60))
        if quick {
            figures.append(BenchFigure(name: "extrapolated to 1,000,000 personas", value: scaled, unit: "s"))
        }
        figures.append(BenchFigure(name: "personas per second", value: Double(summary.count) / seconds, unit: "1/s"))
        if let peak = BenchClock.peakResidentBytes() {
            let gib = Double(peak) / Double(1 << 30)
            figures.append(
                BenchFigure(
                    name: "peak resident memory", value: gib, unit: "GiB", target: quick ? nil : "≤ 2 GB",
                    met: quick ? nil : Double(peak) <= 2e9))
        }

        // 2. MinHash-LSH dedup of 100,000 personas: token hashing, signatures, LSH, exact-Jaccard checks.
        let dedupCount = quick ? 10_000 : 100_000
        let personas = try await PersonaFactory.personas(spec: spec, count: dedupCount, seed: 11).personas
        let dedupStart = clock.now
        let hasher = MinHasher(bands: 16, rows: 8, seed: 99)
        var index = LSHIndex(bands: 16, capacity: dedupCount)
        var kept: [[UInt64]] = []
        var duplicates = 0
        var tokenCache: [String: UInt64] = [:]
        for persona in personas {
            var tokens: [UInt64] = []
            for (key, value) in persona.attributes {
                let token = "\(key)=\(value.serialized())"
                if let known = tokenCache[token] {
                    tokens.append(known)
                } else {
                    let hashed = MinHasher.tokenHash(token)
                    tokenCache[token] = hashed
                    tokens.append(hashed)
                }
            }
            tokens = Array(Set(tokens)).sorted()
            let keys = hasher.bandKeys(hasher.signature(of: tokens))
            var duplicate = false
            index.forEachCandidate(keys) { other in
                duplicate = MinHasher.jaccard(tokens, kept[other]) >= 0.9
                return !duplicate
            }
            if duplicate { duplicates += 1 }
            index.insert(keys)
            kept.append(tokens)
        }
        let dedupSeconds = BenchClock.seconds(clock.now - dedupStart)
        figures.append(
            BenchFigure(
                name: "MinHash-LSH dedup of \(dedupCount) personas (k=128, 16×8)", value: dedupSeconds, unit: "s",
                target: quick ? nil : "≤ 10 s", met: quick ? nil : dedupSeconds <= 10))
        figures.append(BenchFigure(name: "near-duplicates found among them", value: Double(duplicates), unit: "count"))
        return figures
    }
}
