import AgoraTesting
import Foundation
import Inference
import Runs
import Scenarios
import Storage
import Testing

@Suite("Survey question types")
struct SurveyTypesTests {
    struct Case: Sendable, CustomStringConvertible {
        var item: JSONValue
        var answerSchema: JSONValue
        var valid: String
        var invalid: [String]
        var cells: [String]
        var description: String { item["type"]?.stringValue ?? "" }
    }

    static let cases: [Case] = [
        Case(
            item: ["id": "q", "type": "yes-no", "question": "Do you own a car?"],
            answerSchema: ["type": "string", "enum": ["Yes", "No"]],
            valid: #"{"answer": "Yes"}"#, invalid: [#"{"answer": "Maybe"}"#, #"{"answer": true}"#], cells: ["Yes"]),
        Case(
            item: [
                "id": "q", "type": "linear-scale", "question": "How likely?", "min": 0, "max": 10,
                "minLabel": "Not at all", "maxLabel": "Extremely",
            ],
            answerSchema: ["type": "integer", "minimum": 0, "maximum": 10],
            valid: #"{"answer": 7}"#, invalid: [#"{"answer": 11}"#, #"{"answer": -1}"#, #"{"answer": "7"}"#],
            cells: ["7"]),
        Case(
            item: ["id": "q", "type": "rank", "question": "Order these.", "options": ["A", "B", "C"]],
            answerSchema: [
                "type": "array", "items": ["type": "string", "enum": ["A", "B", "C"]], "minItems": 3, "maxItems": 3,
                "uniqueItems": true,
            ],
            valid: #"{"answer": ["B", "A", "C"]}"#,
            invalid: [#"{"answer": ["A", "B"]}"#, #"{"answer": ["A", "A", "B"]}"#, #"{"answer": ["A", "B", "D"]}"#],
            cells: ["B; A; C"]),
        Case(
            item: ["id": "q", "type": "top-k", "question": "Best two?", "options": ["A", "B", "C", "D"], "k": 2],
            answerSchema: [
                "type": "array", "items": ["type": "string", "enum": ["A", "B", "C", "D"]], "minItems": 2,
                "maxItems": 2, "uniqueItems": true,
            ],
            valid: #"{"answer": ["C", "A"]}"#,
            invalid: [#"{"answer": ["A"]}"#, #"{"answer": ["A", "B", "C"]}"#, #"{"answer": ["A", "A"]}"#],
            cells: ["C; A"]),
        Case(
            item: [
                "id": "q", "type": "matrix", "question": "Rate each.",
                "rows": [["id": "taste", "text": "Taste"], ["id": "price", "text": "Price"]],
                "scale": ["min": 1, "max": 5],
            ],
            answerSchema: [
                "type": "object",
                "properties": [
                    "taste": ["type": "integer", "minimum": 1, "maximum": 5],
                    "price": ["type": "integer", "minimum": 1, "maximum": 5],
                ],
                "required": ["taste", "price"], "additionalProperties": false,
            ],
            valid: #"{"answer": {"taste": 4, "price": 2}}"#,
            invalid: [
                #"{"answer": {"taste": 4}}"#, #"{"answer": {"taste": 6, "price": 2}}"#,
                #"{"answer": {"taste": 4, "price": 2, "looks": 1}}"#,
            ],
            cells: ["4", "2"]),
        Case(
            item: ["id": "q", "type": "constant-sum", "question": "Split 100.", "options": ["A", "B"], "total": 100],
            answerSchema: [
                "type": "object",
                "properties": [
                    "A": ["type": "integer", "minimum": 0, "maximum": 100],
                    "B": ["type": "integer", "minimum": 0, "maximum": 100],
                ],
                "required": ["A", "B"], "additionalProperties": false,
            ],
            valid: #"{"answer": {"A": 30, "B": 70}}"#,
            invalid: [
                #"{"answer": {"A": 30, "B": 60}}"#, #"{"answer": {"A": -10, "B": 110}}"#, #"{"answer": {"A": 100}}"#,
                #"{"answer": {"A": 30.5, "B": 69.5}}"#,
            ],
            cells: ["A=30; B=70"]),
        Case(
            item: ["id": "q", "type": "checkbox", "question": "Which?", "options": ["A", "B"]],
            answerSchema: [
                "type": "object",
                "properties": [
                    "selected": [
                        "type": "array", "items": ["type": "string", "enum": ["A", "B", "Other (specify)"]],
                        "minItems": 1, "maxItems": 3, "uniqueItems": true,
                    ],
                    "other": ["type": "string", "maxLength": 200],
                ],
                "required": ["selected"], "additionalProperties": false,
            ],
            valid: #"{"answer": {"selected": ["A", "Other (specify)"], "other": "C"}}"#,
            invalid: [
                #"{"answer": {"selected": ["Other (specify)"]}}"#, #"{"answer": {"selected": ["A"], "other": "x"}}"#,
                #"{"answer": {"selected": ["Z"]}}"#, #"{"answer": {"selected": []}}"#,
            ],
            cells: ["A; Other (specify): C"]),
        Case(
            item: ["id": "q", "type": "free-list", "question": "Name drinks.", "maxItems": 3, "maxLength": 20],
            answerSchema: [
                "type": "array", "items": ["type": "string", "minLength": 1, "maxLength": 20], "minItems": 1,
                "maxItems": 3,
            ],
            valid: #"{"answer": ["tea", "coffee"]}"#,
            invalid: [
                #"{"answer": []}"#, #"{"answer": ["a", "b", "c", "d"]}"#, #"{"answer": ["tea", "Tea"]}"#,
                #"{"answer": [""]}"#, #"{"answer": ["a drink with a very long name"]}"#,
            ],
            cells: ["tea; coffee"]),
        Case(
            item: [
                "id": "q", "type": "numeric", "question": "Pay?", "min": 0, "max": 50, "integer": true, "unit": "USD",
            ],
            answerSchema: ["type": "integer", "minimum": .number(0), "maximum": .number(50)],
            valid: #"{"answer": 20}"#, invalid: [#"{"answer": 51}"#, #"{"answer": "twenty"}"#], cells: ["20"]),
        Case(
            item: ["id": "q", "type": "open", "question": "Why?", "maxLength": 10],
            answerSchema: ["type": "string", "minLength": 1, "maxLength": 10],
            valid: #"{"answer": "Cheap."}"#, invalid: [#"{"answer": ""}"#, #"{"answer": "far too long here"}"#],
            cells: ["Cheap."]),
    ]

    func problems(_ item: SurveyItem, _ text: String) throws -> [String] {
        let value = try JSONValue.parse(text)
        return SchemaValidator.validate(value, against: item.schema(shown: item.options.isEmpty ? [] : item.options))
            + item.check(value)
    }

    func item(_ c: Case) throws -> SurveyItem {
        try #require(try SurveyFixtures.scenario([c.item]).survey?.items.first)
    }

    @Test("the answer schema sent to the model", arguments: cases)
    func schema(_ c: Case) throws {
        let item = try item(c)
        #expect(item.schema(shown: item.options)["properties"]?["answer"] == c.answerSchema)
        #expect(item.typeName == c.item["type"]?.stringValue)
    }

    @Test("validation accepts the valid answer and rejects each kind of invalid one", arguments: cases)
    func validation(_ c: Case) throws {
        let item = try item(c)
        #expect(try problems(item, c.valid) == [])
        for bad in c.invalid {
            #expect(try !problems(item, bad).isEmpty, "accepted \(bad)")
        }
    }

    @Test("an invalid first answer gets one repair round; the CSV holds the repaired answer", arguments: cases)
    func repairAndCSV(_ c: Case) async throws {
        let model = ScriptedModel(replies: [c.invalid[0], c.valid])
        let (summary, results, csv) = try await SurveyFixtures.run(
            try Scenario.parse(SurveyFixtures.document([c.item])), model: model, limit: 1)
        #expect(summary.itemFailures == 0)
        #expect(model.requests.count == 2)
        #expect(model.requests[1].messages.last?.content.hasPrefix("Your answer was not valid:") == true)
        #expect(results["items"]?[0]?["n"]?.intValue == 1)
        let cells = csv[1].split(separator: ",", omittingEmptySubsequences: false).suffix(c.cells.count)
        #expect(cells.map { String($0).replacingOccurrences(of: "\"", with: "") } == c.cells)
    }

    @Test("an answer invalid twice is failed: an empty cell, counted as failed, not skipped")
    func failedStaysFailed() async throws {
        let c = Self.cases[5]
        let model = ScriptedModel(replies: [c.invalid[0], c.invalid[0]])
        let (summary, results, csv) = try await SurveyFixtures.run(
            try Scenario.parse(SurveyFixtures.document([c.item])), model: model, limit: 1)
        #expect(summary.itemFailures == 1)
        #expect(results["items"]?[0]?["failed"]?.intValue == 1)
        #expect(results["items"]?[0]?["skipped"]?.intValue == 0)
        #expect(csv[1].hasSuffix(","))
    }

    @Test("per-type statistics over three scripted respondents")
    func statistics() async throws {
        let items: [JSONValue] = Self.cases.prefix(8).enumerated().map { index, c in
            guard case .object(var o) = c.item else { return .null }
            o["id"] = .string("q\(index)")
            return .object(o)
        }
        let answers: [String: [String]] = [
            "Do you own a car?": [#""Yes""#, #""No""#, #""Yes""#],
            "How likely?": ["7", "3", "8"],
            "Order these.": [#"["A","B","C"]"#, #"["B","A","C"]"#, #"["A","C","B"]"#],
            "Best two?": [#"["C","A"]"#, #"["A","B"]"#, #"["C","D"]"#],
            "Rate each.": [#"{"taste":4,"price":1}"#, #"{"taste":2,"price":1}"#, #"{"taste":3,"price":4}"#],
            "Split 100.": [#"{"A":30,"B":70}"#, #"{"A":50,"B":50}"#, #"{"A":10,"B":90}"#],
            "Which?": [
                #"{"selected":["A"]}"#, #"{"selected":["A","Other (specify)"],"other":"D"}"#, #"{"selected":["B"]}"#,
            ],
            "Name drinks.": [#"["tea","coffee"]"#, #"["Tea"]"#, #"["water","tea","juice"]"#],
        ]
        var table: [String: String] = [:]
        for (question, list) in answers {
            for (name, answer) in zip(["Ann", "Bob", "Cy"], list) {
                table["\(name)|\(question)"] = "{\"answer\": \(answer)}"
            }
        }
        let (_, results, csv) = try await SurveyFixtures.run(
            try SurveyFixtures.scenario(items), model: SurveyFixtures.tableModel(table))
        let stats = try #require(results["items"]?.arrayValue)
        func counts(_ i: Int) -> [Int64] {
            stats[i]["distribution"]?.arrayValue?.compactMap { $0["count"]?.intValue } ?? []
        }
        #expect(counts(0) == [2, 1])
        #expect(stats[1]["mean"]?.doubleValue == 6)
        #expect(counts(2) == [2, 1, 0])
        #expect(stats[2]["ranking"]?.arrayValue?.compactMap { $0["meanRank"]?.doubleValue } == [1.333333, 2, 2.666667])
        #expect(counts(3) == [2, 1, 2, 1])
        #expect(stats[3]["ranking"]?[0]?["meanRank"]?.doubleValue == 1.5)
        #expect(stats[4]["rows"]?.arrayValue?.compactMap { $0["mean"]?.doubleValue } == [3, 2])
        #expect(stats[5]["allocations"]?.arrayValue?.compactMap { $0["mean"]?.doubleValue } == [30, 70])
        #expect(counts(6) == [2, 1, 1])
        #expect(stats[6]["otherTexts"]?.intValue == 1)
        #expect(stats[7]["meanItems"]?.doubleValue == 2)
        #expect(
            stats[7]["distribution"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [
                "tea", "coffee", "juice", "water",
            ])
        #expect(counts(7) == [3, 1, 1, 1])
        #expect(csv[0] == "respondent_id,age,region,q0,q1,q2,q3,q4.taste,q4.price,q5,q6,q7")
        #expect(csv[2] == "b,45,south,No,3,B; A; C,A; B,2,1,A=50; B=50,A; Other (specify): D,Tea")
    }

    @Test("type-specific keys are checked: a key of another type names the types that take it")
    func wrongKeys() {
        let error = SurveyFixtures.loadError(
            SurveyFixtures.document([["id": "q", "type": "rank", "question": "?", "options": ["A", "B"], "k": 1]]))
        #expect(error?.path == "$.survey.items[0].k")
        #expect(error?.message.contains("top-k") == true)
        let sum = SurveyFixtures.loadError(
            SurveyFixtures.document([["id": "q", "type": "top-k", "question": "?", "options": ["A", "B"], "k": 3]]))
        #expect(sum?.path == "$.survey.items[0].k")
    }
}
