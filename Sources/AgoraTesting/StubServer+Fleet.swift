extension StubServer {
    /// Whether a request fails under ``Configuration/intermittentFailure`` `fraction`: chat and
    /// embeddings requests only, chosen by a hash of the sequence number, so the same sequence of
    /// requests always fails at the same places (about `fraction` of them over many requests).
    public static func failsIntermittently(_ request: StubRequest, fraction: Double) -> Bool {
        guard fraction > 0, request.endpoint == .chatCompletions || request.endpoint == .embeddings else {
            return false
        }
        let hash = fnv1a(String(request.sequence).utf8)
        return Double(hash % 1_000_000) / 1_000_000 < fraction
    }
}
