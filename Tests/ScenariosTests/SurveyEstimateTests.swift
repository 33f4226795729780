import AgoraTesting
import Foundation
import Inference
import Population
import Runs
import Scenarios
import Storage
import Testing

@Suite("Survey estimates", .serialized)
struct SurveyEstimateTests {
    /// Items the stub's smallest-instance answers satisfy (so no repair round), a persona-decided
    /// skip, piping of persona attributes and stimulus variables, and a between-subjects design.
    static let items: [JSONValue] = [
        ["id": "like", "type": "likert", "question": "Do you like {{vars.name}}?", "scale": ["min": 1, "max": 5]],
        ["id": "buy", "type": "single-choice", "question": "Buy it?", "options": ["Yes", "No", "Maybe"]],
        ["id": "car", "type": "yes-no", "question": "Own a car, {{persona.name}}?", "skipIf": "persona.age >= 60"],
        ["id": "nps", "type": "linear-scale", "question": "Recommend?", "min": 0, "max": 10],
        [
            "id": "grid", "type": "matrix", "question": "Rate.", "rows": ["Taste", "Price"],
            "scale": ["min": 1, "max": 5],
        ],
        ["id": "which", "type": "checkbox", "question": "Which?", "options": ["A", "B", "C"]],
        ["id": "words", "type": "free-list", "question": "Words?"],
        ["id": "pay", "type": "numeric", "question": "Pay?", "min": 0, "max": 100],
        ["id": "why", "type": "open", "question": "Why?"],
    ]

    static let survey: JSONObject = [
        "context": "An ad for {{vars.name}}.", "randomizeOptions": true,
        "stimuli": ["vars": [["id": "a", "name": "LeafUp"], ["id": "b", "name": "BrewJolt, the cold brew"]]],
    ]

    func stubModel(_ stub: StubServer) -> OpenAICompatibleModel {
        OpenAICompatibleModel(endpoint: Endpoint(baseURL: stub.baseURL, model: "stub-model"))
    }

    func runAndEstimate(root: JSONObject = JSONObject()) async throws -> (JSONValue, SurveyEstimate) {
        let stub = try StubServer()
        defer { stub.stop() }
        let scenario = try SurveyFixtures.scenario(Self.items, survey: Self.survey, root: root)
        let model = stubModel(stub)
        let (_, results, _) = try await SurveyFixtures.run(scenario, model: model)
        let estimate = try await SurveyEstimate.estimate(
            scenario, personas: scenario.population.inline,
            settings: .init(model: model.identifier, concurrency: 1))
        return (results["usage"] ?? .null, estimate)
    }

    @Test("the estimate equals the calls of a run against the stub, and its prompt tokens within 5%")
    func matchesStubRun() async throws {
        let (usage, estimate) = try await runAndEstimate()
        let calls = try #require(usage["calls"]?.intValue)
        let prompt = try #require(usage["promptTokens"]?.intValue)
        #expect(calls == 26)  // 3 respondents × 9 items, minus Cy's skipped car item
        #expect(estimate.calls == Int(calls))
        #expect(
            abs(Double(estimate.promptTokens) - Double(prompt)) <= 0.05 * Double(prompt),
            "\(estimate.promptTokens) vs \(prompt)")
        #expect(estimate.units == 3)
        #expect(estimate.completionTokensMax >= Int(usage["completionTokens"]?.intValue ?? 0))
        #expect(estimate.cacheHits == nil)
    }

    @Test("with lagged memory the calls are still exact and the prompt tokens within 10%")
    func memory() async throws {
        let (usage, estimate) = try await runAndEstimate(root: ["memory": ["lagged": 2]])
        let prompt = Double(usage["promptTokens"]?.intValue ?? 0)
        #expect(estimate.calls == Int(usage["calls"]?.intValue ?? -1))
        #expect(abs(Double(estimate.promptTokens) - prompt) <= 0.10 * prompt, "\(estimate.promptTokens) vs \(prompt)")
    }

    @Test("calls already in the response cache are counted as hits and cost nothing")
    func cacheHits() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let folder = RunFixtures.temporaryDirectory("estimate-cache")
        let cache = try ResponseCache(.file(folder.appendingPathComponent("cache.sqlite").path))
        let scenario = try SurveyFixtures.scenario(Self.items, survey: Self.survey)
        let base = stubModel(stub)
        let settings = SurveyEstimate.Settings(
            model: base.identifier, concurrency: 1,
            prices: PriceTable(prices: [base.identifier: .init(prompt: 1, completion: 2)]))
        let before = try await SurveyEstimate.estimate(
            scenario, personas: scenario.population.inline, settings: settings, cache: cache)
        #expect(before.cacheHits == 0)
        #expect((before.cost ?? 0) > 0)
        _ = try await RunFixtures.run(
            scenario, model: CachedModel(base: base, cache: cache, mode: .readWrite), limit: 2)
        try await cache.flush()
        let after = try await SurveyEstimate.estimate(
            scenario, personas: scenario.population.inline, settings: settings, cache: cache)
        #expect(after.cacheHits == 18)  // Ann's and Bob's 9 calls each
        #expect(after.calls == before.calls)
        #expect((after.cost ?? 0) < (before.cost ?? 0))
        #expect(after.wallSeconds < before.wallSeconds)
    }

    @Test("100,000 respondents are estimated without a model in well under a few seconds")
    func large() async throws {
        let scenario = try SurveyFixtures.scenario(Self.items, survey: Self.survey)
        let personas = (0..<100_000).map { i in
            Persona(
                id: "p\(i)", name: "Person \(i)", attributes: ["age": .integer(Int64(18 + i % 70)), "region": "north"])
        }
        let clock = ContinuousClock()
        let started = clock.now
        let estimate = try await SurveyEstimate.estimate(
            scenario, personas: personas, settings: .init(model: "scripted", concurrency: 16))
        let elapsed = clock.now - started
        #expect(estimate.units == 100_000)
        #expect(estimate.calls == 100_000 * 9 - personas.filter { ($0.attributes["age"]?.intValue ?? 0) >= 60 }.count)
        // Under a second in a release build; debug builds on these shared machines are slower.
        #expect(elapsed < .seconds(10), "took \(elapsed)")
        print("estimate of 100,000 respondents took \(elapsed)")
    }
}
