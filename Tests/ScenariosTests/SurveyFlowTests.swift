import AgoraTesting
import Foundation
import Inference
import Population
import Runs
import Scenarios
import Storage
import Testing

@Suite("Survey flow and piping")
struct SurveyFlowTests {
    static let scope: SurveyScope = {
        let persona = try? Persona(
            json: ["id": "p1", "name": "Ann", "attributes": ["age": 42, "region": "north"]], path: "$")
        return SurveyScope(
            answers: [
                "buy": "No", "pay": 30, "features": ["Price", "Speed"], "grid": ["taste": 4], "failed": .null,
            ],
            persona: persona, vars: ["product": "Kettle", "price": 49.5])
    }()

    static let table: [(String, Bool)] = [
        ("answers.buy == 'No'", true),
        ("answers.buy != \"No\"", false),
        ("answers.pay > 20 and answers.pay <= 30", true),
        ("answers.pay < 30", false),
        ("answers.pay >= 30.0", true),
        ("'Price' in answers.features", true),
        ("'Looks' in answers.features", false),
        ("'Looks' not in answers.features", true),
        ("persona.region in ['north', 'east']", true),
        ("persona.age >= 40 and not (persona.region == 'south')", true),
        ("persona.age < 40 or answers.buy == 'Yes'", false),
        ("not answers.buy == 'No' or vars.product == 'Kettle'", true),
        ("vars.price > 49", true),
        ("answers.grid.taste == 4", true),
        ("answers.failed == null", true),
        ("answers.failed > 3", false),
        ("answers.missing == null and persona.missing == null", true),
        ("persona.name == 'Ann' and persona.id == 'p1'", true),
        ("'ett' in vars.product", true),
        ("answers.buy", true),
        ("answers.buy < 3", false),
        ("true and not false", true),
    ]

    @Test("the expression language evaluates comparisons, in, and/or/not", arguments: table)
    func evaluates(_ row: (String, Bool)) throws {
        #expect(try SurveyCondition(row.0).holds(in: Self.scope) == row.1)
    }

    static let errors: [(String, Int, String)] = [
        ("answers.buy = 'No'", 12, "use =="),
        ("answers.buy == 'No", 15, "unterminated"),
        ("buy == 'No'", 0, "unknown name \"buy\""),
        ("answers.buy == 'No' and", 23, "expected a value"),
        ("(answers.pay > 3", 16, "expected \")\""),
        ("answers.pay > 3 answers.buy", 16, "join conditions"),
        ("", 0, "empty condition"),
        ("[1, 2", 5, "in the list"),
    ]

    @Test("syntax errors give the character offset and the fix", arguments: errors)
    func syntaxErrors(_ row: (String, Int, String)) {
        do {
            _ = try SurveyCondition(row.0)
            Issue.record("parsed \(row.0)")
        } catch {
            #expect(error.offset == row.1, "\(row.0): \(error.message)")
            #expect(error.message.contains(row.2), "\(row.0): \(error.message)")
        }
    }

    @Test("templates fill answers, persona attributes and variables")
    func templates() throws {
        let template = try SurveyTemplate("{{persona.name}}, you chose {{ answers.features }} for {{vars.product}}.")
        #expect(template.render(Self.scope) == "Ann, you chose Price; Speed for Kettle.")
        #expect(template.references.map(\.text) == ["persona.name", "answers.features", "vars.product"])
        #expect(throws: SurveyTemplate.ParseError.self) { try SurveyTemplate("{{answers.buy") }
        #expect(throws: SurveyTemplate.ParseError.self) { try SurveyTemplate("{{buy}}") }
    }

    static let flowItems: [JSONValue] = [
        [
            "id": "own", "type": "yes-no", "question": "Do you own a car?",
            "branch": [["if": "answers.own == 'No'", "to": "why_not"]],
        ],
        ["id": "brand", "type": "single-choice", "question": "Which brand?", "options": ["Ford", "Toyota"]],
        [
            "id": "likes", "type": "open",
            "question": "What do you like about your {{answers.brand}}, {{persona.name}}?",
            "skipIf": "persona.age >= 60",
        ],
        ["id": "why_not", "type": "open", "question": "Why no car?", "showIf": "answers.own == 'No'"],
        ["id": "more", "type": "yes-no", "question": "Continue?", "stopIf": "answers.more == 'No'"],
        ["id": "trips", "type": "numeric", "question": "How many trips?", "integer": true],
    ]

    static let flowAnswers: [String: String] = [
        "Ann|Do you own a car?": #"{"answer": "Yes"}"#, "Ann|Which brand?": #"{"answer": "Toyota"}"#,
        "Ann|What do you like about your Toyota, Ann?": #"{"answer": "Reliable."}"#,
        "Ann|Continue?": #"{"answer": "Yes"}"#, "Ann|How many trips?": #"{"answer": 3}"#,
        "Bob|Do you own a car?": #"{"answer": "No"}"#, "Bob|Why no car?": #"{"answer": "Too costly."}"#,
        "Bob|Continue?": #"{"answer": "No"}"#,
        "Cy|Do you own a car?": #"{"answer": "Yes"}"#, "Cy|Which brand?": #"{"answer": "Ford"}"#,
        "Cy|Continue?": #"{"answer": "Yes"}"#, "Cy|How many trips?": #"{"answer": 5}"#,
    ]

