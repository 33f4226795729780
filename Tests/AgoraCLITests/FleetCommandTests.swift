import AgoraTesting
import Foundation
import Storage
import Testing

/// `agora run --model URL,URL` and `--model @FILE` end to end.
@Suite("agora run with a model fleet", .serialized, .timeLimit(.minutes(2)))
struct FleetCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let scenario = repository.appendingPathComponent("Scenarios/quick-survey.json").path

    @Test("a survey over two endpoints: both answer, usage is under fleet#MODEL, the manifest lists both URLs")
    func surveyOverAFleet() async throws {
        // Slow enough that one endpoint cannot take every request while the other idles.
        let a = try StubServer(configuration: .init(latency: 0.05))
        let b = try StubServer(configuration: .init(latency: 0.05))
        defer {
            a.stop()
            b.stop()
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-fleet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try await CommandRunner.agora([
            "run", Self.scenario, "--out", out.path, "--no-cache", "--concurrency", "2", "--model",
            "\(a.baseURL.absoluteString),\(b.baseURL.absoluteString)", "--model-name", "stub-model",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(a.requestCount + b.requestCount == 15)
        #expect(a.requestCount > 0 && b.requestCount > 0, "\(a.requestCount) and \(b.requestCount)")
        let run = out.appendingPathComponent("quick-survey-s7")
        let results = try JSONValue.parse(try Data(contentsOf: run.appendingPathComponent("results.json")))
        #expect(results["usage"]?["models"]?[0]?["model"] == "fleet#stub-model")
        let connection = try Connection(.file(run.appendingPathComponent("run.sqlite").path), readOnly: true)
        let text = try #require(
            try connection.queryOne("SELECT value FROM manifest WHERE key = 'models'")?.string("value"))
        let models = try JSONValue.parse(text)
        #expect(models[0]?["model"] == "fleet#stub-model")
        #expect(
            models[0]?["fleet"]?.arrayValue?.compactMap { $0["endpoint"]?.stringValue }
                == [a.baseURL.absoluteString, b.baseURL.absoluteString])
        #expect(models[0]?["fleet"]?.arrayValue?.compactMap { $0["served"]?.intValue }.reduce(0, +) == 15)
    }

    @Test("a bad endpoints file is refused with exit 2, naming the file and line")
    func badEndpointsFile() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("endpoints-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try "http://127.0.0.1:9/v1\n# a comment\nlocalhost:8000\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try await CommandRunner.agora(["run", Self.scenario, "--model", "@\(file.path)", "--no-cache"])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("\(file.path) line 3: \"localhost:8000\" is not an http(s)://…/v1 URL"),
            "\(result.stderr)")
    }
}
