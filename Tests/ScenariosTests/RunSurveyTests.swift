import Agents
import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Testing
import Worlds

@Suite("Survey runs")
struct RunSurveyTests {
    @Test("a scripted survey writes the golden transcripts.jsonl and responses.csv")
    func golden() async throws {
        let summary = try await RunFixtures.run(try RunFixtures.surveyScenario(), model: RunFixtures.scriptedModel())
        #expect(summary.unitsDone == 6)
        #expect(summary.unitsFailed == 0)
        let transcripts = try RunFixtures.read(summary.directory, "transcripts.jsonl")
        let responses = try RunFixtures.read(summary.directory, "responses.csv")
        if ProcessInfo.processInfo.environment["AGORA_UPDATE_GOLDEN"] == "1" {
            try RunFixtures.writeGolden(["transcripts": transcripts, "responses": responses])
        }
        #expect(transcripts == RunGolden.transcripts + "\n", "transcripts.jsonl differs from the golden file")
        #expect(responses == RunGolden.responses + "\n", "responses.csv differs from the golden file")
        let csv = try RunFixtures.read(summary.directory, "responses.csv")
        #expect(csv.hasPrefix("respondent_id,age,sex,region,likes,buy,features,pay,why\n"))
        #expect(csv.split(separator: "\n").count == 7)
    }

    @Test("outputs are byte-identical at concurrency 1 and 8")
    func concurrencyInvariance() async throws {
        let scenario = try RunFixtures.surveyScenario()
        let one = try await RunFixtures.run(scenario, model: RunFixtures.scriptedModel(), concurrency: 1)
        let eight = try await RunFixtures.run(scenario, model: RunFixtures.scriptedModel(), concurrency: 8)
        for name in ["transcripts.jsonl", "responses.csv", "results.json", "report.html"] {
            #expect(try RunFixtures.read(one.directory, name) == RunFixtures.read(eight.directory, name), "\(name)")
        }
    }

