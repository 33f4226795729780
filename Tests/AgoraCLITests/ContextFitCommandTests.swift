import AgoraTesting
import Foundation
import Storage
import Testing

/// A conversation whose prompt cannot fit the model's window is a configuration error (#14 item 6).
@Suite("agora run: prompts fitted to the model's context window", .timeLimit(.minutes(3)))
struct ContextFitCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(_ server: StubServer, window: Int) async throws -> (CommandRunner.Result, URL) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-fit-\(UUID().uuidString)")
        let scenario = repository.appendingPathComponent("Scenarios/demo-brainstorm.json").path
        let result = try await CommandRunner.agora(
            [
                "run", scenario, "--model", server.baseURL.absoluteString, "--model-name", "stub-model",
                "--no-cache", "--out", out.path, "--context-window", String(window),
            ], environment: [:])
        return (result, out)
    }

    @Test(
        "a window too small for the persona, the instructions and the cue: exit 2 naming the model, window and size; no turn sent"
    )
    func tooSmall() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let (result, out) = try await Self.run(server, window: 350)
        defer { try? FileManager.default.removeItem(at: out) }
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("context window of 350 tokens"), "\(result.stderr)")
        #expect(result.stderr.contains("stub-model"), "\(result.stderr)")
        #expect(server.requests.allSatisfy { $0.json?["response_format"]?["json_schema"]?["name"] != "action" })
    }

    @Test("a window that holds the prompt: the run completes and every request fits it")
    func fits() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let (result, out) = try await Self.run(server, window: 2_000)
        defer { try? FileManager.default.removeItem(at: out) }
        // The stub's minimal answers make empty turns (recorded failures, exit 1), never exit 2.
        #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("1 of 1 units done"), "\(result.stderr)")
        for request in server.requests where request.json?["response_format"]?["json_schema"]?["name"] == "action" {
            let bytes = (request.json?["messages"]?.arrayValue ?? []).reduce(0) {
                $0 + ($1["content"]?.stringValue?.utf8.count ?? 0)
            }
            #expect(bytes / 3 <= 2_000)
        }
    }
}
