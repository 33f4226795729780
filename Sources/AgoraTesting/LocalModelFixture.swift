import Foundation
public import Inference

/// The real local model, shared by every integration test of one test process.
///
/// The server starts on first use and stops when the process exits (its watchdog follows our pid).
/// Tests ask ``isAvailable`` in an `.enabled(if:)` trait: outside CI a missing cache skips them with
/// a visible note; in CI (`CI=true`) it never skips: a missing model makes the test fail.
public enum LocalModelFixture {
    private static let shared = SharedServer()

    /// Whether integration tests against the local model should run: the model is built, or we are in CI
    /// (where a missing model must fail loudly rather than skip).
    public static var isAvailable: Bool {
        if LocalModel().isBuilt { return true }
        if isCI { return true }
        FileHandle.standardError.write(
            Data("note: the local model is not built; skipping integration tests (run `agora model setup`)\n".utf8))
        return false
    }

    /// Whether this process runs in CI.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? ""
        return value == "true" || value == "1"
    }

    /// A client of the shared local server (started on first call). In CI a missing model throws.
    public static func model() async throws -> OpenAICompatibleModel {
        try await shared.model()
    }

    private actor SharedServer {
        private var connected: ConnectedModel?

        func model() async throws -> OpenAICompatibleModel {
            if let connected { return connected.client }
            if !LocalModel().isBuilt {
                throw InferenceError(
                    .localModelUnavailable,
                    "the local model is not built in \(LocalModel().cacheDirectory.path); run `agora model setup` (CI must build it first)"
                )
            }
            let made = try await ConnectedModel.connect(
                .local(.default), concurrency: 1, retry: RetryPolicy(maxAttempts: 2),
                requestTimeout: 120)
            connected = made
            return made.client
        }
    }
}
