import AgoraTesting
import Foundation
import Storage
import Testing

@Suite("agora run and agora report on an experiment", .timeLimit(.minutes(3)))
struct ExperimentCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the shipped A/B experiment runs a slice against a stub endpoint and its report is rebuilt")
    func abSlice() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-exp-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let scenario = Self.repository.appendingPathComponent("Scenarios/experiments/ad-copy-ab.json").path
        let run = try await CommandRunner.agora([
            "run", scenario, "--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--limit", "6",
            "--no-cache", "--out", out.path,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let folder = out.appendingPathComponent("ad-copy-ab-s11")
        for name in ["results.json", "effects.csv", "report.html", "transcripts.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
        }
        let results = try JSONValue.parse(try Data(contentsOf: folder.appendingPathComponent("results.json")))
        #expect(results["experiment"]?["arms"]?.arrayValue?.compactMap { $0["n"]?.intValue } == [3, 3])
        // One line per effect on stdout (the stub's answers follow each respondent's option order).
        #expect(run.stdout.contains("- buy · Yes · benefit-led − plain: "), "\(run.stdout)")
        let csv = try String(contentsOf: folder.appendingPathComponent("effects.csv"), encoding: .utf8)
        #expect(csv.contains("\ncomparison,buy,plain,benefit-led,difference in share (b − a),Yes,"))
        let report = try await CommandRunner.agora(["report", folder.path, "--format", "md"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("warning: small sample: plain (n = 3), benefit-led (n = 3)"))
    }
}
