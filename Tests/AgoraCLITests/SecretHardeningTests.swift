import AgoraTesting
import Foundation
import Storage
import Testing

/// An endpoint that echoes the caller's credentials in its error body must not get them to disk.
@Suite("Hardening: keys echoed by a server never reach the screen or the disk", .timeLimit(.minutes(2)))
struct SecretHardeningTests {
    static let key = FakeKey.make("sk-")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every file under `folder`, as bytes.
    static func files(_ folder: URL) -> [(String, Data)] {
        let urls = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap {
            $0 as? URL
        }
        return (urls ?? []).compactMap { url in (try? Data(contentsOf: url)).map { (url.lastPathComponent, $0) } }
    }

    @Test("agora run and agora model check against a server that echoes the Authorization header")
    func echoedKey() async throws {
        let stub = try StubServer(
            configuration: .init(responder: { request in
                .error(status: 401, message: "invalid credentials: \(request.header("Authorization") ?? "none")")
            }))
        defer { stub.stop() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-secret-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let environment = ["AGORA_API_KEY": Self.key]
        let scenario = Self.repository.appendingPathComponent("Scenarios/quick-survey.json").path
        let run = try await CommandRunner.agora(
            [
                "run", scenario, "--model", stub.baseURL.absoluteString, "--model-name",
                "stub-model", "--limit", "1", "--no-cache", "--out", out.path,
            ], environment: environment)
        #expect(stub.requestCount > 0)
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("invalid credentials: Bearer [redacted]"), "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains(Self.key))
        for (name, data) in Self.files(out) {
            #expect(data.range(of: Data(Self.key.utf8)) == nil, "\(name) holds the key")
        }
        let check = try await CommandRunner.agora(
            ["model", "check", "--model", stub.baseURL.absoluteString],
            environment: environment)
        #expect(check.status == 3)
        #expect(!(check.stdout + check.stderr).contains(Self.key), "\(check.stdout)\(check.stderr)")
    }
}
