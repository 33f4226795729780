import Foundation

/// One retrievable piece of a viewer's history: an event as the viewer saw it.
public struct EpisodicDocument: Hashable, Sendable {
    /// The event's seq.
    public let seq: Int
    /// The text as rendered in the viewer's projection (others labelled by name).
    public let text: String

    /// Creates a document.
    public init(seq: Int, text: String) {
        self.seq = seq
        self.text = text
    }
}

/// A retrieved document with its score.
public struct EpisodicHit: Hashable, Sendable {
    /// The document.
    public let document: EpisodicDocument
    /// The ranking score (higher is better).
    public let score: Double
}

/// Okapi BM25 over a fixed set of documents (tokens as in ``ConversationMetrics/tokens(_:)``).
public struct BM25Index: Sendable {
    /// The indexed documents, in the order given.
    public let documents: [EpisodicDocument]
    let k1: Double
    let b: Double
    let termFrequencies: [[String: Int]]
    let lengths: [Int]
    let documentFrequency: [String: Int]
    let averageLength: Double

    /// Indexes `documents` with the usual parameters `k1 = 1.2`, `b = 0.75`.
    public init(documents: [EpisodicDocument], k1: Double = 1.2, b: Double = 0.75) {
        self.documents = documents
        self.k1 = k1
        self.b = b
        var tfs: [[String: Int]] = []
        var lengths: [Int] = []
        var df: [String: Int] = [:]
        for d in documents {
            let tokens = ConversationMetrics.tokens(d.text)
            var tf: [String: Int] = [:]
            for t in tokens { tf[t, default: 0] += 1 }
            for t in tf.keys { df[t, default: 0] += 1 }  // counting only; order does not matter
            tfs.append(tf)
            lengths.append(tokens.count)
        }
        self.termFrequencies = tfs
        self.lengths = lengths
        self.documentFrequency = df
        self.averageLength = documents.isEmpty ? 0 : Double(lengths.reduce(0, +)) / Double(documents.count)
    }

    /// The BM25 score of every document for `query`, in document order.
    public func scores(_ query: String) -> [Double] {
        let terms = ConversationMetrics.tokens(query)
        let n = Double(documents.count)
        return documents.indices.map { i in
            var score = 0.0
            let tf = termFrequencies[i]
            let norm = k1 * (1 - b + b * Double(lengths[i]) / max(averageLength, 1))
            for t in terms {
                guard let f = tf[t] else { continue }
                let df = Double(documentFrequency[t] ?? 0)
                let idf = log1p((n - df + 0.5) / (df + 0.5))
                score += idf * Double(f) * (k1 + 1) / (Double(f) + norm)
            }
            return score
        }
    }

    /// The best `limit` documents with a positive score, ties broken by seq.
    public func search(_ query: String, limit: Int) -> [EpisodicHit] {
        let s = scores(query)
        return documents.indices.filter { s[$0] > 0 }
            .sorted { s[$0] != s[$1] ? s[$0] > s[$1] : documents[$0].seq < documents[$1].seq }
            .prefix(limit).map { EpisodicHit(document: documents[$0], score: s[$0]) }
    }
}
