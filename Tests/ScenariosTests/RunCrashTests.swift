import Agents
import AgoraTesting
import Environments
import Foundation
import Memory
import Runs
import Scenarios
import Storage
import Synchronization
import Testing
import Worlds

#if canImport(Glibc)
    import Glibc
#endif

/// End to end through the `agora` binary (built by `swift build`), pointed at a StubServer by URL.
@Suite("agora run end to end", .serialized, .enabled(if: AgoraBinary.url != nil))
struct RunCrashTests {
    /// A 16-respondent, 5-item survey in a fresh folder; returns the scenario path.
    static func writeScenario(in folder: URL) throws -> String {
        guard case .object(var root) = RunFixtures.surveyDocument else { return "" }
        root["id"] = "crash-survey"
        var personas: [JSONValue] = []
        for i in 1...16 {
            var attributes = JSONObject()
            attributes["age"] = .integer(Int64(18 + 3 * i))
            attributes["sex"] = .string(i % 2 == 0 ? "female" : "male")
            personas.append(.object(JSONObject([("id", .string("r\(i)")), ("attributes", .object(attributes))])))
        }
        root["population"] = .object(JSONObject([("inline", .array(personas))]))
        let file = folder.appendingPathComponent("crash-survey.json")
        try Data(JSONValue.object(root).serialized(pretty: true).utf8).write(to: file)
        return file.path
    }

    static func stub(latency: TimeInterval) throws -> StubServer {
        try StubServer(
            configuration: .init(
                latency: latency, recording: .none,
                responder: { request in
                    let schema = request.json?["response_format"]?["json_schema"]?["schema"]
                    let messages =
                        request.json?["messages"]?.arrayValue?.map {
                            "\($0["role"]?.stringValue ?? ""):\($0["content"]?.stringValue ?? "")"
                        }.joined(separator: "\n") ?? ""
                    return .text(
                        RunFixtures.answer(schema: schema, messages: messages), promptTokens: messages.utf8.count / 4)
                }))
    }

    static func arguments(
        _ scenario: String?, stub: StubServer, out: URL, cache: URL, concurrency: Int = 2, extra: [String] = []
    ) -> [String] {
        var args = ["run"]
        if let scenario { args.append(scenario) }
        return args + [
            "--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--out", out.path, "--cache",
            cache.path,
            "--concurrency", String(concurrency),
        ] + extra
    }

    @Test("bad input exits 2 with the file, the JSON path and the fix", .timeLimit(.minutes(1)))
    func badInput() async throws {
        let folder = RunFixtures.temporaryDirectory("bad-cli")
        let file = folder.appendingPathComponent("bad.json")
        try Data(#"{"id": "x", "kind": "poll", "population": {"inline": [{"id": "a"}]}}"#.utf8).write(to: file)
        let result = try await AgoraBinary.run(["run", file.path, "--out", folder.path], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.json: $.kind: unknown kind \"poll\""))
    }

    @Test(
        "a run killed with SIGKILL 5 times and resumed ends byte-identical, no unit run twice", .timeLimit(.minutes(5)))
    func crashAndResume() async throws {
        let folder = RunFixtures.temporaryDirectory("crash")
        let scenario = try Self.writeScenario(in: folder)
        let stub = try Self.stub(latency: 0.06)
        defer { stub.stop() }

        // The uninterrupted run.
        let baseOut = folder.appendingPathComponent("base")
        let base = try await AgoraBinary.run(
            Self.arguments(
                scenario, stub: stub, out: baseOut, cache: folder.appendingPathComponent("base-cache.sqlite")),
            in: folder)
        #expect(base.status == 0, "\(base.stderr)")
        let baselineCalls = stub.requestCount
        let baseDir = baseOut.appendingPathComponent("crash-survey-s11")

        // The same run, killed at 5 seeded random moments and resumed each time.
        stub.resetCounters()
        let out = folder.appendingPathComponent("crashed")
        let cache = folder.appendingPathComponent("crash-cache.sqlite")
        let runDir = out.appendingPathComponent("crash-survey-s11")
        var stream = RandomStream(seed: 2026)
        var kills = 0
        for attempt in 0..<5 {
            let args =
                attempt == 0
                    || !FileManager.default.fileExists(atPath: runDir.appendingPathComponent("run.sqlite").path)
                ? Self.arguments(scenario, stub: stub, out: out, cache: cache)
                : Self.arguments(nil, stub: stub, out: out, cache: cache, extra: ["--resume", runDir.path])
            let delay = 0.1 + stream.nextDouble() * 0.3
            let killed = try await AgoraBinary.run(
                args, in: folder, killAfter: delay, waitingFor: runDir.appendingPathComponent("run.sqlite"))
            if killed.status == -9 { kills += 1 }
        }
        let last = try await AgoraBinary.run(
            Self.arguments(nil, stub: stub, out: out, cache: cache, extra: ["--resume", runDir.path]), in: folder)
        #expect(last.status == 0, "\(last.stderr)")
        #expect(kills == 5, "every kill should land while the run is going (\(kills) did)")

        for name in ["transcripts.jsonl", "responses.csv", "results.json", "report.html"] {
            let a = try RunFixtures.read(baseDir, name)
            let b = try RunFixtures.read(runDir, name)
            #expect(a == b, "\(name) differs after crashes")
        }
        // No unit committed twice; the committed calls equal the uninterrupted run's; the stub saw at
        // most the calls in flight at each kill (≤ concurrency 2 each) beyond the baseline.
        let units = try await RunStore.open(runDir).units()
        #expect(units.count == 16)
        #expect(units.allSatisfy { $0.status == .done && $0.commits == 1 })
        let storedCalls = try await RunStore.open(runDir).usage().reduce(0) { $0 + $1.calls }
        let baseStored = try await RunStore.open(baseDir).usage().reduce(0) { $0 + $1.calls }
        #expect(storedCalls == baseStored)
        #expect(baselineCalls == 80)
        #expect(stub.requestCount >= baselineCalls)
        #expect(stub.requestCount <= baselineCalls + 2 * 5)
    }

