import AgoraTesting
import Foundation
import Testing

@Suite("agora fidelity on the command line", .serialized, .enabled(if: CommandRunner.agoraBinary != nil))
struct FidelityCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var anes: String { root.appendingPathComponent("Scenarios/benchmarks/anes1996").path }

    @Test("fidelity baseline prints the four reference points of the shipped ANES package")
    func baseline() async throws {
        let result = try await CommandRunner.agora(["fidelity", "baseline", Self.anes, "--resamples", "100"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(
            lines.dropFirst().map { String($0.prefix(12)).trimmingCharacters(in: .whitespaces) } == [
                "uniform", "majority", "demographic", "splitHalf",
            ])
    }

    @Test("a bad package exits 2 naming the file, the place and the fix, and writes nothing")
    func badPackage() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-fid-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let survey = try String(contentsOfFile: Self.anes + "/survey.json", encoding: .utf8)
        try survey.write(to: folder.appendingPathComponent("survey.json"), atomically: true, encoding: .utf8)
        var csv = try String(contentsOfFile: Self.anes + "/respondents.csv", encoding: .utf8)
        csv += "r0945,40,3,1,0,7,6,7\n"  // a ragged last row
        try csv.write(to: folder.appendingPathComponent("respondents.csv"), atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("runs")
        let result = try await CommandRunner.agora([
            "fidelity", "run", folder.path, "--sample", "3", "--out", out.path, "--model", "http://127.0.0.1:9/v1",
            "--no-cache",
        ])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("respondents.csv: line 946, column 8: this row has 8 cells but the header has 11"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}

@Suite(
    "agora fidelity run on the local model", .serialized, .enabled(if: LocalModelFixture.isAvailable),
    .timeLimit(.minutes(10)))
struct FidelityLocalModelTests {
    @Test("fidelity run on the shipped ANES package with a small sample writes every output with its structure")
    func anesSmallSample() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-fid-local-\(UUID().uuidString)")
        let result = try await CommandRunner.agora([
            "fidelity", "run", FidelityCommandTests.anes, "--sample", "2", "--seed", "3", "--resamples", "50",
            "--condition-on", "party_id", "--out", out.path,
        ])
        #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
        let runLine = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("run: ") })
        let directory = URL(fileURLWithPath: String(runLine.dropFirst(5)))
        for name in ["results.json", "fidelity.csv", "report.html", "responses.csv", "transcripts.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), "\(name)")
        }
        let results = try String(contentsOf: directory.appendingPathComponent("results.json"), encoding: .utf8)
        for key in [
            "\"fidelity\"", "\"referencePoints\"", "\"splitHalf\"", "\"subgroups\"", "\"quality\"", "\"pattern\"",
        ] {
            #expect(results.contains(key), "\(key)")
        }
        #expect(results.contains("\"conditionOn\": [\n        \"party_id\"\n      ]"))
    }
}
