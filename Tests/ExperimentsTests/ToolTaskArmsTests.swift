import AgoraTesting
import Experiments
import Foundation
import Runs
import Storage
import Testing

@Suite("Experiments over tool tasks")
struct ToolTaskArmsTests {
    static let domain = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios/domains/support-desk").path

    @Test("the gold agent against the no-op agent: pass shares, pass^k per arm and the bootstrap difference")
    func goldVersusNoop() async throws {
        let document: JSONValue = [
            "kind": "experiment", "id": "agents", "seed": 4,
            "base": [
                "kind": "tool-tasks", "domain": .string(Self.domain), "tasks": ["sd-001", "sd-004"],
                "agent": "gold", "user": "scripted", "trials": 2,
            ],
            "arms": [["name": "gold", "patch": [:]], ["name": "noop", "patch": ["agent": "noop"]]],
        ]
        let summary = try await ExperimentFixtures.run(document, model: ScriptedModel(replies: []))
        #expect(summary.unitsDone == 8)  // 2 arms × 2 tasks × 2 trials: trials are not respondents
        let outcome = try #require(summary.results["experiment"]?["outcomes"]?[0])
        #expect(outcome["id"] == "passed")
        #expect(outcome["measure"] == "pass")
        let shares = outcome["arms"]?.arrayValue?.map { $0["shares"]?[1]?["share"]?.doubleValue } ?? []
        #expect(shares == [1, 0])
        let passK = try #require(outcome["passK"]?.arrayValue)
        #expect(passK.count == 2)  // k = 1, 2
        let difference = try #require(passK[1]["differences"]?[0])
        #expect(difference["estimate"]?.doubleValue == -1)
        #expect(difference["low"]?.doubleValue == -1 && difference["high"]?.doubleValue == -1)
        // Each arm keeps its own tool-task results.
        #expect(summary.results["arms"]?[0]?["results"]?["trials"]?.arrayValue?.count == 4)
    }
}
