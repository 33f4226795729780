/// Something that answers chat requests: a remote endpoint, a cache in front of one, or a scripted
/// model in tests.
///
/// Conformers must be safe to call from many tasks at once.
public protocol LanguageModel: Sendable {
    /// A stable name, `provider/model`, used in cache keys and in the ledger.
    var identifier: String { get }
    /// Answers one request.
    func complete(_ request: ChatRequest) async throws -> ChatResponse
    /// The endpoint's context window in tokens (prompt plus completion), when known: configured
    /// (`--context-window`), learned from the server, or a known model's. `nil`: unknown, and
    /// requests are sent unfitted.
    var contextWindow: Int? { get }
}

extension LanguageModel {
    /// Unknown unless a conformer says otherwise.
    public var contextWindow: Int? { nil }
}

/// Something that turns texts into embedding vectors.
public protocol EmbeddingModel: Sendable {
    /// A stable name, `provider/model`.
    var identifier: String { get }
    /// One vector per input text, in input order.
    func embed(_ texts: [String]) async throws -> [[Double]]
}
