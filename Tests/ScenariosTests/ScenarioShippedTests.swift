import Agents
import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Testing
import Worlds

/// The scenarios shipped in Scenarios/, run the way argument-parser runs its examples.
enum ShippedScenarios {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios")

    static let names = [
        "quick-survey", "consumer-survey", "interview", "focus-group", "brainstorm", "survey-all-types",
    ]

    static func path(_ name: String) -> String { folder.appendingPathComponent("\(name).json").path }

    static func document(_ name: String) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// The scenario shrunk to a tiny size: one phase of `turns` turns, or one question without follow-ups,
    /// and optionally tighter token budgets (structured answers `maxTokens`, turns half of it).
    static func tiny(_ name: String, turns: Int = 2, maxTokens: Int? = nil) throws -> Scenario {
        guard case .object(var root) = try document(name) else {
            throw RunError(.invalidInput, "not an object")
        }
        // Memory costs one MemListener call per agent per phase: too slow for seven agents on the
        // local model here; RunLocalModelTests.interviewWithMemory runs it on one respondent.
        root["memory"] = nil
        if let maxTokens, case .object(var generation) = root["generation"] ?? .object(JSONObject()) {
            generation["maxTokens"] = .integer(Int64(maxTokens))
            generation["turnMaxTokens"] = .integer(Int64(maxTokens / 2))
            root["generation"] = .object(generation)
            // survey-all-types keeps its 13 items: it is the shipped run of every item type.
            if name != "survey-all-types", case .object(var survey) = root["survey"] ?? .null,
                let items = survey["items"]?.arrayValue
            {
                survey["items"] = .array(Array(items.prefix(3)))  // the local model is slow: 3 items at most
                root["survey"] = .object(survey)
            }
        }
        if case .object(var session) = root["session"] ?? .null,
            case .object(var phase) = session["phases"]?[0] ?? .null
        {
            phase["turns"] = .integer(Int64(turns))
            session["phases"] = [.object(phase)]
            root["session"] = .object(session)
        }
        if case .object(var interview) = root["interview"] ?? .null,
            case .object(var question) = interview["questions"]?[0] ?? .null
        {
            question["followUps"] = 0
            interview["questions"] = [.object(question)]
            root["interview"] = .object(interview)
        }
        return try Scenario.parse(.object(root), file: path(name), baseDirectory: folder.path)
    }
}

@Suite("Shipped scenarios")
struct ScenarioShippedTests {
    @Test("every shipped scenario file loads", arguments: ShippedScenarios.names)
    func loads(name: String) throws {
        let scenario = try Scenario.parse(
            try ShippedScenarios.document(name), file: ShippedScenarios.path(name),
            baseDirectory: ShippedScenarios.folder.path,
            checkFiles: true)
        #expect(scenario.id.isEmpty == false)
    }

    @Test("the consumer survey has at least 10 items of every type for 200 respondents from us-adults")
    func consumerSurvey() throws {
        let scenario = try Scenario.parse(
            try ShippedScenarios.document("consumer-survey"), file: ShippedScenarios.path("consumer-survey"),
            baseDirectory: ShippedScenarios.folder.path, checkFiles: false)
        let items = try #require(scenario.survey?.items)
        #expect(items.count >= 10)
        #expect(Set(items.map(\.typeName)) == ["likert", "single-choice", "multiple-choice", "numeric", "open"])
        guard case .spec(let path, let count, _) = scenario.population.base else {
            Issue.record("not a generated population")
            return
        }
        #expect(path.hasSuffix("Scenarios/populations/us-adults.json"))
        #expect(count == 200)
    }

    @Test("the focus group has a moderator and 6 participants")
    func focusGroupSize() throws {
        let scenario = try Scenario.load(file: ShippedScenarios.path("focus-group"))
        #expect(scenario.session?.participants.count == 7)
        #expect(scenario.session?.participants.contains(scenario.session?.moderator ?? "") == true)
    }

    @Test(
        "each runnable shipped scenario runs scripted at a tiny size and writes valid outputs",
        arguments: ["quick-survey", "consumer-survey", "interview", "focus-group", "brainstorm", "survey-all-types"])
    func runsScripted(name: String) async throws {
        let summary = try await RunFixtures.run(
            try ShippedScenarios.tiny(name), model: RunConversationTests.model(), limit: 2)
        #expect(summary.unitsDone >= 1)
        #expect(summary.unitsFailed == 0)
        for line in try RunFixtures.read(summary.directory, "transcripts.jsonl").split(separator: "\n") {
            #expect(throws: Never.self) { try JSONValue.parse(String(line)) }
        }
        let results = try JSONValue.parse(try RunFixtures.read(summary.directory, "results.json"))
        #expect(results["units"]?["done"]?.intValue == Int64(summary.unitsDone))
        #expect(try RunFixtures.read(summary.directory, "report.html").hasSuffix("</html>\n"))
        if name == "consumer-survey" {
            // 200 personas generated with exact quotas from us-adults; the first 2 answered.
            #expect(summary.unitsTotal == 200)
            let csv = try RunFixtures.read(summary.directory, "responses.csv")
            #expect(csv.split(separator: "\n").first?.contains("demo.sex") == true)
            #expect(results["splits"]?.arrayValue?.count == 3)
        }
    }
}
