import AgoraTesting
import Foundation
import Storage
import Testing

/// `agora run --model http://…` against imitations of the servers users start by hand (#15).
@Suite("agora run against imitated OpenAI-compatible servers", .timeLimit(.minutes(3)))
struct ServerDialectCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(_ server: StubServer, _ extra: [String] = []) async throws -> (
        CommandRunner.Result, JSONValue?, URL
    ) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-dialect-\(UUID().uuidString)")
        let scenario = repository.appendingPathComponent("Scenarios/quick-survey.json").path
        let result = try await CommandRunner.agora(
            [
                "run", scenario, "--model", server.baseURL.absoluteString, "--model-name", "stub-model",
                "--no-cache", "--out", out.path,
            ] + extra, environment: [:])
        let runs = (try? FileManager.default.contentsOfDirectory(at: out, includingPropertiesForKeys: nil)) ?? []
        let results = runs.first.flatMap { try? Data(contentsOf: $0.appendingPathComponent("results.json")) }
        return (result, results.flatMap { try? JSONValue.parse($0) }, out)
    }

    @Test("the quick survey against llama-cpp-python has 0 failed items and one call per item")
    func llamaCppPython() async throws {
        let server = try StubServer(configuration: .init(imitation: .llamaCppPython))
        defer { server.stop() }
        let (result, results, out) = try await Self.run(server)
        defer { try? FileManager.default.removeItem(at: out) }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("5 of 5 units done, 0 failed, 0 items failed"), "\(result.stderr)")
        #expect(server.requestCount == 15)  // 5 respondents × 3 items, no rejected json_schema call
        #expect(server.requests.allSatisfy { $0.json?["response_format"]?["type"] == "json_object" })
        let model = try #require(results?["usage"]?["models"]?[0])
        #expect(model["server"] == "llama-cpp-python")
        #expect(model["contextWindow"] == .null)
    }

    @Test("--context-window is recorded for a server that does not report one, and vLLM's own is learned")
    func windows() async throws {
        let python = try StubServer(configuration: .init(imitation: .llamaCppPython))
        defer { python.stop() }
        let (first, pythonResults, out1) = try await Self.run(python, ["--context-window", "4096", "--limit", "1"])
        defer { try? FileManager.default.removeItem(at: out1) }
        #expect(first.status == 0, "\(first.stderr)")
        #expect(pythonResults?["usage"]?["models"]?[0]?["contextWindow"] == 4096)
        #expect(pythonResults?["usage"]?["models"]?[0]?["contextSource"] == "--context-window")

        let vllm = try StubServer(configuration: .init(imitation: .vLLM, contextWindow: 16_384))
        defer { vllm.stop() }
        let (second, vllmResults, out2) = try await Self.run(vllm, ["--limit", "1"])
        defer { try? FileManager.default.removeItem(at: out2) }
        #expect(second.status == 0, "\(second.stderr)")
        #expect(vllmResults?["usage"]?["models"]?[0]?["server"] == "vllm")
        #expect(vllmResults?["usage"]?["models"]?[0]?["contextWindow"] == 16_384)
    }

    @Test("a server that refuses the prompt as too long stops the run with exit 2 and the window to set")
    func overflow() async throws {
        let server = try StubServer(configuration: .init(imitation: .llamaServer, contextWindow: 40))
        defer { server.stop() }
        // --context-window larger than the server's: prompts are not cut, and the server refuses them.
        let (result, _, out) = try await Self.run(server, ["--context-window", "100000", "--limit", "1"])
        defer { try? FileManager.default.removeItem(at: out) }
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("--context-window 40"), "\(result.stderr)")
    }

    @Test("--structured must name a known form")
    func badStructured() async throws {
        let result = try await CommandRunner.agora(
            ["run", "x.json", "--model", "http://127.0.0.1:9/v1", "--structured", "xml"], environment: [:])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--structured must be one of json-schema, grammar, json-object, text"))
    }
}
