import Foundation
import Runs
import Scenarios
import Storage
import Testing

@Suite("Qualtrics interchange")
struct SurveyQSFTests {
    static let population: JSONValue = ["personas": "people.jsonl"]

    func fixture() throws -> JSONValue { try JSONValue.parse(QSFFixture.commute) }

    func importFixture() throws -> SurveyQSF.Imported {
        try SurveyQSF.importSurvey(try fixture(), file: "commute.qsf", id: "commute", population: Self.population)
    }

    func scenario(_ document: JSONValue) throws -> Scenario {
        try Scenario.parse(document, file: "commute.json", checkFiles: false)
    }

    @Test("import converts every common question type, logic and piped text")
    func importsTypes() throws {
        let imported = try importFixture()
        let survey = try #require(try scenario(imported.document).survey)
        #expect(
            survey.items.map { "\($0.id):\($0.typeName)" } == [
                "car:yes-no", "brand:single-choice", "satisfied:likert", "modes:multiple-choice", "why:open",
                "apps:checkbox", "minutes:numeric", "words:free-list", "rate:matrix", "priorities:rank",
                "budget:constant-sum", "stress:linear-scale", "again:yes-no",
            ])
        #expect(survey.context == "Please think about your usual weekday commute.")
        let byID = Dictionary(uniqueKeysWithValues: survey.items.map { ($0.id, $0) })
        #expect(byID["satisfied"]?.question == "How satisfied are you with your {{answers.brand}}?")
        #expect(byID["why"]?.question == "Why do you commute this way, {{persona.name}}?")
        #expect(byID["minutes"]?.showIf?.source == "answers.car == 'Yes' or persona.region == 'North'")
        #expect(byID["car"]?.branch.map { "\($0.condition.source)->\($0.target)" } == ["answers.car == 'No'->why"])
        #expect(byID["again"]?.stopIf?.source == "answers.again == 'No'")
        #expect(
            byID["satisfied"]?.answer
                == .likert(
                    min: 1, max: 5,
                    labels: [
                        "Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied",
                    ]))
        #expect(
            byID["modes"]?.answer
                == .multipleChoice(options: ["Bus", "Train", "Bike"], minSelections: 1, maxSelections: 2))
        #expect(
            byID["apps"]?.answer
                == .checkbox(options: ["Maps", "Transit app"], minSelections: 1, maxSelections: 3, other: "Other"))
        #expect(byID["minutes"]?.answer == .numeric(min: 0, max: 240, integer: true, unit: nil))
        #expect(byID["words"]?.answer == .freeList(maxItems: 3, maxLength: 60))
        #expect(
            byID["rate"]?.answer
                == .matrix(
                    rows: [MatrixRow(id: "r1", text: "Cost"), MatrixRow(id: "r2", text: "Comfort")], min: 1, max: 3,
                    labels: ["Poor", "Fair", "Good"]))
        #expect(byID["budget"]?.answer == .constantSum(options: ["Fuel", "Parking", "Tolls"], total: 100))
        #expect(byID["stress"]?.answer == .linearScale(min: 0, max: 10, minLabel: "Calm", maxLabel: "Stressed"))
    }

    @Test("what does not convert is listed, never dropped silently")
    func listsUnsupported() throws {
        let notes = try importFixture().notConverted
        #expect(notes.count == 4, "\(notes)")
        #expect(notes[0].hasPrefix("flow element FL_5 (EmbeddedData): not converted"))
        #expect(notes[1].hasPrefix("flow element FL_3 (Randomizer): not converted"))
        #expect(notes[2] == "QID6 (TE/ESTB): piped text ${gr://SC_1/Score} not converted (removed)")
        #expect(notes[3] == "QID15 (HeatMap/OnePoint): question type not converted")
    }

    @Test("export then import gives back the same survey; the question types match the original file")
    func roundTrip() throws {
        let imported = try importFixture()
        let exported = try SurveyQSF.export(try scenario(imported.document))
        #expect(exported.notConverted == [])
        let again = try SurveyQSF.importSurvey(
            exported.qsf, file: "out.qsf", id: "commute", population: Self.population)
        #expect(again.document["survey"] == imported.document["survey"])
        #expect(again.document["title"] == "Commuting habits (fixture)")
        #expect(again.notConverted == [])
        func types(_ qsf: JSONValue) -> [String: String] {
            var out: [String: String] = [:]
            for element in qsf["SurveyElements"]?.arrayValue ?? [] where element["Element"] == "SQ" {
                let p = element["Payload"]
                out[p?["DataExportTag"]?.stringValue ?? ""] =
                    "\(p?["QuestionType"]?.stringValue ?? "")/\(p?["Selector"]?.stringValue ?? "")"
            }
            return out
        }
        let original = types(try fixture())
        let written = types(exported.qsf)
        for item in try #require(try scenario(imported.document).survey).items {
            #expect(written[item.id] == original[item.id], "\(item.id)")
        }
        // Deterministic: the same scenario writes the same bytes.
        let twice = try SurveyQSF.export(try scenario(imported.document))
        #expect(twice.qsf.serialized() == exported.qsf.serialized())
    }

    @Test("export names what Qualtrics cannot express")
    func exportNotes() throws {
        let scenario = try SurveyFixtures.scenario(
            [
                ["id": "pay", "type": "numeric", "question": "Pay?", "unit": "USD"],
                ["id": "top", "type": "top-k", "question": "Best two?", "options": ["A", "B", "C"], "k": 2],
                [
                    "id": "why", "type": "open", "question": "Why {{vars.name}}?",
                    "showIf": "answers.pay > 3 and (persona.age < 30 or persona.age > 60)",
                ],
            ],
            survey: ["stimuli": ["vars": [["id": "a", "name": "X"]]]], root: ["memory": "full"])
        let notes = try SurveyQSF.export(scenario).notConverted
        #expect(notes.contains { $0.hasPrefix("stimuli: not written") })
        #expect(notes.contains { $0.hasPrefix("memory: ") })
        #expect(notes.contains("pay (numeric): the unit \"USD\" is not written; put it in the question text"))
        #expect(notes.contains("top (top-k): written as a full rank order; keep the first 2 of each answer"))
        #expect(
            notes.contains(
                "why (open): showIf \"answers.pay > 3 and (persona.age < 30 or persona.age > 60)\" cannot be written as Qualtrics display logic"
            ))
        #expect(notes.contains { $0.hasPrefix("why (open): {{vars.name}} written as embedded data") })
    }

    @Test("option randomisation goes both ways; instructions are named as not written")
    func randomisation() throws {
        let scenario = try SurveyFixtures.scenario(
            [
                ["id": "buy", "type": "single-choice", "question": "Buy?", "options": ["Yes", "No", "Maybe"]],
                ["id": "car", "type": "yes-no", "question": "Car?"],
                ["id": "apps", "type": "checkbox", "question": "Apps?", "options": ["Maps", "Bus"]],
            ],
            survey: ["randomizeOptions": true, "instructions": "Be brief."])
        let exported = try SurveyQSF.export(scenario)
        #expect(exported.notConverted.contains { $0.hasPrefix("instructions: not written") })
        let randomised = (exported.qsf["SurveyElements"]?.arrayValue ?? []).filter {
            $0["Payload"]?["Randomization"]?["Type"] == "All"
        }.compactMap { $0["Payload"]?["DataExportTag"]?.stringValue }
        #expect(randomised == ["buy", "apps"])
        let back = try SurveyQSF.importSurvey(exported.qsf, id: "t", population: Self.population)
        #expect(back.document["survey"]?["randomizeOptions"] == true)
        #expect(back.notConverted == [])
    }

    @Test("a file that is not a survey export is bad input")
    func notQSF() {
        #expect(throws: RunError.self) {
            try SurveyQSF.importSurvey(["hello": 1], file: "x.qsf", id: "x", population: Self.population)
        }
    }
}