    @Test("a finished run replays from the cache with --replay-only and no model call", .timeLimit(.minutes(2)))
    func replayOnly() async throws {
        let folder = RunFixtures.temporaryDirectory("replay")
        let scenario = try Self.writeScenario(in: folder)
        let stub = try Self.stub(latency: 0)
        defer { stub.stop() }
        let cache = folder.appendingPathComponent("cache.sqlite")
        let first = try await AgoraBinary.run(
            Self.arguments(
                scenario, stub: stub, out: folder.appendingPathComponent("a"), cache: cache, extra: ["--limit", "3"]),
            in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        let calls = stub.requestCount
        let replay = try await AgoraBinary.run(
            Self.arguments(
                scenario, stub: stub, out: folder.appendingPathComponent("b"), cache: cache, concurrency: 8,
                extra: ["--limit", "3", "--replay-only"]),
            in: folder)
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(stub.requestCount == calls)
        let a = folder.appendingPathComponent("a/crash-survey-s11")
        let b = folder.appendingPathComponent("b/crash-survey-s11")
        for name in ["transcripts.jsonl", "responses.csv", "results.json"] {
            #expect(try RunFixtures.read(a, name) == RunFixtures.read(b, name), "\(name)")
        }
        let report = try await AgoraBinary.run(["report", a.path, "--format", "md"], in: folder)
        #expect(report.status == 0)
        #expect(report.stdout.contains("## likes"))
    }
}

/// Set once the child has ended (so a late kill never hits a reused pid).
final class EndFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

/// Runs the `agora` binary of this build.
enum AgoraBinary {
    static let url: URL? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for configuration in ["debug", "release"] {
            let candidate = root.appendingPathComponent(".build/\(configuration)/agora")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()

    struct Result {
        /// The exit status, or minus the signal number when killed.
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `agora arguments`; with `killAfter`, sends SIGKILL that many seconds after `waitingFor` exists
    /// (or after the start when it never appears within 10 s). Waits without blocking a thread.
    static func run(_ arguments: [String], in folder: URL, killAfter: Double? = nil, waitingFor: URL? = nil)
        async throws -> Result
    {
        guard let url else { throw RunError(.io, "build agora first (swift build)") }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["AGORA_CACHE_DIR"] = folder.appendingPathComponent("agora-cache").path
        process.environment = environment
        // Output goes to files (no pipe can fill up and stall the child); read after it ends.
        let tag = UUID().uuidString
        let outURL = folder.appendingPathComponent("stdout-\(tag)")
        let errURL = folder.appendingPathComponent("stderr-\(tag)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        let ended = EndFlag()
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { p in
                ended.set()
                continuation.resume(
                    returning: p.terminationReason == .uncaughtSignal ? -p.terminationStatus : p.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            if let killAfter {
                let pid = process.processIdentifier
                let watched = waitingFor?.path
                DispatchQueue.global().async {
                    var waited = 0.0
                    while let watched, !FileManager.default.fileExists(atPath: watched), waited < 10 {
                        usleep(10_000)
                        waited += 0.01
                    }
                    usleep(UInt32(killAfter * 1_000_000))
                    if !ended.isSet { kill(pid, SIGKILL) }
                }
            }
        }
        try? outHandle.close()
        try? errHandle.close()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return Result(status: status, stdout: stdout, stderr: stderr)
    }
}
