import AgoraTesting
import Environments
import Foundation
import Inference
import Storage

/// `agora run`'s throughput: a survey of 1,000 respondents × 10 items against a StubServer at 50 ms
/// latency with 64 units in flight, through the whole pipeline (structured output, response cache,
/// run store commits, outputs). Efficiency = achieved calls/s ÷ (64 / 0.05 s).
enum RunBench: BenchSuite {
    static let name = "run"

    static func run(quick: Bool) async throws -> [BenchFigure] {
        var figures: [BenchFigure] = [keyCost()]
        for cached in [true, false] {
            figures += try await survey(respondents: quick ? 200 : 1_000, cached: cached)
        }
        return figures
    }

    /// One survey run; `cached`: through the response cache (a SQLite file, as `agora run` does).
    static func survey(respondents: Int, cached: Bool) async throws -> [BenchFigure] {
        let width = 64
        let latency = 0.05
        let stub = try StubServer(configuration: .init(latency: latency, recording: .none))
        defer { stub.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-bench-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        let client = OpenAICompatibleModel(
            endpoint: Endpoint(baseURL: stub.baseURL, model: "stub-model", limits: .init(maxInFlight: width)))
        let cache = cached ? try ResponseCache(.file(folder.appendingPathComponent("responses.sqlite").path)) : nil
        let model = CachedModel(base: client, cache: cache, mode: cached ? .readWrite : .off)
        let scenario = try Scenario.parse(document(respondents: respondents))

        let clock = ContinuousClock()
        let start = clock.now
        let summary = try await ScenarioRunner.run(
            scenario: scenario, model: model,
            options: RunOptions(outDirectory: folder.appendingPathComponent("runs"), concurrency: width))
        let seconds = BenchClock.seconds(clock.now - start)
        let calls = stub.requestCount
        // The outputs (transcripts, CSV, results, report) are written once at the end; time them alone.
        let outputsStart = clock.now
        _ = try await RunReport.writeOutputs(store: try RunStore.open(summary.directory))
        let outputSeconds = BenchClock.seconds(clock.now - outputsStart)
        let ideal = Double(width) / latency
        let efficiency = Double(calls) / seconds / ideal
        let label = "survey \(respondents) × 10 at 50 ms, conc. 64, \(cached ? "cache on" : "cache off")"
        return [
            BenchFigure(name: "\(label): wall", value: seconds, unit: "s"),
            BenchFigure(name: "\(label): calls (units done \(summary.unitsDone))", value: Double(calls), unit: "calls"),
            BenchFigure(name: "\(label): calls/s", value: Double(calls) / seconds, unit: "calls/s"),
            BenchFigure(
                name: "\(label): efficiency vs 64 / 0.05 s", value: efficiency, unit: "ratio", target: "≥ 0.90",
                met: efficiency >= 0.90),
            BenchFigure(
                name: "\(label): peak in flight at the stub", value: Double(stub.peakInFlight), unit: "requests"),
            BenchFigure(name: "\(label): writing the outputs", value: outputSeconds, unit: "s"),
            BenchFigure(
                name: "\(label): efficiency of the units alone (wall − outputs)",
                value: Double(calls) / max(seconds - outputSeconds, 1e-9) / ideal, unit: "ratio"),
        ]
    }

    /// The cost of one response-cache key (canonical JSON + SHA-256) of a survey request, which
    /// the run store records for every call.
    static func keyCost() -> BenchFigure {
        let request = ChatRequest(
            messages: [
                .system(String(repeating: "You are a respondent with many attributes. ", count: 20)),
                .user(String(repeating: "Question text with options. ", count: 10)),
            ], temperature: 0.7, maxTokens: 32,
            responseFormat: .jsonSchema(name: "survey_answer", schema: ["type": "object"], strict: true))
        let clock = ContinuousClock()
        let start = clock.now
        var total = 0
        for _ in 0..<2_000 { total &+= ResponseCache.key(for: request, model: "stub").utf8.count }
        let micros = BenchClock.seconds(clock.now - start) / 2_000 * 1e6
        return BenchFigure(
            name: "response-cache key of a 1 KB request (\(total / 2_000) hex chars)", value: micros, unit: "µs")
    }

    /// Ten closed items (the stub's default reply is the smallest valid instance of each schema).
    static func document(respondents: Int) -> JSONValue {
        var personas: [JSONValue] = []
        for i in 0..<respondents {
            var attributes = JSONObject()
            attributes["age"] = .integer(Int64(18 + i % 60))
            attributes["sex"] = .string(i % 2 == 0 ? "female" : "male")
            personas.append(
                .object(JSONObject([("id", .string(String(format: "p%06d", i))), ("attributes", .object(attributes))])))
        }
        var items: [JSONValue] = []
        for k in 0..<10 {
            var item = JSONObject([("id", .string("q\(k + 1)")), ("question", .string("Question \(k + 1)?"))])
            switch k % 4 {
            case 0:
                item["type"] = "likert"
                item["scale"] = .object(JSONObject([("min", 1), ("max", 5)]))
            case 1:
                item["type"] = "single-choice"
                item["options"] = ["Yes", "No", "Maybe"]
            case 2:
                item["type"] = "multiple-choice"
                item["options"] = ["A", "B", "C", "D"]
            default:
                item["type"] = "numeric"
                item["min"] = 0
                item["max"] = 100
            }
            items.append(.object(item))
        }
        return .object(
            JSONObject([
                ("id", "bench-survey"), ("kind", "survey"), ("seed", 1),
                ("population", .object(JSONObject([("inline", .array(personas))]))), ("splitBy", ["sex"]),
                ("survey", .object(JSONObject([("randomizeOptions", true), ("items", .array(items))]))),
            ]))
    }
}
