/// SPASM-style identity metrics over fixed embedding vectors (spec memory.md §A.8); deterministic
/// once the vectors are fixed, so they are unit-tested with synthetic vectors.
public enum EmbeddingMetrics {
    /// Cosine similarity (0 when either vector is zero or the lengths differ).
    public static func cosine(_ a: [Double], _ b: [Double]) -> Double { EpisodicStore.cosine(a, b) }

    /// The element-wise mean of `vectors` (empty for none).
    public static func mean(_ vectors: [[Double]]) -> [Double] {
        guard let first = vectors.first else { return [] }
        var sum = [Double](repeating: 0, count: first.count)
        for v in vectors where v.count == sum.count { for i in v.indices { sum[i] += v[i] } }
        return sum.map { $0 / Double(vectors.count) }
    }

    /// The 1-based rank of persona `truth` among `personas` by cosine from the mean of a client's
    /// utterance vectors (ties ranked pessimistically).
    public static func personaRank(utterances: [[Double]], personas: [[Double]], truth: Int) -> Int {
        let centre = mean(utterances)
        let scores = personas.map { cosine(centre, $0) }
        guard scores.indices.contains(truth) else { return personas.count + 1 }
        return scores.indices.filter { $0 != truth && scores[$0] >= scores[truth] }.count + 1
    }

    /// The share of ranks ≤ `k` (persona-retrieval acc@k).
    public static func accuracy(ranks: [Int], atK k: Int) -> Double {
        ranks.isEmpty ? 0 : Double(ranks.filter { $0 <= k }.count) / Double(ranks.count)
    }

    /// The mean silhouette of `vectors` grouped by `labels`, with cosine distance `1 − cos`;
    /// points alone in their group score 0.
    public static func silhouette(vectors: [[Double]], labels: [String]) -> Double {
        precondition(vectors.count == labels.count, "one label per vector")
        var groups: [String] = []
        for l in labels where !groups.contains(l) { groups.append(l) }
        guard groups.count > 1 else { return 0 }
        var total = 0.0
        for i in vectors.indices {
            func meanDistance(to group: String) -> Double {
                let members = vectors.indices.filter { $0 != i && labels[$0] == group }
                guard !members.isEmpty else { return .nan }
                return members.map { 1 - cosine(vectors[i], vectors[$0]) }.reduce(0, +) / Double(members.count)
            }
            let a = meanDistance(to: labels[i])
            if a.isNaN { continue }
            let b = groups.filter { $0 != labels[i] }.map(meanDistance).filter { !$0.isNaN }.min() ?? 0
            let denominator = max(a, b)
            total += denominator == 0 ? 0 : (b - a) / denominator
        }
        return total / Double(vectors.count)
    }

    /// Drift: cos(persona, mean of the first half of the utterances) − cos(persona, mean of the
    /// second half); positive when later utterances moved away from the persona. The middle
    /// utterance of an odd count goes to the second half.
    public static func drift(persona: [Double], utterances: [[Double]]) -> Double {
        guard utterances.count >= 2 else { return 0 }
        let half = utterances.count / 2
        return cosine(persona, mean(Array(utterances[..<half]))) - cosine(persona, mean(Array(utterances[half...])))
    }
}
