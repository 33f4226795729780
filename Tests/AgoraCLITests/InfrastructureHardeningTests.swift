import AgoraTesting
import Foundation
import Storage
import Testing

/// An endpoint that cannot be used is infrastructure: exit 3, units left pending, resume retries.
@Suite("Hardening: infrastructure errors are not scored as agent failures", .timeLimit(.minutes(2)))
struct InfrastructureHardeningTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("a model agent whose endpoint answers 401: exit 3, no trial graded, the unit still pending")
    func unusableAgentEndpoint() async throws {
        let (right, wrong) = (FakeKey.make("right-"), FakeKey.make("wrong-"))
        let stub = try StubServer(configuration: .init(requiredAPIKey: right))
        defer { stub.stop() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-infra-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let domain = Self.repository.appendingPathComponent("Scenarios/domains/support-desk").path
        let result = try await CommandRunner.agora(
            [
                "tasks", "run", domain, "--tasks", "sd-001", "--agent", "model:" + stub.baseURL.absoluteString,
                "--model-name", "stub-model", "--no-cache", "--out", out.path, "--json",
            ], environment: ["AGORA_API_KEY": wrong])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("continue with agora tasks run --resume"), "\(result.stderr)")
        let run = try #require(
            FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasPrefix("tasks-") })
        let results = try JSONValue.parse(
            try Data(contentsOf: out.appendingPathComponent(run).appendingPathComponent("results.json")))
        #expect(results["unitsDone"] == 0)
        #expect(results["trials"] == [])

        // Once the key is right, --resume runs the pending unit (and only it).
        let resumed = try await CommandRunner.agora(
            [
                "tasks", "run", "--resume", out.appendingPathComponent(run).path, "--agent",
                "model:" + stub.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache", "--json",
            ], environment: ["AGORA_API_KEY": right])
        #expect(resumed.status == 0 || resumed.status == 1, "\(resumed.stderr)")
        let after = try JSONValue.parse(
            try Data(contentsOf: out.appendingPathComponent(run).appendingPathComponent("results.json")))
        #expect(after["unitsDone"] == 1, "\(resumed.stderr)")
        #expect(after["trials"]?.arrayValue?.count == 1)
    }
}

@Suite("Hardening: narratives against an unusable endpoint", .timeLimit(.minutes(2)))
struct NarrativeEndpointHardeningTests {
    @Test("population generate --narratives against a 401: exit 3, not 1 with every narrative failed")
    func unusableNarrativeEndpoint() async throws {
        let (right, wrong) = (FakeKey.make("right-"), FakeKey.make("wrong-"))
        let stub = try StubServer(configuration: .init(requiredAPIKey: right))
        defer { stub.stop() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-narr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let spec = InfrastructureHardeningTests.repository.appendingPathComponent(
            "Scenarios/populations/us-adults.json")
        let result = try await CommandRunner.agora(
            [
                "population", "generate", "--spec", spec.path, "--count", "3", "--seed", "1", "--out",
                out.appendingPathComponent("people.jsonl").path, "--narratives", "--model", stub.baseURL.absoluteString,
                "--model-name", "stub-model", "--no-cache",
            ], environment: ["AGORA_API_KEY": wrong])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("the model endpoint is unusable"), "\(result.stderr)")
    }
}
