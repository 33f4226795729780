import AgoraTesting
import Foundation
import Inference
import Runs
import Scenarios
import Storage
import Testing

@Suite("The context projection switch: ECP or the CONCAT baseline")
struct ContextProjectionTests {
    static func parsed(_ context: String?) throws -> Scenario {
        var text = RunConversationTests.focusGroup
        if let context {
            text = text.replacingOccurrences(of: "\"generation\"", with: "\"context\": \(context),\n \"generation\"")
        }
        return try Scenario.parse(try JSONValue.parse(text))
    }

    @Test("\"ecp\" and \"concat\" strings and the object's \"projection\" key; existing forms unchanged")
    func loading() throws {
        #expect(try Self.parsed(nil).context == ScenarioContext())
        #expect(try Self.parsed(#""ecp""#).context == ScenarioContext())
        #expect(try Self.parsed(#""bounded""#).context == ScenarioContext())
        #expect(try Self.parsed(#""full""#).context == ScenarioContext.full)
        var concat = ScenarioContext()
        concat.projection = .concat
        #expect(try Self.parsed(#""concat""#).context == concat)
        #expect(try Self.parsed(#"{"projection": "concat"}"#).context == concat)
        var fullConcat = ScenarioContext.full
        fullConcat.projection = .concat
        #expect(try Self.parsed(#"{"history": "full", "projection": "concat"}"#).context == fullConcat)
        let bad = try #require(
            RunMemoryTests.parseError(
                RunConversationTests.focusGroup.replacingOccurrences(
                    of: "\"generation\"", with: "\"context\": {\"projection\": \"egocentric\"},\n \"generation\"")))
        #expect(bad.path == "$.context.projection")
        #expect(bad.message.contains("\"ecp\"") && bad.message.contains("\"concat\""))
    }

    @Test("--context rewrites the document: added, merged into the object form, refused for surveys")
    func documentPatch() throws {
        let base = try JSONValue.parse(RunConversationTests.focusGroup)
        let added = try Scenario.document(base, projection: .concat)
        #expect(added["context"] == "concat")
        var full = base.objectValue ?? JSONObject()
        full["context"] = "full"
        let merged = try Scenario.document(.object(full), projection: .concat)
        #expect(merged["context"] == ["history": "full", "projection": "concat"])
        #expect(try Scenario.parse(merged).context.projection == .concat)
        #expect(try Scenario.parse(merged).context.window == nil)
        #expect(throws: RunError.self) { try Scenario.document(RunFixtures.surveyDocument, projection: .ecp) }
    }

    @Test("same seed, different projection: CONCAT requests carry one transcript message, ECP's the speakers' turns")
    func requestsDiffer() async throws {
        var requests: [[ChatRequest]] = []
        for context in [#""ecp""#, #""concat""#] {
            let model = RunConversationTests.model()
            let summary = try await ScenarioRunner.run(
                scenario: try Self.parsed(context), model: model,
                options: RunOptions(outDirectory: RunFixtures.temporaryDirectory()))
            #expect(summary.results["projection"]?.stringValue == (context == #""ecp""# ? "ecp" : "concat"))
            requests.append(model.requests)
        }
        // The same calls in the same order with the same seeds; only the messages differ.
        #expect(requests[0].count == requests[1].count)
        #expect(requests[0].map(\.seed) == requests[1].map(\.seed))
        #expect(requests[0].map(\.messages) != requests[1].map(\.messages))
        let turns = { (list: [ChatRequest]) in
            list.filter { $0.messages.first?.content.contains("focus group") == true }
        }
        #expect(turns(requests[0]).contains { $0.messages.contains { $0.role == .assistant } })
        #expect(turns(requests[1]).allSatisfy { request in request.messages.map(\.role) == [.system, .user] })
    }
}
