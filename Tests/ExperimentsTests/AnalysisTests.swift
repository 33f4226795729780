import Experiments
import Foundation
import Runs
import Storage
import Testing

@Suite("Experiment analysis of stored answers")
struct AnalysisTests {
    /// Two arms of 10 respondents; `answers(arm, i)` is respondent i's answers.
    static func analyse(items: [JSONValue], answers: (Int, Int) -> JSONObject) throws -> JSONValue {
        let document: JSONValue = [
            "kind": "experiment", "id": "t",
            "base": [
                "kind": "survey", "id": "b", "population": ["inline": []],
                "survey": ["instructions": "Answer.", "items": .array(items)],
            ],
            "arms": [["name": "A", "patch": [:]], ["name": "B", "patch": [:]]],
        ]
        let design = try ExperimentDesign.parse(document, file: nil)
        var units: [UnitRecord] = []
        for arm in 0..<2 {
            for i in 0..<10 {
                let id = "p\(arm)-\(i)"
                units.append(
                    UnitRecord(
                        spec: UnitSpec(
                            index: units.count, id: id, kind: "survey-respondent",
                            input: [
                                "arm": .integer(Int64(arm)), "unit": .integer(Int64(i)), "id": .string(id),
                                "input": ["persona": .string(id)],
                            ]),
                        status: .done, result: ["answers": .object(answers(arm, i))]))
            }
        }
        let data = RunData(
            manifest: RunManifest(
                runID: "t", kind: "experiment", document: document, sourceFile: nil, seed: 1, model: ""),
            units: units)
        return ExperimentAnalysis(design: design, data: data, strata: { _ in "" }).json()
    }

    @Test("each option of a multiple-choice item is its own outcome: 2/10 vs 8/10 selected, χ² = 7.2")
    func multipleChoice() throws {
        let item: JSONValue = [
            "id": "owned", "type": "multiple-choice", "question": "Which?", "options": ["Solar", "EV"],
        ]
        let json = try Self.analyse(items: [item]) { arm, i in
            let solar = arm == 0 ? i < 2 : i < 8
            return ["owned": solar ? ["Solar", "EV"] : ["EV"]]
        }
        let outcomes = json["outcomes"]?.arrayValue ?? []
        #expect(outcomes.compactMap { $0["id"]?.stringValue } == ["owned: Solar", "owned: EV"])
        let comparison = try #require(outcomes[0]["comparisons"]?[0])
        #expect(comparison["test"]?["name"] == "χ²")
        #expect(abs((comparison["test"]?["statistic"]?.doubleValue ?? 0) - 7.2) < 1e-6)
        #expect(abs((comparison["test"]?["p"]?.doubleValue ?? 0) - 0.0072903580915356595) < 1e-6)
        #expect(comparison["effects"]?[0]?["option"] == "selected")
        #expect(abs((comparison["effects"]?[0]?["estimate"]?.doubleValue ?? 0) - 0.6) < 1e-9)
        // Everyone selected EV: no test is possible, p = 1.
        #expect(outcomes[1]["comparisons"]?[0]?["test"]?["p"]?.doubleValue == 1)
    }

    @Test("matrix rows are numeric outcomes, linear scales numeric, yes-no categorical")
    func newItemTypes() throws {
        let items: [JSONValue] = [
            [
                "id": "rate", "type": "matrix", "question": "Rate:",
                "rows": ["Taste", ["id": "look", "text": "Looks"]],
                "scale": ["min": 1, "max": 5],
            ],
            ["id": "nps", "type": "linear-scale", "question": "Recommend?", "min": 0, "max": 10],
            ["id": "ok", "type": "yes-no", "question": "OK?"],
        ]
        let json = try Self.analyse(items: items) { arm, i in
            [
                "rate": ["r1": .integer(Int64(1 + i % 3 + arm)), "look": .integer(Int64(2 + i % 2))],
                "nps": .integer(Int64(i + arm)), "ok": i < 5 ? "Yes" : "No",
            ]
        }
        let outcomes = json["outcomes"]?.arrayValue ?? []
        #expect(outcomes.compactMap { $0["id"]?.stringValue } == ["rate: Taste", "rate: Looks", "nps", "ok"])
        #expect(outcomes.compactMap { $0["measure"]?.stringValue } == ["numeric", "numeric", "numeric", "categorical"])
        // Taste is one point higher in B for everyone; Looks is the same.
        #expect(outcomes[0]["comparisons"]?[0]?["effect"]?["estimate"]?.doubleValue == 1)
        #expect(outcomes[1]["comparisons"]?[0]?["effect"]?["estimate"]?.doubleValue == 0)
        #expect(outcomes[2]["arms"]?[1]?["mean"]?.doubleValue == 5.5)
    }

    @Test("a 2×2 table with an expected count below 5 uses Fisher's exact test (p = 0.057276)")
    func fisherForSmallCounts() throws {
        let item: JSONValue = ["id": "buy", "type": "single-choice", "question": "Buy?", "options": ["Yes", "No"]]
        let json = try Self.analyse(items: [item]) { arm, i in
            ["buy": (arm == 0 ? i < 1 : i < 6) ? "Yes" : "No"]
        }
        let comparison = try #require(json["outcomes"]?[0]?["comparisons"]?[0])
        #expect(comparison["test"]?["name"] == "Fisher exact")
        #expect(abs((comparison["test"]?["p"]?.doubleValue ?? 0) - 0.057275541795665644) < 1e-6)
        let warnings = json["warnings"]?.arrayValue ?? []
        #expect(warnings.contains { ($0.stringValue ?? "").hasPrefix("small sample: A (n = 10), B (n = 10)") })
    }
}