    @Test("results.json has distributions with intervals, splits, and usage")
    func results() async throws {
        let summary = try await RunFixtures.run(try RunFixtures.surveyScenario(), model: RunFixtures.scriptedModel())
        let results = try JSONValue.parse(try RunFixtures.read(summary.directory, "results.json"))
        let items = try #require(results["items"]?.arrayValue)
        #expect(items.count == 5)
        let likes = items[0]
        #expect(likes["n"]?.intValue == 6)
        #expect(likes["distribution"]?.arrayValue?.count == 5)
        let counts = likes["distribution"]?.arrayValue?.compactMap { $0["count"]?.intValue } ?? []
        #expect(counts.reduce(0, +) == 6)
        let ci = try #require(likes["distribution"]?[0]?["ci95"]?.arrayValue)
        #expect(ci.count == 2)
        #expect(results["splits"]?[0]?["attribute"]?.stringValue == "sex")
        #expect(
            results["splits"]?[0]?["groups"]?.arrayValue?.map { $0["value"]?.stringValue ?? "" } == ["female", "male"])
        #expect(results["usage"]?["calls"]?.intValue == 30)
        #expect((results["usage"]?["promptTokens"]?.intValue ?? 0) >= 0)
        let html = try RunFixtures.read(summary.directory, "report.html")
        #expect(html.contains("<svg"))
        #expect(!html.contains("http://") || !html.contains("<script"))
        #expect(!html.contains("<script"))
    }

    @Test("option order is shuffled per respondent from the seed, the same every run")
    func randomisation() async throws {
        let scenario = try RunFixtures.surveyScenario()
        let a = try await RunFixtures.run(scenario, model: RunFixtures.scriptedModel())
        let store = try RunStore.open(a.directory)
        var orders: [[String]] = []
        for group in try await store.events() {
            if let options = group.events.first(where: { $0.data["item"]?.stringValue == "features" })?.data["options"]?
                .arrayValue
            {
                orders.append(options.compactMap(\.stringValue))
            }
        }
        #expect(orders.count == 6)
        #expect(Set(orders.map { $0.joined(separator: "|") }).count > 1, "every respondent saw the same order")
        #expect(orders.allSatisfy { Set($0) == ["Price", "Speed", "Looks", "Solar"] })
    }

    @Test("an out-of-range answer gets one repair round and then counts")
    func repairSucceeds() async throws {
        let model = ScriptedModel(rule: { request in
            let last = request.messages.last?.content ?? ""
            if last.contains("did not match") || last.lowercased().contains("problem") || request.messages.count > 2 {
                return "{\"answer\": 3}"
            }
            return "{\"answer\": 9}"
        })
        let scenario = try onlyItem([
            "id": "likes", "type": "likert", "question": "Like it?", "scale": ["min": 1, "max": 5],
        ])
        let summary = try await RunFixtures.run(scenario, model: model, limit: 1)
        let results = try JSONValue.parse(try RunFixtures.read(summary.directory, "results.json"))
        #expect(results["items"]?[0]?["n"]?.intValue == 1)
        #expect(results["items"]?[0]?["distribution"]?[2]?["count"]?.intValue == 1)
        #expect(model.requests.count == 2)
    }

    @Test("an answer still invalid after the repair is recorded as failed, never a default")
    func repairFails() async throws {
        let model = ScriptedModel(rule: { _ in "{\"answer\": 42}" })
        let scenario = try onlyItem([
            "id": "likes", "type": "likert", "question": "Like it?", "scale": ["min": 1, "max": 5],
        ])
        let summary = try await RunFixtures.run(scenario, model: model, limit: 2)
        #expect(summary.itemFailures == 2)
        #expect(summary.unitsDone == 2)
        let csv = try RunFixtures.read(summary.directory, "responses.csv")
        #expect(csv.split(separator: "\n", omittingEmptySubsequences: false)[1].hasSuffix(","))
        let results = try JSONValue.parse(try RunFixtures.read(summary.directory, "results.json"))
        #expect(results["items"]?[0]?["n"]?.intValue == 0)
        #expect(results["items"]?[0]?["failed"]?.intValue == 2)
        #expect(model.requests.count == 4)
        let transcripts = try RunFixtures.read(summary.directory, "transcripts.jsonl")
        #expect(transcripts.contains("\"failed\""))
    }

    @Test("--limit runs the first units; resuming finishes the rest and runs no unit twice")
    func limitAndResume() async throws {
        let scenario = try RunFixtures.surveyScenario()
        let model = RunFixtures.scriptedModel()
        let first = try await RunFixtures.run(scenario, model: model, limit: 2)
        #expect(first.unitsDone == 2)
        #expect(model.requests.count == 10)
        let resumed = try await ScenarioRunner.run(
            scenario: scenario, model: model,
            options: RunOptions(outDirectory: first.directory, resume: first.directory))
        #expect(resumed.unitsDone == 6)
        #expect(model.requests.count == 30)
        let units = try await RunStore.open(first.directory).units()
        #expect(units.allSatisfy { $0.commits == 1 })
        let fresh = try await RunFixtures.run(scenario, model: RunFixtures.scriptedModel())
        for name in ["transcripts.jsonl", "responses.csv", "results.json"] {
            #expect(try RunFixtures.read(first.directory, name) == RunFixtures.read(fresh.directory, name), "\(name)")
        }
    }

    @Test("agora report rebuilds the same outputs from the store")
    func rebuild() async throws {
        let summary = try await RunFixtures.run(try RunFixtures.surveyScenario(), model: RunFixtures.scriptedModel())
        let before = try RunFixtures.read(summary.directory, "results.json")
        let json = try await Launcher.report(summary.directory, format: .json)
        #expect(json == before)
        let md = try await Launcher.report(summary.directory, format: .md)
        #expect(md.contains("## likes"))
        let html = try await Launcher.report(summary.directory, format: .html)
        #expect(html == (try RunFixtures.read(summary.directory, "report.html")))
    }

    @Test("replay-only re-renders from the cache without a model call")
    func replayOnly() async throws {
        let scenario = try RunFixtures.surveyScenario()
        let cache = try ResponseCache(.memory)
        let scripted = RunFixtures.scriptedModel()
        let first = try await RunFixtures.run(
            scenario, model: CachedModel(base: scripted, cache: cache, mode: .readWrite))
        let silent = ScriptedModel(replies: [])
        let replay = try await RunFixtures.run(
            scenario, model: CachedModel(base: silent, cache: cache, mode: .replayOnly))
        #expect(silent.requests.isEmpty)
        for name in ["transcripts.jsonl", "responses.csv", "results.json"] {
            #expect(try RunFixtures.read(first.directory, name) == RunFixtures.read(replay.directory, name), "\(name)")
        }
    }

    func onlyItem(_ item: JSONValue) throws -> Scenario {
        guard case .object(var root) = RunFixtures.surveyDocument, case .object(var survey) = root["survey"] ?? .null
        else {
            throw RunError(.invalidInput, "fixture")
        }
        survey["items"] = [item]
        survey["context"] = nil
        root["survey"] = .object(survey)
        return try Scenario.parse(.object(root))
    }
}
