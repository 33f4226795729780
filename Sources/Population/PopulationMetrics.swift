import Foundation
import Storage

/// Diversity and quality metric definitions (spec §12.1).
public enum PopulationMetrics {
    /// Shannon entropy H = −Σ p ln p of a count vector, and H / ln k over the k categories (0 when k ≤ 1).
    public static func entropy(_ counts: [Int]) -> (entropy: Double, normalised: Double) {
        let total = Double(counts.reduce(0, +))
        guard total > 0 else { return (0, 0) }
        var h = 0.0
        for count in counts where count > 0 {
            let p = Double(count) / total
            h -= p * log(p)
        }
        h = max(h, 0)
        return (h, counts.count > 1 ? h / log(Double(counts.count)) : 0)
    }

    /// KL(p̂ ‖ p) with ε = 1e-12 smoothing of both distributions.
    public static func kullbackLeibler(_ realised: [Double], _ target: [Double]) -> Double {
        let p = smooth(realised)
        let q = smooth(target)
        var total = 0.0
        for i in p.indices where p[i] > 0 { total += p[i] * log(p[i] / q[i]) }
        return max(total, 0)
    }

    /// Jensen–Shannon divergence (natural log) with ε = 1e-12 smoothing.
    public static func jensenShannon(_ realised: [Double], _ target: [Double]) -> Double {
        let p = smooth(realised)
        let q = smooth(target)
        let m = zip(p, q).map { ($0 + $1) / 2 }
        var total = 0.0
        for i in p.indices {
            total += 0.5 * p[i] * log(p[i] / m[i]) + 0.5 * q[i] * log(q[i] / m[i])
        }
        return max(total, 0)
    }

    static func smooth(_ values: [Double]) -> [Double] {
        let adjusted = values.map { max($0, 0) + 1e-12 }
        let sum = adjusted.reduce(0, +)
        return adjusted.map { $0 / sum }
    }

    /// Mutual information (natural log) of two categorical columns.
    public static func mutualInformation(_ x: [Int], _ y: [Int], xCount: Int, yCount: Int) -> Double {
        guard !x.isEmpty else { return 0 }
        var joint = [Int](repeating: 0, count: xCount * yCount)
        var px = [Int](repeating: 0, count: xCount)
        var py = [Int](repeating: 0, count: yCount)
        for (a, b) in zip(x, y) where a >= 0 && b >= 0 {
            joint[a * yCount + b] += 1
            px[a] += 1
            py[b] += 1
        }
        let n = Double(px.reduce(0, +))
        guard n > 0 else { return 0 }
        var total = 0.0
        for a in 0..<xCount {
            for b in 0..<yCount where joint[a * yCount + b] > 0 {
                let pxy = Double(joint[a * yCount + b]) / n
                total += pxy * log(pxy / (Double(px[a]) / n * Double(py[b]) / n))
            }
        }
        return max(total, 0)
    }

    /// Words of a text (lower-cased letters and digits).
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// distinct-n: the mean over texts of unique n-grams / n-grams, and the corpus-level ratio.
    public static func distinct(_ texts: [String], n: Int) -> (perText: Double, corpus: Double) {
        var sum = 0.0
        var counted = 0
        var all = Set<[String]>()
        var total = 0
        for text in texts {
            let tokens = words(text)
            guard tokens.count >= n else { continue }
            var grams = Set<[String]>()
            for i in 0...(tokens.count - n) { grams.insert(Array(tokens[i..<(i + n)])) }
            let count = tokens.count - n + 1
            sum += Double(grams.count) / Double(count)
            counted += 1
            total += count
            all.formUnion(grams)
        }
        return (counted > 0 ? sum / Double(counted) : 0, total > 0 ? Double(all.count) / Double(total) : 0)
    }

    /// Self-BLEU-2 (uniform weights on 1- and 2-gram precision, with brevity penalty) of `candidates`
    /// seeded candidates against `references` seeded references each.
    public static func selfBLEU2(_ texts: [String], candidates: Int = 2000, references: Int = 20, seed: UInt64 = 1)
        -> Double
    {
        let tokenised = texts.map(words).filter { !$0.isEmpty }
        guard tokenised.count >= 2 else { return 0 }
        var stream = RandomStream(seed: seed)
        var total = 0.0
        let m = min(candidates, tokenised.count)
        for _ in 0..<m {
            let c = Int(stream.nextInt(below: UInt64(tokenised.count)))
            var refs: [[String]] = []
            for _ in 0..<min(references, tokenised.count - 1) {
                var r = Int(stream.nextInt(below: UInt64(tokenised.count)))
                if r == c { r = (r + 1) % tokenised.count }
                refs.append(tokenised[r])
            }
            total += bleu2(tokenised[c], refs)
        }
        return total / Double(m)
    }

    static func bleu2(_ candidate: [String], _ references: [[String]]) -> Double {
        var logPrecision = 0.0
        for n in 1...2 {
            guard candidate.count >= n else { return 0 }
            var counts: [[String]: Int] = [:]
            for i in 0...(candidate.count - n) { counts[Array(candidate[i..<(i + n)]), default: 0] += 1 }
            var maxRef: [[String]: Int] = [:]
            for reference in references where reference.count >= n {
                var local: [[String]: Int] = [:]
                for i in 0...(reference.count - n) { local[Array(reference[i..<(i + n)]), default: 0] += 1 }
                for (gram, count) in local { maxRef[gram] = max(maxRef[gram] ?? 0, count) }
            }
            var clipped = 0
            for (gram, count) in counts { clipped += min(count, maxRef[gram] ?? 0) }
            let precision = (Double(clipped) + (n > 1 ? 1 : 0)) / (Double(candidate.count - n + 1) + (n > 1 ? 1 : 0))
            guard precision > 0 else { return 0 }
            logPrecision += 0.5 * log(precision)
        }
        let closest = references.map(\.count).min { abs($0 - candidate.count) < abs($1 - candidate.count) } ?? 0
        let brevity = candidate.count >= closest ? 1 : exp(1 - Double(closest) / Double(max(candidate.count, 1)))
        return brevity * exp(logPrecision)
    }
}
