import AgoraTesting
import Environments
import Experiments
import Foundation
import Runs
import Storage
import Testing

@Suite("Experiment runs")
struct ExperimentRunTests {
    static func abDocument(_ count: Int, design: String = "between") -> JSONValue {
        [
            "kind": "experiment", "id": "ab", "seed": 11, "design": .string(design), "stratify": ["group"],
            "base": ExperimentFixtures.survey(count),
            "arms": [
                ["name": "A", "patch": [:]],
                ["name": "B", "patch": ["survey": ["context": "A solar kettle. VARIANT-B"]]],
            ],
        ]
    }

    static func comparison(_ results: JSONValue, outcome: String) -> JSONValue? {
        results["experiment"]?["outcomes"]?.arrayValue?.first { $0["id"]?.stringValue == outcome }?["comparisons"]?[0]
    }

    @Test("a planted +1 for half of arm B (effect 0.5) is recovered: the interval covers 0.5 and excludes 0")
    func plantedEffect() async throws {
        let summary = try await ExperimentFixtures.run(Self.abDocument(240), model: ExperimentFixtures.plantedModel)
        #expect(summary.unitsDone == 240)
        let results = summary.results
        let interest = try #require(Self.comparison(results, outcome: "interest"))
        let effect = try #require(interest["effect"])
        let low = try #require(effect["low"]?.doubleValue)
        let high = try #require(effect["high"]?.doubleValue)
        #expect(low > 0 && low < 0.5 && high > 0.5, "interval [\(low), \(high)]")
        #expect((interest["test"]?["pHolm"]?.doubleValue ?? 1) < 0.05)
        // No effect was planted on `buy`: its interval covers 0.
        let buy = try #require(Self.comparison(results, outcome: "buy"))
        let yes = try #require(buy["effects"]?[0])
        #expect((yes["low"]?.doubleValue ?? 1) < 0 && (yes["high"]?.doubleValue ?? -1) > 0)
        // Balanced to ±1 within each stratum.
        for stratum in results["experiment"]?["balance"]?.arrayValue ?? [] {
            let counts = stratum["assigned"]?.arrayValue?.compactMap(\.intValue) ?? []
            #expect(counts.count == 2 && abs(counts[0] - counts[1]) <= 1, "\(stratum)")
        }
        // Outputs: effects.csv has the interest row; the page has the forest plot.
        let csv = try ExperimentFixtures.read(summary.directory, "effects.csv")
        #expect(csv.hasPrefix("section,outcome,a,b,measure,option,estimate,low,high,test,statistic,df,p,p_holm\n"))
        #expect(csv.contains("comparison,interest,A,B,mean difference (b − a),,"))
        let html = try ExperimentFixtures.read(summary.directory, "report.html")
        #expect(html.contains("aria-label=\"forest plot of the effects\""))
        #expect(html.contains("aria-label=\"answers per arm\""))
        // Each arm's own survey results are kept.
        #expect(results["arms"]?[1]?["results"]?["items"]?[0]?["id"]?.stringValue == "interest")
    }

