import Experiments
import Foundation
import Runs
import Storage

/// The analysis of a large experiment: 100,000 respondents × 20 outcomes (14 Likert, 6 single
/// choice) × 4 arms, from stored unit results to the `experiment` section of results.json
/// (summaries, omnibus and pairwise tests with Holm, effect sizes with intervals, MDE). Target ≤ 3 s.
enum ExperimentBench: BenchSuite {
    static let name = "experiment"

    static func run(quick: Bool) async throws -> [BenchFigure] {
        let respondents = quick ? 10_000 : 100_000
        let (design, data) = try fixture(respondents: respondents)
        let clock = ContinuousClock()
        let start = clock.now
        let analysis = ExperimentAnalysis(design: design, data: data, strata: { _ in "" }).json()
        let seconds = BenchClock.seconds(clock.now - start)
        let comparisons = (analysis["outcomes"]?.arrayValue ?? []).reduce(0) {
            $0 + ($1["comparisons"]?.arrayValue?.count ?? 0)
        }
        return [
            BenchFigure(
                name: "analysis, \(respondents) respondents × 20 outcomes × 4 arms", value: seconds, unit: "s",
                target: quick ? nil : "≤ 3 s", met: quick ? nil : seconds <= 3),
            BenchFigure(name: "pairwise comparisons (Holm family)", value: Double(comparisons), unit: "tests"),
        ]
    }

    /// A 4-arm survey experiment and its stored results: answers drawn from a seeded stream, arm D
    /// shifted up by one point on half of the Likert items for a third of its respondents.
    static func fixture(respondents: Int) throws -> (ExperimentDesign, RunData) {
        var items: [JSONValue] = []
        for i in 0..<14 {
            items.append(
                [
                    "id": .string("l\(i)"), "type": "likert", "question": .string("Item \(i)?"),
                    "scale": ["min": 1, "max": 7],
                ])
        }
        let options: [JSONValue] = ["Yes", "No", "Not sure"]
        for i in 0..<6 {
            items.append(
                [
                    "id": .string("c\(i)"), "type": "single-choice", "question": .string("Choice \(i)?"),
                    "options": .array(options),
                ])
        }
        let document: JSONValue = [
            "kind": "experiment", "id": "bench", "seed": 1,
            "base": [
                "kind": "survey", "id": "bench-base", "population": ["inline": []],
                "survey": ["instructions": "Answer.", "items": .array(items)],
            ],
            "arms": [
                ["name": "A", "patch": [:]], ["name": "B", "patch": [:]], ["name": "C", "patch": [:]],
                ["name": "D", "patch": [:]],
            ],
        ]
        let design = try ExperimentDesign.parse(document, file: nil)
        let ids = (0..<respondents).map { "p\($0)" }
        let arms = BalancedAssignment.between(ids: ids, strata: ids.map { _ in "" }, arms: 4, seed: 1)
        var stream = RandomStream(seed: 77)
        var units: [UnitRecord] = []
        units.reserveCapacity(respondents)
        for (i, id) in ids.enumerated() {
            var answers = JSONObject()
            let shifted = arms[i] == 3 && stream.nextInt(below: 3) == 0
            for l in 0..<14 {
                var value = stream.nextInt(in: 1...7)
                if shifted, l % 2 == 0 { value = min(7, value + 1) }
                answers["l\(l)"] = .integer(Int64(value))
            }
            for c in 0..<6 { answers["c\(c)"] = options[Int(stream.nextInt(below: 3))] }
            units.append(
                UnitRecord(
                    spec: UnitSpec(
                        index: i, id: id, kind: "survey-respondent",
                        input: [
                            "arm": .integer(Int64(arms[i])), "unit": .integer(Int64(i)), "id": .string(id),
                            "input": ["persona": .string(id)],
                        ]),
                    status: .done, result: ["answers": .object(answers)]))
        }
        let manifest = RunManifest(
            runID: "bench", kind: "experiment", document: document, sourceFile: nil, seed: 1, model: "none")
        return (design, RunData(manifest: manifest, units: units))
    }
}