    @Test("a survey whose branches are all covered: skips, branches and stops are recorded as skipped, never failed")
    func branches() async throws {
        let model = SurveyFixtures.tableModel(Self.flowAnswers)
        let (summary, results, csv) = try await SurveyFixtures.run(
            try SurveyFixtures.scenario(Self.flowItems), model: model)
        #expect(summary.itemFailures == 0)
        #expect(model.requests.count == 12)
        #expect(
            csv == [
                "respondent_id,age,region,own,brand,likes,why_not,more,trips",
                "a,30,north,Yes,Toyota,Reliable.,(skipped),Yes,3",
                "b,45,south,No,(skipped),(skipped),Too costly.,No,(skipped)",
                "c,60,north,Yes,Ford,(skipped),(skipped),Yes,5",
            ])
        let items = try #require(results["items"]?.arrayValue)
        #expect(items.map { $0["skipped"]?.intValue ?? -1 } == [0, 1, 2, 2, 0, 1])
        #expect(items.map { $0["failed"]?.intValue ?? -1 } == [0, 0, 0, 0, 0, 0])
        #expect(items.map { $0["n"]?.intValue ?? -1 } == [3, 2, 1, 1, 3, 2])
        #expect(results["metrics"]?["itemFailureRate"]?.doubleValue == 0)
        let reasons = results["termination"]?.arrayValue?.map {
            "\($0["reason"]?.stringValue ?? ""):\($0["count"]?.intValue ?? 0)"
        }
        #expect(reasons == ["completed:2", "stopped:1"])
        let store = try RunStore.open(summary.directory)
        let bob = try #require(try await store.units().first { $0.spec.id == "b" })
        #expect(bob.result["skipped"] == ["brand": "branch", "likes": "branch", "trips": "stopped"])
        let transcripts = try RunFixtures.read(summary.directory, "transcripts.jsonl")
        #expect(transcripts.contains("\"kind\":\"skip\""))
    }

    @Test("flow outputs are identical at concurrency 1 and 16")
    func concurrency() async throws {
        let scenario = try SurveyFixtures.scenario(Self.flowItems)
        let one = try await RunFixtures.run(
            scenario, model: SurveyFixtures.tableModel(Self.flowAnswers), concurrency: 1)
        let many = try await RunFixtures.run(
            scenario, model: SurveyFixtures.tableModel(Self.flowAnswers), concurrency: 16)
        for name in ["transcripts.jsonl", "responses.csv", "results.json"] {
            #expect(try RunFixtures.read(one.directory, name) == RunFixtures.read(many.directory, name), "\(name)")
        }
    }

    static let loadErrors: [(JSONValue, String, String)] = [
        (
            ["id": "a", "type": "open", "question": "?", "skipIf": "answers.b == 1"], "$.survey.items[0].skipIf",
            "asked later"
        ),
        (
            ["id": "a", "type": "open", "question": "?", "showIf": "answers.nope == 1"], "$.survey.items[0].showIf",
            "unknown item"
        ),
        (
            ["id": "a", "type": "open", "question": "?", "skipIf": "answers.a = 1"], "$.survey.items[0].skipIf",
            "character 11"
        ),
        (["id": "a", "type": "open", "question": "Hi {{vars.x}}"], "$.survey.items[0].question", "no stimuli"),
        (["id": "a", "type": "open", "question": "Hi {{answers.b}}"], "$.survey.items[0].question", "asked later"),
        (["id": "a", "type": "open", "question": "Hi {{name}}"], "$.survey.items[0].question", "not a reference"),
        (
            ["id": "a", "type": "open", "question": "?", "branch": [["if": "true", "to": "a"]]],
            "$.survey.items[0].branch[0].to", "branches go forward"
        ),
        (
            ["id": "a", "type": "open", "question": "?", "branch": [["if": "true", "to": "bb"]]],
            "$.survey.items[0].branch[0].to", "did you mean \"b\""
        ),
    ]

    @Test(
        "unknown or later references and bad conditions are load-time errors at their JSON path", arguments: loadErrors)
    func loadTimeErrors(_ row: (JSONValue, String, String)) {
        let error = SurveyFixtures.loadError(
            SurveyFixtures.document([row.0, ["id": "b", "type": "open", "question": "Later?"]]))
        #expect(error?.path == row.1)
        #expect(error?.message.contains(row.2) == true, "\(error?.message ?? "no error")")
    }

    @Test("an unknown persona attribute is bad input when the run is planned, before any model call")
    func unknownPersonaAttribute() async throws {
        let scenario = try SurveyFixtures.scenario([
            ["id": "a", "type": "open", "question": "?", "skipIf": "persona.regoin == 'north'"]
        ])
        let model = SurveyFixtures.tableModel([:])
        await #expect(throws: RunError.self) { try await RunFixtures.run(scenario, model: model) }
        do {
            _ = try await RunFixtures.run(scenario, model: model)
        } catch let error as RunError {
            #expect(error.path == "$.survey.items[0].skipIf")
            #expect(error.message.contains("did you mean \"region\""))
        }
        #expect(model.requests.isEmpty)
    }
}
