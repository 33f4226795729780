import AgoraTesting
import Foundation
import Inference
import Runs
import Scenarios
import Storage
import Testing

@Suite("Survey answer memory")
struct SurveyMemoryTests {
    static let items: [JSONValue] = [
        ["id": "q1", "type": "yes-no", "question": "First?"],
        ["id": "q2", "type": "single-choice", "question": "Second?", "options": ["A", "B"]],
        ["id": "q3", "type": "numeric", "question": "Third?", "integer": true],
        ["id": "q4", "type": "open", "question": "Fourth?"],
    ]

    static let answers: [String: String] = [
        "*|First?": #"{"answer": "Yes"}"#, "*|Second?": #"{"answer": "B"}"#, "*|Third?": #"{"answer": 7}"#,
        "*|Fourth?": #"{"answer": "Done."}"#,
    ]

    /// The item's prompt exactly as the respondent reads it.
    static func prompt(_ index: Int, _ scenario: Scenario) -> String {
        let item = scenario.survey!.items[index]
        return item.prompt(shown: item.options)
    }

    /// The (role, content) pairs after the system message of the request for item `n` (0-based) of Ann.
    func requestFor(_ memory: JSONValue?, item n: Int, context: String? = nil) async throws -> (
        [String], Scenario
    ) {
        var root = JSONObject()
        if let memory { root["memory"] = memory }
        var survey = JSONObject()
        if let context { survey["context"] = .string(context) }
        let scenario = try SurveyFixtures.scenario(Self.items, survey: survey, root: root)
        let model = SurveyFixtures.tableModel(Self.answers)
        _ = try await RunFixtures.run(scenario, model: model, limit: 1)
        let requests = model.requests
        #expect(requests.count == 4)
        let messages = requests[n].messages
        #expect(messages.first?.role == .system)
        return (messages.dropFirst().map { "\($0.role): \($0.content)" }, scenario)
    }

    @Test("none: item 3 sees only its own question")
    func none() async throws {
        let (messages, s) = try await requestFor(nil, item: 2)
        #expect(messages == ["user: \(Self.prompt(2, s))"])
        let (explicit, _) = try await requestFor("none", item: 2)
        #expect(explicit == messages)
    }

    @Test("full: item 3 sees items 1 and 2 with the respondent's own answers as its turns")
    func full() async throws {
        let (messages, s) = try await requestFor("full", item: 2)
        #expect(
            messages == [
                "user: \(Self.prompt(0, s))", #"assistant: {"answer":"Yes"}"#, "user: \(Self.prompt(1, s))",
                #"assistant: {"answer":"B"}"#, "user: \(Self.prompt(2, s))",
            ])
    }

    @Test("lagged 1: item 3 sees item 2 only")
    func lagged() async throws {
        let (messages, s) = try await requestFor(["lagged": 1], item: 2)
        #expect(
            messages == ["user: \(Self.prompt(1, s))", #"assistant: {"answer":"B"}"#, "user: \(Self.prompt(2, s))"])
    }

    @Test("targeted: item 3 sees item 1 only; item 2, not listed, sees nothing")
    func targeted() async throws {
        let memory: JSONValue = ["targeted": ["q3": ["q1"]]]
        let (messages, s) = try await requestFor(memory, item: 2)
        #expect(
            messages == ["user: \(Self.prompt(0, s))", #"assistant: {"answer":"Yes"}"#, "user: \(Self.prompt(2, s))"])
        let (second, _) = try await requestFor(memory, item: 1)
        #expect(second == ["user: \(Self.prompt(1, s))"])
    }

    @Test("the context opens the first message of the projection")
    func context() async throws {
        let (messages, s) = try await requestFor(["lagged": 1], item: 2, context: "An ad.")
        #expect(messages.first == "user: Please read this first:\nAn ad.\n\n\(Self.prompt(1, s))")
        #expect(messages.last == "user: \(Self.prompt(2, s))")
    }

    @Test("results are identical at concurrency 1 and 16 with full memory")
    func concurrency() async throws {
        let scenario = try SurveyFixtures.scenario(Self.items, root: ["memory": "full"])
        let one = try await RunFixtures.run(scenario, model: RunFixtures.scriptedModel(), concurrency: 1)
        let many = try await RunFixtures.run(scenario, model: RunFixtures.scriptedModel(), concurrency: 16)
        for name in ["transcripts.jsonl", "responses.csv", "results.json"] {
            #expect(try RunFixtures.read(one.directory, name) == RunFixtures.read(many.directory, name), "\(name)")
        }
    }

    static let bad: [(JSONValue, String, String)] = [
        ("some", "$.memory", "not a survey memory"),
        (["lagged": 0], "$.memory.lagged", "1"),
        (["targeted": ["q1": ["q3"]]], "$.memory.targeted.q1[0]", "not an item asked before"),
        (["targeted": ["qq": ["q1"]]], "$.memory.targeted.qq", "no item"),
        (["lagged": 1, "targeted": [:]], "$.memory", "exactly one"),
    ]

    @Test("a bad memory setting names its path", arguments: bad)
    func badMemory(_ row: (JSONValue, String, String)) {
        let error = SurveyFixtures.loadError(SurveyFixtures.document(Self.items, root: ["memory": row.0]))
        #expect(error?.path == row.1, "\(error?.message ?? "")")
        #expect(error?.message.contains(row.2) == true)
    }

    @Test("a survey rejects the conversation key \"context\"")
    func contextKey() {
        let error = SurveyFixtures.loadError(SurveyFixtures.document(Self.items, root: ["context": "full"]))
        #expect(error?.path == "$.context")
    }
}
