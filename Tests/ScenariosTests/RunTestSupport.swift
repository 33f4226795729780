import Agents
import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Worlds

/// Shared helpers for the scenario and run tests.
enum RunFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures/runs")

    /// A fresh temporary folder.
    static func temporaryDirectory(_ name: String = "run") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A survey with every item type, six inline personas, option randomisation and a split.
    static let surveyText = #"""
        {
          "version": 1, "id": "mini-survey", "kind": "survey", "title": "Mini survey", "seed": 11,
          "population": {"inline": [
            {"id": "p1", "name": "Person 1", "attributes": {"age": 27, "sex": "male", "region": "south"}},
            {"id": "p2", "name": "Person 2", "attributes": {"age": 34, "sex": "female", "region": "east"}},
            {"id": "p3", "name": "Person 3", "attributes": {"age": 41, "sex": "male", "region": "north"}},
            {"id": "p4", "name": "Person 4", "attributes": {"age": 48, "sex": "female", "region": "south"}},
            {"id": "p5", "name": "Person 5", "attributes": {"age": 55, "sex": "male", "region": "east"}},
            {"id": "p6", "name": "Person 6", "attributes": {"age": 62, "sex": "female", "region": "north"}}
          ]},
          "generation": {"temperature": 0.5, "maxTokens": 60},
          "splitBy": ["sex"],
          "survey": {
            "context": "Acme sells a solar kettle for $49.",
            "randomizeOptions": true,
            "items": [
              {"id": "likes", "type": "likert", "question": "I like the kettle.",
               "scale": {"min": 1, "max": 5, "labels": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]}},
              {"id": "buy", "type": "single-choice", "question": "Would you buy it?", "options": ["Yes", "No", "Maybe"]},
              {"id": "features", "type": "multiple-choice", "question": "Which features matter?",
               "options": ["Price", "Speed", "Looks", "Solar"], "maxSelections": 2},
              {"id": "pay", "type": "numeric", "question": "How much would you pay?", "min": 0, "max": 200, "integer": true, "unit": "dollars"},
              {"id": "why", "type": "open", "question": "Why?", "maxLength": 120}
            ]
          }
        }
        """#

    /// A survey with every item type, six inline personas, option randomisation and a split.
    static let surveyDocument: JSONValue = (try? JSONValue.parse(surveyText)) ?? .null

    static func surveyScenario() throws -> Scenario {
        try Scenario.parse(surveyDocument)
    }

    /// A deterministic answer to a structured survey request: depends only on the request's messages.
    static func answer(schema: JSONValue?, messages: String) -> String {
        let digest = SHA256.digest(Array(messages.utf8))
        let h = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard let answer = schema?["properties"]?["answer"] else { return "{\"answer\": \"ok\"}" }
        let value: JSONValue
        switch answer["type"]?.stringValue {
        case "integer":
            let low = answer["minimum"]?.doubleValue.map { Int64($0) } ?? 0
            let high = answer["maximum"]?.doubleValue.map { Int64($0) } ?? 100
            value = .integer(low + Int64(h % UInt64(high - low + 1)))
        case "number":
            value = .number(Double(h % 1000) / 10)
        case "array":
            let options = answer["items"]?["enum"]?.arrayValue ?? []
            let most = Int(answer["maxItems"]?.intValue ?? Int64(options.count))
            let k = 1 + Int(h % UInt64(max(1, most)))
            value = .array((0..<k).map { options[(Int(h % 7) + $0) % options.count] })
        default:
            if let options = answer["enum"]?.arrayValue {
                value = options[Int(h % UInt64(options.count))]
            } else {
                value = .string("Because of reason \(h % 97).")
            }
        }
        return JSONValue.object(JSONObject([("answer", value)])).serialized()
    }

    /// A scripted model answering every structured request with ``answer(schema:messages:)``.
    static func scriptedModel() -> ScriptedModel {
        ScriptedModel(rule: { request in
            var schema: JSONValue?
            if case .jsonSchema(_, let s, _) = request.responseFormat { schema = s }
            return answer(
                schema: schema, messages: request.messages.map { "\($0.role):\($0.content)" }.joined(separator: "\n"))
        })
    }

    /// Runs `scenario` with `model` into a fresh folder; returns the summary.
    static func run(
        _ scenario: Scenario, model: any LanguageModel, concurrency: Int = 1, limit: Int? = nil, out: URL? = nil
    ) async throws -> RunSummary {
        try await ScenarioRunner.run(
            scenario: scenario, model: model,
            options: RunOptions(outDirectory: out ?? temporaryDirectory(), limit: limit, concurrency: concurrency))
    }

    /// Rewrites Fixtures/runs/RunGolden.swift (run the golden test with AGORA_UPDATE_GOLDEN=1).
    static func writeGolden(_ files: [String: String]) throws {
        var text = "// Golden outputs of the seeded scripted mini survey (RunSurveyTests).\n"
        text += "// Regenerate: AGORA_UPDATE_GOLDEN=1 swift test --filter RunSurveyTests\n"
        text += "enum RunGolden {\n"
        for name in files.keys.sorted() {
            text += "    static let \(name) = ##\"\"\"\n" + (files[name] ?? "") + "\"\"\"##\n"
        }
        text += "}\n"
        try Data(text.utf8).write(to: directory.appendingPathComponent("RunGolden.swift"))
    }

    static func read(_ url: URL, _ name: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
    }
}
