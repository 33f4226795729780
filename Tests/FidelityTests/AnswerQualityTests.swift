import AgoraTesting
import Environments
import Foundation
import Inference
import Runs
import Storage
import Testing

@Suite("Answer-quality flags on every survey run")
struct AnswerQualityTests {
    @Test("modal share, normalised entropy and the degenerate flag on a hand-made item")
    func items() {
        let quality = AnswerQuality.report(
            [
                AnswerQuality.Item(id: "a", optionCount: 4, answers: [0, 0, 1, 1], scale: false),
                AnswerQuality.Item(id: "b", optionCount: 2, answers: Array(repeating: 1, count: 20), scale: false),
                AnswerQuality.Item(id: "c", optionCount: 3, answers: [-1, -1, -1, -1], scale: false),
            ], respondents: 4)
        // a: shares (½, ½, 0, 0): modal ½, entropy ln 2 / ln 4 = ½.
        #expect(quality["items"]?[0]?["modalShare"] == 0.5)
        #expect(quality["items"]?[0]?["normalisedEntropy"] == 0.5)
        #expect(quality["items"]?[0]?["degenerate"] == false)
        #expect(quality["items"]?[1]?["degenerate"] == true)
        // c: nobody answered: null, never 0.
        #expect(quality["items"]?[2]?["modalShare"] == .null)
        // Every respondent failed 1 of 3 items: a third, not over half.
        #expect(quality["failedItems"]?["meanShare"] == 0.333333)
        #expect(quality["failedItems"]?["overHalf"] == 0)
        #expect(quality["flags"]?.arrayValue?.count == 1)
    }

    @Test("the exact two-sided binomial test")
    func binomial() {
        // 5 of 5 at p = 1/4: only x = 5 is as unlikely as observed: (1/4)^5.
        #expect(abs(AnswerQuality.binomialTwoSided(5, 5, 0.25) - 1.0 / 1024) < 1e-12)
        // 1 of 2 at ½: every outcome is at most as likely → 1.
        #expect(AnswerQuality.binomialTwoSided(1, 2, 0.5) == 1)
    }

    @Test("straight-lining across scale items")
    func straightLining() {
        let items = (0..<3).map { i in
            AnswerQuality.Item(id: "s\(i)", optionCount: 5, answers: [2, 2, i], scale: true)
        }
        let quality = AnswerQuality.report(items, respondents: 3)
        #expect(quality["straightLining"]?["straightLined"] == 2)
        #expect(quality["straightLining"]?["respondents"] == 3)
    }

    @Test(
        "the quick survey answered like the tiny local model does trips the flags, in results.json and on top of report.html"
    )
    func quickSurvey() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-quality-\(UUID().uuidString)")
        // "1 · Not at all" interested, "Yes" to buying, and the first price option shown.
        let model = ScriptedModel { request in
            let question = request.messages.last?.content ?? ""
            if question.contains("How interested") { return #"{"answer": 1}"# }
            if question.contains("Would you buy") { return #"{"answer": "Yes"}"# }
            let first = question.split(separator: "\n").first { $0.hasPrefix("- ") }.map { $0.dropFirst(2) } ?? ""
            return #"{"answer": "\#(first)"}"#
        }
        let summary = try await Launcher.run(
            file: root.appendingPathComponent("Scenarios/quick-survey.json").path,
            options: RunOptions(outDirectory: out), models: FixedModels(model))
        let quality = try #require(summary.results["quality"])
        let flags = quality["flags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(flags.contains { $0.hasPrefix("interest: 100% gave the same answer (n = 5)") })
        #expect(flags.contains { $0.hasPrefix("buy: 100% gave the same answer (n = 5)") })
        #expect(flags.contains { $0.hasPrefix("price: 5 of 5 chose the first option shown") })
        #expect(quality["items"]?[2]?["positionBias"]?["pValue"] == .number(0.000977))
        let html = try String(contentsOf: summary.directory.appendingPathComponent("report.html"), encoding: .utf8)
        let banner = try #require(html.range(of: "Answer-quality flags"))
        let answers = try #require(html.range(of: "<h2>Answers</h2>"))
        #expect(banner.lowerBound < answers.lowerBound)
    }
}
