import AgoraTesting
import Environments
import Foundation
import Inference
import Runs
import Scenarios
import Storage

/// `agora bench --only scale`: a survey of N respondents × 1 item (N = 1,000,000, or
/// `AGORA_BENCH_SCALE_N`) against the in-process StubServer at 0 ms — calls/s, the process's peak
/// RSS and run-store bytes per unit; then the same survey as 4 shards of N/4 and `agora merge`'s
/// time (store merge + outputs).
enum ScaleBench: BenchSuite {
    static let name = "scale"
    static var onlyWhenAsked: Bool { true }

    static func run(quick: Bool) async throws -> [BenchFigure] {
        let n =
            ProcessInfo.processInfo.environment["AGORA_BENCH_SCALE_N"].flatMap { Int($0) }.map { max($0, 4) }
            ?? (quick ? 20_000 : 1_000_000)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-bench-scale-\(UUID().uuidString)")
        // AGORA_BENCH_SCALE_KEEP=1 keeps the run folders (single, shards, merged) to inspect or profile.
        let keep = ProcessInfo.processInfo.environment["AGORA_BENCH_SCALE_KEEP"] == "1"
        defer {
            if keep {
                FileHandle.standardError.write(Data("agora bench: kept the scale runs in \(folder.path)\n".utf8))
            } else {
                try? FileManager.default.removeItem(at: folder)
            }
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let personas = folder.appendingPathComponent("people.jsonl")
        try writePersonas(n, to: personas)
        let scenario = try Scenario.parse(document(personas: personas.path))

        let width = 64
        let stub = try StubServer(configuration: .init(latency: 0, recording: .none))
        defer { stub.stop() }
        let model = OpenAICompatibleModel(
            endpoint: Endpoint(baseURL: stub.baseURL, model: "stub-model", limits: .init(maxInFlight: width)))
        let label = "survey \(n) × 1 item, stub at 0 ms, conc. \(width)"
        let clock = ContinuousClock()

        let rssBefore = peakRSS()
        var start = clock.now
        let single = try await ScenarioRunner.run(
            scenario: scenario, model: model,
            options: RunOptions(outDirectory: folder.appendingPathComponent("single"), concurrency: width))
        let singleSeconds = BenchClock.seconds(clock.now - start)
        let calls = stub.requestCount
        let rss = peakRSS()
        let storeBytes = fileSize(single.directory.appendingPathComponent(RunStore.fileName))

        var shardSeconds: [Double] = []
        var shardFolders: [URL] = []
        for i in 0..<4 {
            var options = RunOptions(outDirectory: folder.appendingPathComponent("shards"), concurrency: width)
            options.shard = RunShard(index: i, count: 4)
            start = clock.now
            let summary = try await ScenarioRunner.run(scenario: scenario, model: model, options: options)
            shardSeconds.append(BenchClock.seconds(clock.now - start))
            shardFolders.append(summary.directory)
        }
        let merged = folder.appendingPathComponent("merged")
        start = clock.now
        _ = try await RunMerge.merge(shardFolders, into: merged)
        let storeMergeSeconds = BenchClock.seconds(clock.now - start)
        _ = try await RunEngine.rebuild(merged, registry: Launcher.registry)
        let mergeSeconds = BenchClock.seconds(clock.now - start)
        var identical = true
        for output in single.outputs {
            let other = merged.appendingPathComponent(output.lastPathComponent)
            if !sameBytes(output, other) { identical = false }
        }
        let gib = 1024.0 * 1024 * 1024
        let wholePeak = peakRSS()
        return [
            BenchFigure(name: "\(label): wall (units + outputs)", value: singleSeconds, unit: "s"),
            BenchFigure(
                name: "\(label): calls/s (\(calls) calls, \(single.unitsDone) units done)",
                value: Double(calls) / singleSeconds, unit: "calls/s"),
            BenchFigure(
                name: "\(label): peak RSS (before the run: \(String(format: "%.0f", rssBefore / 1_048_576)) MiB)",
                value: rss / 1_048_576, unit: "MiB", target: "≤ 1024 MiB", met: rss <= gib),
            BenchFigure(
                name: "\(label): run store bytes per unit (\(storeBytes) bytes)",
                value: Double(storeBytes) / Double(n), unit: "bytes"),
            BenchFigure(
                name: "4 shards of \(n / 4): wall per shard (sequential, one process)",
                value: shardSeconds.reduce(0, +) / 4, unit: "s"),
            BenchFigure(name: "merge of 4 shards: run stores only", value: storeMergeSeconds, unit: "s"),
            BenchFigure(
                name: "merge of 4 shards: total (stores + outputs)", value: mergeSeconds, unit: "s", target: "≤ 60 s",
                met: mergeSeconds <= 60),
            BenchFigure(
                name: "merged outputs byte-identical to the single run", value: identical ? 1 : 0, unit: "bool",
                target: "1", met: identical),
            BenchFigure(
                name: "peak RSS of the whole bench (run, 4 shards, merge, comparison)", value: wholePeak / 1_048_576,
                unit: "MiB", target: "≤ 1024 MiB", met: wholePeak <= gib),
        ]
    }

    /// `n` persona lines: Scenarios/personas/sample-people.jsonl's shapes with new ids.
    static func writePersonas(_ n: Int, to file: URL) throws {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        let sexes = ["female", "male"]
        let regions = ["West", "South", "Northeast", "Midwest"]
        var chunk = ""
        for i in 0..<n {
            chunk +=
                "{\"id\":\"p\(i)\",\"attributes\":{\"age\":\(18 + i % 60),\"sex\":\"\(sexes[i % 2])\",\"region\":\"\(regions[i % 4])\"},\"narrative\":\"Person \(i) lives in the \(regions[i % 4]) and answers briefly.\"}\n"
            if chunk.utf8.count > 1 << 20 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data(chunk.utf8))
    }

    static func document(personas: String) -> JSONValue {
        let item: JSONValue = .object(
            JSONObject([
                ("id", "interest"), ("type", "likert"), ("question", "How interested are you?"),
                ("scale", .object(JSONObject([("min", 1), ("max", 5)]))),
            ]))
        return .object(
            JSONObject([
                ("id", "scale-survey"), ("kind", "survey"), ("seed", 1),
                ("population", .object(JSONObject([("personas", .string(personas))]))), ("splitBy", ["sex"]),
                ("survey", .object(JSONObject([("items", .array([item]))]))),
            ]))
    }

    /// The process's peak resident set (VmHWM), in bytes; 0 where /proc is missing.
    static func peakRSS() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").compactMap { Double($0) }
            return (digits.first ?? 0) * 1024
        }
        return 0
    }

    /// Whether two files hold the same bytes, read 1 MiB at a time (the outputs of a million units
    /// are far larger than the run's memory budget, so they are never loaded whole).
    static func sameBytes(_ a: URL, _ b: URL) -> Bool {
        guard fileSize(a) == fileSize(b), let left = try? FileHandle(forReadingFrom: a),
            let right = try? FileHandle(forReadingFrom: b)
        else { return false }
        defer {
            try? left.close()
            try? right.close()
        }
        while true {
            let x = (try? left.read(upToCount: 1 << 20)) ?? nil
            let y = (try? right.read(upToCount: 1 << 20)) ?? nil
            guard x == y else { return false }
            if x == nil || x?.isEmpty == true { return true }
        }
    }

    static func fileSize(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? 0
    }
}
