import AgoraTesting
import Foundation
import Runs
import Scenarios
import Storage
import Testing

@Suite("Hardening: an unknown splitBy attribute")
struct SplitHardeningTests {
    @Test("is bad input at $.splitBy[i] with a suggestion, before any model call")
    func unknownSplit() async throws {
        guard case .object(var document) = RunFixtures.surveyDocument else { throw RunError(.invalidInput, "fixture") }
        document["splitBy"] = ["sex", "regoin"]
        let scenario = try Scenario.parse(.object(document))
        let model = ScriptedModel(replies: [])
        do {
            _ = try await RunFixtures.run(scenario, model: model)
            Issue.record("a run split by a missing attribute started")
        } catch let error as RunError {
            #expect(error.path == "$.splitBy[1]")
            #expect(error.message.hasPrefix("no persona has the attribute \"regoin\" (did you mean \"region\"?)"))
        }
        #expect(model.requests.isEmpty)
    }
}
