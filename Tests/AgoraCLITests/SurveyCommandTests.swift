import AgoraTesting
import Foundation
import Storage
import Testing

/// `agora run --estimate`, `agora survey export` and `agora survey import` through the binary.
@Suite(.timeLimit(.minutes(2)))
struct SurveyCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let allTypes = root.appendingPathComponent("Scenarios/survey-all-types.json").path

    @Test func estimatePrintsCallsAndTokensWithoutAModel() async throws {
        let result = try await CommandRunner.agora(["run", Self.allTypes, "--estimate", "--no-cache"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("units: 4\n"))
        #expect(result.stdout.contains("model calls: 52 "))
        #expect(result.stdout.contains("cost: 0.0000"))
        #expect(result.stdout.contains("counted as asked (their flow reads earlier answers): drinks, buy, where"))
        #expect(result.stderr.contains("no model was called"))
    }

    @Test func estimateWithAPriceFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-prices-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let prices = folder.appendingPathComponent("prices.json")
        try Data(#"{"my-model": {"prompt": 1000000, "completion": 0}}"#.utf8).write(to: prices)
        let result = try await CommandRunner.agora([
            "run", Self.allTypes, "--estimate", "--no-cache", "--model", "http://127.0.0.1:9/v1", "--model-name",
            "my-model", "--prices", prices.path, "--limit", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // 1,000,000 per million prompt tokens: the cost is the prompt token count.
        let lines = result.stdout.split(separator: "\n")
        let tokens = lines.first { $0.hasPrefix("prompt tokens: ") }?.dropFirst("prompt tokens: ".count)
        let cost = lines.first { $0.hasPrefix("cost: ") }?.dropFirst("cost: ".count)
        #expect(tokens.flatMap { Double($0) } == cost.flatMap { Double($0) })
        #expect(result.stdout.contains("units: 1\n"))
    }

    @Test func exportThenImport() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-qsf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let qsf = folder.appendingPathComponent("all.qsf").path
        let exported = try await CommandRunner.agora(["survey", "export", Self.allTypes, "--qsf", qsf])
        #expect(exported.status == 1, "\(exported.stderr)")
        #expect(exported.stderr.contains("not converted: stimuli: not written"))
        #expect(exported.stderr.contains("not converted: top (top-k): written as a full rank order"))
        let document = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: qsf)))
        #expect(document["SurveyElements"]?.arrayValue?.count == 17)  // BL, FL, SO, the context, 13 questions
        let back = folder.appendingPathComponent("back.json").path
        let imported = try await CommandRunner.agora(["survey", "import", qsf, "--out", back, "--id", "back"])
        #expect(imported.status == 0 || imported.status == 1, "\(imported.stderr)")
        let scenario = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: back)))
        #expect(scenario["kind"] == "survey")
        #expect(scenario["survey"]?["items"]?.arrayValue?.count == 13)
        let bad = try await CommandRunner.agora(["survey", "import", Self.allTypes])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("not a Qualtrics survey export"))
    }
}
