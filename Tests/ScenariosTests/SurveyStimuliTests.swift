import AgoraTesting
import Foundation
import Inference
import Runs
import Scenarios
import Storage
import Testing

@Suite("Survey stimuli")
struct SurveyStimuliTests {
    static func stimuli(_ design: String) -> JSONObject {
        [
            "context": "Ad: {{vars.headline}}",
            "stimuli": [
                "design": .string(design),
                "vars": [["id": "warm", "headline": "Cosy tea"], ["id": "fast", "headline": "Tea in 60 s"]],
            ],
        ]
    }

    static let items: [JSONValue] = [
        [
            "id": "like", "type": "linear-scale", "question": "How much do you like \"{{vars.headline}}\"?", "min": 1,
            "max": 7,
        ]
    ]

    /// Answers 6 for the warm ad and 2 for the fast one.
    static let model: @Sendable () -> ScriptedModel = {
        ScriptedModel(rule: { request in
            request.messages.last?.content.contains("Cosy") == true ? #"{"answer": 6}"# : #"{"answer": 2}"#
        })
    }

    @Test("between subjects: one stimulus each, balanced, recorded, split in results")
    func between() async throws {
        let scenario = try SurveyFixtures.scenario(Self.items, survey: Self.stimuli("between"))
        let (summary, results, csv) = try await SurveyFixtures.run(scenario, model: Self.model())
        #expect(csv[0] == "respondent_id,age,region,stimulus,like")
        let assigned = csv.dropFirst().map { $0.split(separator: ",")[3] }
        #expect(Set(assigned) == ["warm", "fast"])
        #expect(csv.dropFirst().allSatisfy { $0.hasSuffix($0.contains("warm") ? ",6" : ",2") })
        let store = try RunStore.open(summary.directory)
        let units = try await store.units()
        #expect(units.map { $0.spec.input["stimulus"]?.stringValue ?? "" } == assigned.map(String.init))
        let split = try #require(results["splits"]?[0])
        #expect(split["attribute"] == "stimulus")
        #expect(split["groups"]?.arrayValue?.map { $0["value"]?.stringValue ?? "" } == ["fast", "warm"])
        let again = try await SurveyFixtures.run(scenario, model: Self.model())
        #expect(again.csv == csv)
    }

    @Test("between subjects is balanced: group sizes differ by at most one")
    func balance() throws {
        let people: [JSONValue] = (0..<25).map {
            ["id": .string("p\($0)"), "attributes": ["age": .integer(Int64($0))]]
        }
        guard case .object(var document) = SurveyFixtures.document(Self.items, survey: Self.stimuli("between")) else {
            return
        }
        document["population"] = ["inline": .array(people)]
        let scenario = try Scenario.parse(.object(document))
        let units = try ScenarioRunner.buildUnits(scenario, personas: scenario.population.inline, seed: scenario.seed)
        let warm = units.filter { $0.input["stimulus"] == "warm" }.count
        #expect(warm == 12 || warm == 13)
        #expect(units.prefix(12).filter { $0.input["stimulus"] == "warm" }.count != 12)
    }

    @Test("within subjects: every respondent sees every stimulus in a recorded, seeded order")
    func within() async throws {
        let scenario = try SurveyFixtures.scenario(Self.items, survey: Self.stimuli("within"))
        let model = Self.model()
        let (_, results, csv) = try await SurveyFixtures.run(scenario, model: model)
        #expect(model.requests.count == 6)
        #expect(csv[0] == "respondent_id,age,region,stimulus_order,like@warm,like@fast")
        #expect(csv.dropFirst().allSatisfy { $0.hasSuffix(",6,2") })
        let orders = csv.dropFirst().map { String($0.split(separator: ",")[3]) }
        #expect(orders.allSatisfy { $0 == "warm; fast" || $0 == "fast; warm" })
        #expect(results["items"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == ["like@warm", "like@fast"])
        #expect(results["items"]?[0]?["mean"]?.doubleValue == 6)
    }

    @Test("stimulus rows must share their variables")
    func mismatchedRows() {
        var survey = Self.stimuli("between")
        survey["stimuli"] = ["vars": [["id": "a", "x": 1], ["id": "b", "y": 2]]]
        let error = SurveyFixtures.loadError(SurveyFixtures.document(Self.items, survey: survey))
        #expect(error?.path == "$.survey.stimuli.vars[1]")
    }
}
