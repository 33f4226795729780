import AgoraTesting
import Environments
import Foundation
import Inference
import Runs
import Scenarios
import Storage
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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
        // When the units start (the first update sets the total) and when the last one finished.
        let phases = Mutex<(unitsStart: ContinuousClock.Instant?, unitsEnd: ContinuousClock.Instant?)>((nil, nil))
        let monitor = RunMonitor { counts in
            let now = ContinuousClock.now
            phases.withLock { p in
                if p.unitsStart == nil { p.unitsStart = now }
                if counts.unitsTotal > 0, counts.unitsFinished == counts.unitsTotal { p.unitsEnd = now }
            }
        }
        let cpuStart = processCPUSeconds()
        let start = clock.now
        let summary = try await ScenarioRunner.run(
            scenario: scenario, model: model,
            options: RunOptions(outDirectory: folder.appendingPathComponent("runs"), concurrency: width),
            monitor: monitor)
        let end = clock.now
        let seconds = BenchClock.seconds(end - start)
        let (unitsStart, unitsEnd) = phases.withLock { ($0.unitsStart ?? start, $0.unitsEnd ?? end) }
        let cpuSeconds = processCPUSeconds() - cpuStart
        let calls = stub.requestCount
        // The outputs (transcripts, CSV, results, report) are written once at the end; time them alone.
        let outputsStart = clock.now
        let outputsCPUStart = processCPUSeconds()
        _ = try await Launcher.report(summary.directory, format: .json)
        let outputSeconds = BenchClock.seconds(clock.now - outputsStart)
        let outputCPUSeconds = processCPUSeconds() - outputsCPUStart
        // Where a call's time goes: inside the model call (lookup, HTTP, store) vs between calls.
        let runStore = try RunStore.open(summary.directory)
        var latencies: [Double] = []
        for unit in 0..<summary.unitsTotal {
            latencies += try await runStore.modelCalls(unit: unit).map(\.latencySeconds)
        }
        latencies.sort()
        let meanLatency = latencies.reduce(0, +) / Double(max(latencies.count, 1))
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
            BenchFigure(
                name: "\(label): writing the outputs (wall, CPU)", value: outputSeconds,
                unit: String(format: "s, %.3f s CPU", outputCPUSeconds)),
            BenchFigure(
                name: "\(label): efficiency of the units alone (wall − outputs)",
                value: Double(calls) / max(seconds - outputSeconds, 1e-9) / ideal, unit: "ratio"),
            BenchFigure(
                name: "\(label): phases: setup / units / after the last unit",
                value: BenchClock.seconds(unitsStart - start),
                unit: String(
                    format: "s / %.3f s / %.3f s", BenchClock.seconds(unitsEnd - unitsStart),
                    BenchClock.seconds(end - unitsEnd))),
            BenchFigure(
                name: "\(label): call latency seen by the unit − 50 ms: mean / p50 / p99",
                value: (meanLatency - latency) * 1e3,
                unit: String(
                    format: "ms / %.2f ms / %.2f ms", (BenchClock.quantile(latencies, 0.5) - latency) * 1e3,
                    (BenchClock.quantile(latencies, 0.99) - latency) * 1e3)),
            // CPU time (user + system, every thread: Agora, the in-process stub, SQLite) of the timed
            // region; unlike the wall time it hardly moves when the machine is shared.
            BenchFigure(
                name: "\(label): CPU time per 10,000 calls (incl. stub and outputs)",
                value: cpuSeconds / Double(max(calls, 1)) * 10_000, unit: "s"),
        ]
    }

    /// User + system CPU seconds of the whole process so far.
    static func processCPUSeconds() -> Double {
        #if canImport(Glibc)
            var usage = rusage()
            guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
            func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        #else
            return 0
        #endif
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
