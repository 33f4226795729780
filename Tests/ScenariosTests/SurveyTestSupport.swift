import AgoraTesting
import Foundation
import Inference
import Runs
import Scenarios
import Storage

/// Builders of small surveys for the survey-instrument tests.
enum SurveyFixtures {
    /// Three inline respondents with an age and a region.
    static let people: JSONValue = [
        "inline": [
            ["id": "a", "name": "Ann", "attributes": ["age": 30, "region": "north"]],
            ["id": "b", "name": "Bob", "attributes": ["age": 45, "region": "south"]],
            ["id": "c", "name": "Cy", "attributes": ["age": 60, "region": "north"]],
        ]
    ]

    /// A survey document with `items` (and optional extra survey and root keys).
    static func document(
        _ items: [JSONValue], survey extra: JSONObject = JSONObject(), root: JSONObject = JSONObject()
    ) -> JSONValue {
        var survey = JSONObject([("items", .array(items))])
        for (k, v) in extra { survey[k] = v }
        var o = JSONObject([
            ("id", "t"), ("kind", "survey"), ("seed", 5), ("population", people), ("survey", .object(survey)),
        ])
        for (k, v) in root { o[k] = v }
        return .object(o)
    }

    static func scenario(
        _ items: [JSONValue], survey extra: JSONObject = JSONObject(), root: JSONObject = JSONObject()
    ) throws -> Scenario {
        try Scenario.parse(document(items, survey: extra, root: root), file: "t.json")
    }

    /// The load error of a document, if any.
    static func loadError(_ document: JSONValue) -> RunError? {
        do {
            _ = try Scenario.parse(document, file: "t.json")
            return nil
        } catch {
            return error
        }
    }

    /// The respondent's name in a request (`You are NAME.` opens the system message).
    static func respondent(_ request: ChatRequest) -> String {
        let system = request.messages.first?.content ?? ""
        guard system.hasPrefix("You are ") else { return "" }
        return String(system.dropFirst(8).prefix { $0 != "." })
    }

    /// The question text of a request's last user message (its first line, after any context).
    static func question(_ request: ChatRequest) -> String {
        let last = request.messages.last { $0.role == .user }?.content ?? ""
        let body = last.components(separatedBy: "\n\n").last ?? last
        return body.components(separatedBy: "\n").first ?? ""
    }

    /// A model answering by (respondent name, question first line) from `table`; `{"answer": "?"}` otherwise.
    static func tableModel(_ table: [String: String]) -> ScriptedModel {
        ScriptedModel(rule: { request in
            table["\(respondent(request))|\(question(request))"] ?? table["*|\(question(request))"]
                ?? "{\"answer\": \"?\"}"
        })
    }

    /// Runs and reads back results.json and responses.csv.
    static func run(_ scenario: Scenario, model: any LanguageModel, concurrency: Int = 1, limit: Int? = nil)
        async throws -> (summary: RunSummary, results: JSONValue, csv: [String])
    {
        let summary = try await RunFixtures.run(scenario, model: model, concurrency: concurrency, limit: limit)
        let results = try JSONValue.parse(try RunFixtures.read(summary.directory, "results.json"))
        let csv = try RunFixtures.read(summary.directory, "responses.csv").split(separator: "\n").map(String.init)
        return (summary, results, csv)
    }
}
