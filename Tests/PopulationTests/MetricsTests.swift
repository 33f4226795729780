import Foundation
import Storage
import Testing

@testable import Population

@Suite("Metrics")
struct MetricsTests {
    @Test("Test 19: uniform over k values has H = ln k and normalised H = 1; constant has 0", arguments: [2, 3, 7])
    func entropy(k: Int) {
        let uniform = PopulationMetrics.entropy([Int](repeating: 5, count: k))
        #expect(abs(uniform.entropy - log(Double(k))) < 1e-12)
        #expect(abs(uniform.normalised - 1) < 1e-12)
        var constant = [Int](repeating: 0, count: k)
        constant[0] = 9
        #expect(PopulationMetrics.entropy(constant).entropy == 0)
        #expect(PopulationMetrics.entropy(constant).normalised == 0)
    }

    @Test("Test 19: coverage of a hand-built 5-persona population matches hand values")
    func coverage() throws {
        let spec = try DemoFixture.spec(population: 5)
        func persona(_ slot: Int, _ pairs: [(String, JSONValue)]) -> Persona {
            Persona(id: Persona.id(slot: slot), slot: slot, attributes: JSONObject(pairs))
        }
        let personas = [
            persona(
                0, [("demo.age", 30), ("demo.sex", "female"), ("demo.education", "bachelor"), ("geo.region", "south")]),
            persona(
                1, [("demo.age", 40), ("demo.sex", "male"), ("demo.education", "bachelor"), ("geo.region", "south")]),
            persona(
                2, [("demo.age", 50), ("demo.sex", "female"), ("demo.education", "master"), ("geo.region", "west")]),
            persona(
                3, [("demo.age", 12), ("demo.sex", "male"), ("demo.education", "primary"), ("geo.region", "west")]),
            persona(
                4,
                [
                    ("demo.age", 70), ("demo.sex", "female"), ("demo.education", "none"), ("geo.region", "south"),
                    ("life.smoker", true),
                ]),
        ]
        let report = PopulationReport(personas: personas, spec: spec)
        let attributeCount = Double(spec.taxonomy.attributes.count)
        #expect(abs(report.leafCoverage - 5 / attributeCount) < 1e-12)
        let sex = try #require(report.attributes.first { $0.id == "demo.sex" })
        #expect(sex.valueCoverage == 1)
        #expect(abs(sex.entropy - (-(0.6 * log(0.6) + 0.4 * log(0.4)))) < 1e-12)
        let education = try #require(report.attributes.first { $0.id == "demo.education" })
        #expect(abs(education.valueCoverage - 4.0 / 8.0) < 1e-12)
        let region = try #require(report.attributes.first { $0.id == "geo.region" })
        #expect(abs(region.valueCoverage - 2.0 / 4.0) < 1e-12)
        #expect(abs(report.meanAttributesPerPersona - 21.0 / 5.0) < 1e-12)
        #expect(report.uniqueHashFraction == 1)
        #expect(report.hardViolations == 0)
        // 5 occupied joint cells out of the feasible ones; the age 0-17 × tertiary cells are structural zeros.
        let feasible = 7 * 2 * 8 * 4 - 1 * 2 * 4 * 4
        #expect(abs((report.feasibleCellCoverage ?? 0) - 5.0 / Double(feasible)) < 1e-12)
    }

    @Test("KL and JS are zero for identical distributions and positive otherwise")
    func divergences() {
        #expect(PopulationMetrics.kullbackLeibler([1, 2, 3], [1, 2, 3]) < 1e-12)
        #expect(PopulationMetrics.jensenShannon([1, 2, 3], [1, 2, 3]) < 1e-12)
        #expect(PopulationMetrics.kullbackLeibler([1, 0], [0.5, 0.5]) > 0.69)
        #expect(abs(PopulationMetrics.jensenShannon([1, 0], [0, 1]) - log(2)) < 1e-6)
    }
}