    @Test("the same results at concurrency 1 and 4, and after a limited run is resumed")
    func determinism() async throws {
        let document = Self.abDocument(40)
        let one = try await ExperimentFixtures.run(document, model: ExperimentFixtures.plantedModel, concurrency: 1)
        let four = try await ExperimentFixtures.run(document, model: ExperimentFixtures.plantedModel, concurrency: 4)
        #expect(one.results["experiment"] == four.results["experiment"])
        #expect(
            try ExperimentFixtures.read(one.directory, "effects.csv")
                == ExperimentFixtures.read(four.directory, "effects.csv"))
        let out = try ExperimentFixtures.folder()
        let partial = try await ExperimentFixtures.run(
            document, model: ExperimentFixtures.plantedModel, out: out, concurrency: 3, limit: 15)
        #expect(partial.unitsDone == 15)
        let resumed = try await ExperimentFixtures.run(
            document, model: ExperimentFixtures.plantedModel, concurrency: 2, resume: partial.directory)
        #expect(resumed.unitsDone == 40)
        #expect(resumed.results["experiment"] == one.results["experiment"])
        // agora report rebuilds the same outputs from the store.
        let json = try await Launcher.report(resumed.directory, format: .json)
        #expect(try JSONValue.parse(json)["experiment"] == one.results["experiment"])
        let markdown = try await Launcher.report(resumed.directory, format: .md)
        #expect(markdown.hasPrefix("- interest · B − A: "))
    }

    @Test("within subjects: every respondent answers in both arms, each arm first for half of them")
    func within() async throws {
        let summary = try await ExperimentFixtures.run(
            Self.abDocument(30, design: "within"), model: ExperimentFixtures.plantedModel)
        #expect(summary.unitsDone == 60)
        let arms = summary.results["experiment"]?["arms"]?.arrayValue ?? []
        #expect(arms.compactMap { $0["n"]?.intValue } == [30, 30])
        let store = try RunStore.open(summary.directory)
        let units = try await store.units()
        var first = [0, 0]
        for unit in units where unit.spec.input["position"]?.intValue == 0 {
            first[Int(unit.spec.input["arm"]?.intValue ?? 0)] += 1
        }
        #expect(first == [15, 15])
        let warnings = summary.results["experiment"]?["warnings"]?.arrayValue ?? []
        #expect(warnings.contains { ($0.stringValue ?? "").hasPrefix("within subjects") })
        // Paired: each respondent's B − A is 1 for even N and 0 for odd N, so the mean is exactly 0.5.
        let interest = try #require(Self.comparison(summary.results, outcome: "interest"))
        #expect(interest["test"]?["name"] == "paired t")
        #expect(interest["effect"]?["estimate"]?.doubleValue == 0.5)
        #expect(interest["effect"]?["pairs"]?.intValue == 30)
        #expect((interest["effect"]?["low"]?.doubleValue ?? 0) > 0)
    }

    @Test("a 2×2 factorial recovers a planted main effect of −1 and no interaction")
    func factorial() async throws {
        let document: JSONValue = [
            "kind": "experiment", "id": "f", "seed": 5, "base": ExperimentFixtures.survey(160),
            "outcomes": ["interest"],
            "factors": [
                "price": [
                    ["level": "$29", "patch": ["survey": ["context": "Price: $29"]]],
                    ["level": "$49", "patch": ["survey": ["context": "Price: $49"]]],
                ],
                "copy": [
                    ["level": "plain", "patch": [:]],
                    ["level": "warm", "patch": ["survey": ["instructions": "Answer warmly as yourself."]]],
                ],
            ],
        ]
        let summary = try await ExperimentFixtures.run(document, model: ExperimentFixtures.plantedModel)
        let arms = summary.results["experiment"]?["arms"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(
            arms == [
                "price=$29 × copy=plain", "price=$29 × copy=warm", "price=$49 × copy=plain", "price=$49 × copy=warm",
            ])
        let terms = summary.results["experiment"]?["factorial"]?["outcomes"]?[0]?["terms"]?.arrayValue ?? []
        func term(_ name: String) -> (Double, Double, Double)? {
            guard let t = terms.first(where: { $0["term"]?.stringValue == name }) else { return nil }
            return (t["estimate"]?.doubleValue ?? .nan, t["low"]?.doubleValue ?? .nan, t["high"]?.doubleValue ?? .nan)
        }
        let price = try #require(term("price=$49"))
        #expect(price.1 < -1 && price.2 > -1 && price.2 < 0, "\(price)")
        let interaction = try #require(term("price=$49 × copy=warm"))
        #expect(interaction.1 < 0 && interaction.2 > 0, "\(interaction)")
    }

    @Test("a bad arm patch is bad input naming the arm and the JSON path")
    func badArm() async throws {
        let document: JSONValue = [
            "kind": "experiment", "id": "bad", "base": ExperimentFixtures.survey(4),
            "arms": [
                ["name": "A", "patch": [:]],
                ["name": "B", "patch": ["survey": ["items": [["id": "x", "type": "likert"]]]]],
            ],
        ]
        do {
            _ = try await ExperimentFixtures.run(document, model: ExperimentFixtures.plantedModel)
            Issue.record("a bad arm ran")
        } catch let error as RunError {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("arm \"B\" (the base with $.arms[1].patch applied) is not a valid survey"))
            #expect(error.path?.hasPrefix("$.survey.items[0]") == true)
        }
        guard case .object(var typo) = Self.abDocument(4) else { return }
        typo["stratify"] = ["gruop"]
        do {
            _ = try await ExperimentFixtures.run(.object(typo), model: ExperimentFixtures.plantedModel)
            Issue.record("a misspelt stratum ran")
        } catch let error as RunError {
            #expect(error.path == "$.stratify[0]")
            #expect(error.message.hasPrefix("no persona has the attribute \"gruop\" (did you mean \"group\"?)"))
        }
        let one: JSONValue = [
            "kind": "experiment", "id": "one", "base": ExperimentFixtures.survey(4), "arms": [["name": "A"]],
        ]
        await #expect(throws: RunError.self) {
            try await ExperimentFixtures.run(one, model: ExperimentFixtures.plantedModel)
        }
    }
}
