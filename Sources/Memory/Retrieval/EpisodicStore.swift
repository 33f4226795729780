public import Inference

/// A viewer's episodic memory: the events it saw, as it saw them, searchable by BM25 and, when an
/// embedding model is configured, by cosine similarity (spec memory.md §B.2.5, agentic path).
///
/// Only events visible to the viewer are indexed (invariant M1): documents are built from the
/// viewer's projection, never from the raw log.
public struct EpisodicStore: Sendable {
    /// The viewer.
    public let viewer: ParticipantID
    /// The BM25 index over the viewer's visible events.
    public let index: BM25Index
    /// Document vectors, when built ``withEmbeddings(_:)``.
    public private(set) var vectors: [[Double]]?
    /// The embedding model the vectors came from.
    public private(set) var embedder: (any EmbeddingModel)?

    /// Builds the store for `viewer` from `log`; events whose seq is in `excluding` are left out
    /// (e.g. the ones already shown in the prompt's history window).
    public init(
        log: [Event], viewer: ParticipantID, roster: [Participant], backlog: ProjectionConfig.BacklogPolicy = .fromJoin,
        excluding: Set<Int> = []
    )
        throws(MemoryError)
    {
        var config = ProjectionConfig()
        config.labelOthers = .always
        config.backlog = backlog
        let engine = try ProjectionEngine(roster: roster, viewer: viewer, config: config)
        let me = engine.viewer.displayName
        var documents: [EpisodicDocument] = []
        for e in try engine.visibleEvents(log) where !excluding.contains(e.seq) {
            guard let s = engine.egocentric(e) else { continue }
            let text: String
            switch s.role {
            case .assistant:
                text =
                    s.toolCalls.first.map { "\(me) used tool \($0.name) with \($0.arguments)" } ?? "\(me): \(s.content)"
            case .tool: text = "[Tool result] \(s.content)"
            default: text = s.content
            }
            documents.append(EpisodicDocument(seq: e.seq, text: text))
        }
        self.viewer = viewer
        self.index = BM25Index(documents: documents)
    }

    /// The store with document vectors from `model` (one batch call).
    public func withEmbeddings(_ model: any EmbeddingModel) async throws -> EpisodicStore {
        var copy = self
        let vectors = try await model.embed(index.documents.map(\.text))
        guard vectors.count == index.documents.count else {
            throw MemoryError(
                .model,
                "embedding model \(model.identifier) returned \(vectors.count) vectors for \(index.documents.count) texts"
            )
        }
        copy.vectors = vectors
        copy.embedder = model
        return copy
    }

    /// Retrieves for each query the best `perQuery` documents by BM25 (and by cosine when vectors
    /// exist), takes the union, reranks it against `question` (BM25 normalised to [0, 1], plus the
    /// cosine when vectors exist) and keeps the best `limit`, ties broken by seq.
    public func retrieve(queries: [String], question: String, limit: Int = 4, perQuery: Int = 8) async throws
        -> [EpisodicHit]
    {
        let docs = index.documents
        var candidates = Set<Int>()
        for q in queries + [question] {
            let s = index.scores(q)
            for i in docs.indices.filter({ s[$0] > 0 }).sorted(by: { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }).prefix(
                perQuery)
            {
                candidates.insert(i)
            }
        }
        var cosines: [Double]?
        if let vectors, let embedder {
            let queryVectors = try await embedder.embed(queries + [question])
            for qv in queryVectors {
                let c = vectors.map { Self.cosine($0, qv) }
                for i in docs.indices.sorted(by: { c[$0] != c[$1] ? c[$0] > c[$1] : $0 < $1 }).prefix(perQuery) {
                    candidates.insert(i)
                }
            }
            if let qv = queryVectors.last { cosines = vectors.map { Self.cosine($0, qv) } }
        }
        let bm = index.scores(question)
        let top = bm.max() ?? 0
        func score(_ i: Int) -> Double { (top > 0 ? bm[i] / top : 0) + (cosines?[i] ?? 0) }
        return candidates.sorted()
            .sorted { score($0) != score($1) ? score($0) > score($1) : docs[$0].seq < docs[$1].seq }
            .prefix(limit).map { EpisodicHit(document: docs[$0], score: score($0)) }
    }

    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        var dot = 0.0
        var na = 0.0
        var nb = 0.0
        for i in a.indices {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        return na == 0 || nb == 0 ? 0 : dot / (na.squareRoot() * nb.squareRoot())
    }
}

/// Deployable triggers of the agentic retrieval path (spec memory.md §B.2.5).
public enum AgenticTrigger {
    /// (b): the tree has no filled leaf whose BM25 score for `query` reaches `tau`.
    public static func treeLacksAnswer(_ tree: PersonaTree, query: String, tau: Double = 1.0) -> Bool {
        let docs = tree.leaves.enumerated().filter { !$0.element.value.isEmpty }.map { i, leaf in
            EpisodicDocument(seq: i, text: leaf.path.keys.joined(separator: " ") + " " + leaf.value)
        }
        guard !docs.isEmpty else { return true }
        return (BM25Index(documents: docs).scores(query).max() ?? 0) < tau
    }

    /// (a), as a cheap deterministic pre-filter: the message asks for specifics (dates, quotes,
    /// exact words, an earlier episode). A model yes/no can replace it.
    public static func asksForDetails(_ message: String) -> Bool {
        let text = " " + ConversationMetrics.tokens(message).joined(separator: " ") + " "
        let cues = [
            " when ", " what date ", " which day ", " exactly ", " quote ", " word for word ", " earlier ",
            " last time ", " before ", " remember ", " what did ", " who said ", " how many ", " specific ",
        ]
        return cues.contains { text.contains($0) }
    }
}
