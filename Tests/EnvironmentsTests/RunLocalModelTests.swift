import AgoraTesting
import Environments
import Foundation
import Inference
import Storage
import Testing

/// Every runnable shipped scenario against the real local model, at a tiny size (the model is slow
/// here: about 15 calls in all).
@Suite("Shipped scenarios on the local model", .serialized, .enabled(if: LocalModelFixture.isAvailable))
struct RunLocalModelTests {
    @Test(
        "each shipped scenario runs on the local model at a tiny size and writes valid outputs",
        .timeLimit(.minutes(10)),
        arguments: ["quick-survey", "consumer-survey", "interview", "focus-group", "brainstorm"])
    func runs(name: String) async throws {
        let model = try await LocalModelFixture.model()
        let summary = try await RunFixtures.run(
            try ShippedScenarios.tiny(name, turns: 2, maxTokens: 96), model: model, limit: 1)
        #expect(summary.unitsDone == 1, "unit failed: see \(summary.directory.path)")
        let transcripts = try RunFixtures.read(summary.directory, "transcripts.jsonl")
        let line = try JSONValue.parse(String(transcripts.split(separator: "\n").first ?? ""))
        #expect(line["events"]?.arrayValue?.isEmpty == false)
        let results = try JSONValue.parse(try RunFixtures.read(summary.directory, "results.json"))
        #expect((results["usage"]?["calls"]?.intValue ?? 0) >= 1)
        if name == "quick-survey" {
            let csv = try RunFixtures.read(summary.directory, "responses.csv")
            #expect(csv.split(separator: "\n").count == 2)
        }
    }
}
