import AgoraTesting
import Experiments
import Foundation
import Inference
import Runs
import Storage
import Testing

@Suite("Conjoint experiments")
struct ConjointTests {
    /// Picks A with probability 0.5 + 0.25 (u(A) − u(B)), u = 1 for price $29 and 0 otherwise (colour
    /// has no part-worth), the draw a hash of the prompt. The planted AMCE of $29 is therefore 0.25.
    static let model = ScriptedModel(rule: { request in
        let text = request.messages.map(\.content).joined(separator: "\n")
        let lines = text.split(separator: "\n")
        func utility(_ prefix: String) -> Double {
            lines.first { $0.hasPrefix(prefix) }.map { $0.contains("price: $29") ? 1 : 0 } ?? 0
        }
        let chanceA = 0.5 + 0.25 * (utility("Option A:") - utility("Option B:"))
        var stream = RandomStream(seed: 1).substream(text)
        return stream.nextDouble() < chanceA ? "{\"answer\": \"Option A\"}" : "{\"answer\": \"Option B\"}"
    })

    static func document(respondents: Int) -> JSONValue {
        [
            "kind": "experiment", "id": "kettle", "seed": 21, "base": ExperimentFixtures.survey(respondents),
            "conjoint": [
                "attributes": [
                    "price": ["$49", "$29", "$39"],
                    "colour": ["white", "black"],
                ],
                "tasks": 6,
                "restrictions": [["price": "$39", "colour": "black"]],
            ],
        ]
    }

    @Test("the AMCE of a planted part-worth (0.25) is recovered; a null attribute's interval covers 0")
    func planted() async throws {
        let summary = try await ExperimentFixtures.run(
            Self.document(respondents: 160), model: Self.model, concurrency: 4)
        let conjoint = try #require(summary.results["experiment"]?["conjoint"])
        #expect(conjoint["respondents"]?.intValue == 160)
        #expect(conjoint["profiles"]?.intValue == Int64(1920))  // 160 respondents × 6 tasks × 2 profiles
        let amce = conjoint["amce"]?.arrayValue ?? []
        func level(_ attribute: String, _ name: String) -> JSONValue? {
            amce.first { $0["attribute"]?.stringValue == attribute && $0["level"]?.stringValue == name }
        }
        let cheap = try #require(level("price", "$29"))
        let low = try #require(cheap["low"]?.doubleValue)
        let high = try #require(cheap["high"]?.doubleValue)
        #expect(low > 0 && low < 0.25 && high > 0.25, "[\(low), \(high)]")
        let black = try #require(level("colour", "black"))
        #expect((black["low"]?.doubleValue ?? 1) < 0 && (black["high"]?.doubleValue ?? -1) > 0, "\(amce)")
        #expect(level("price", "$49")?["baseline"] == true)
        // Marginal means: every level, the planted level above one half.
        let means = conjoint["marginalMeans"]?.arrayValue ?? []
        #expect(means.count == 5)
        let cheapMean = means.first { $0["level"]?.stringValue == "$29" }?["estimate"]?.doubleValue ?? 0
        #expect(cheapMean > 0.5)
        let html = try ExperimentFixtures.read(summary.directory, "report.html")
        #expect(html.contains("aria-label=\"AMCE plot\""))
        let csv = try ExperimentFixtures.read(summary.directory, "effects.csv")
        #expect(csv.contains("amce,choice,,,price,$29,"))
    }

    @Test("no profile breaks a restriction, and the tasks are stored with the unit")
    func restrictions() async throws {
        let summary = try await ExperimentFixtures.run(Self.document(respondents: 20), model: Self.model)
        let store = try RunStore.open(summary.directory)
        let units = try await store.units()
        #expect(units.count == 20)
        for unit in units {
            let tasks = unit.spec.input["tasks"]?.arrayValue ?? []
            #expect(tasks.count == 6)
            for task in tasks {
                let pair = task.arrayValue ?? []
                #expect(pair.count == 2)
                for profile in pair { #expect(profile != [2, 1]) }  // $39 and black
            }
        }
    }
}
