import Experiments
import Foundation
import Runs
import Storage
import Testing

@Suite("Null designs")
struct NullDesignTests {
    /// Identical arms: each respondent's answer is fixed (it cannot depend on the arm), and only the
    /// seeded assignment changes between repetitions.
    @Test("identical arms reject at about the nominal 5% over 200 seeded assignments")
    func falsePositives() throws {
        let count = 200
        let ids = (1...count).map { "p\($0)" }
        var answers = RandomStream(seed: 2024)
        let values = ids.map { _ in Int64(answers.nextInt(in: 1...5)) }
        let base = ExperimentFixtures.survey(count)
        let document: JSONValue = [
            "kind": "experiment", "id": "null", "base": base, "outcomes": ["interest"],
            "arms": [["name": "A", "patch": [:]], ["name": "B", "patch": [:]]],
        ]
        var rejections = 0
        var holmRejections = 0
        let repetitions = 200
        for seed in 1...repetitions {
            let design = try ExperimentDesign.parse(document, file: nil, seedOverride: UInt64(seed))
            let arms = BalancedAssignment.between(
                ids: ids, strata: ids.map { _ in "" }, arms: 2, seed: UInt64(seed))
            let units = ids.indices.map { i in
                UnitRecord(
                    spec: UnitSpec(
                        index: i, id: ids[i], kind: "survey-respondent",
                        input: [
                            "arm": .integer(Int64(arms[i])), "unit": .integer(Int64(i)), "id": .string(ids[i]),
                            "input": ["persona": .string(ids[i])],
                        ]),
                    status: .done, result: ["answers": ["interest": .integer(values[i])]])
            }
            let data = RunData(
                manifest: RunManifest(
                    runID: "null", kind: "experiment", document: document, sourceFile: nil, seed: UInt64(seed),
                    model: "none"),
                units: units)
            let analysis = ExperimentAnalysis(design: design, data: data, strata: { _ in "" }).json()
            let test = analysis["outcomes"]?[0]?["comparisons"]?[0]?["test"]
            if (test?["p"]?.doubleValue ?? 1) < 0.05 { rejections += 1 }
            if (test?["pHolm"]?.doubleValue ?? 1) < 0.05 { holmRejections += 1 }
        }
        let rate = Double(rejections) / Double(repetitions)
        // Binomial(200, 0.05) exceeds 18 with probability about 0.03; the assignment is seeded, so
        // this count is fixed: \(rejections).
        #expect(rate <= 0.09, "false-positive rate \(rate)")
        #expect(holmRejections == rejections)  // one comparison: Holm changes nothing
    }
}
