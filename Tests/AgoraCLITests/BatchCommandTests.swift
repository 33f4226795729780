import AgoraTesting
import Foundation
import Storage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `agora run --batch` against the stub's Batch API: the same outputs as a run without it, a
/// killed run resumes polling its batch, and failed batch answers go through the normal path.
@Suite("agora run --batch: the OpenAI Batch API through the stub", .serialized, .timeLimit(.minutes(3)))
struct BatchCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let scenario = repository.appendingPathComponent("Scenarios/quick-survey.json").path
    static let outputs = ["responses.csv", "transcripts.jsonl", "results.json"]

    /// A fresh folder for one run's outputs and cache.
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("agora-batch-\(UUID().uuidString)")
    }

    static func arguments(_ stub: StubServer, _ folder: URL, batch: Bool) -> [String] {
        [
            "run", scenario, "--out", folder.path, "--cache", folder.appendingPathComponent("cache.sqlite").path,
            "--model", stub.baseURL.absoluteString, "--model-name", "stub-model",
        ] + (batch ? ["--batch", "--batch-poll", "0.05"] : [])
    }

    /// The outputs of a survey run without `--batch` on `stub` (with its own cache); the stub's
    /// request counters are reset afterwards.
    static func reference(_ stub: StubServer) async throws -> [String: Data] {
        defer { stub.resetCounters() }
        let folder = folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CommandRunner.agora(arguments(stub, folder, batch: false))
        #expect(result.status == 0, "\(result.stderr)")
        return try read(folder)
    }

    static func read(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in outputs {
            files[name] = try Data(
                contentsOf: folder.appendingPathComponent("quick-survey-s7").appendingPathComponent(name))
        }
        return files
    }

    /// `results.json` without `usage.batchCalls` and `usage.cost` (which say how the calls were
    /// bought); other files as they are.
    static func comparable(_ name: String, _ data: Data?) -> Data? {
        guard name == "results.json", let data, var root = (try? JSONValue.parse(data))?.objectValue,
            var usage = root["usage"]?.objectValue
        else { return data }
        usage["batchCalls"] = nil
        usage["cost"] = nil
        root["usage"] = .object(usage)
        return Data(JSONValue.object(root).serialized(pretty: true).utf8)
    }

    /// `usage.batchCalls` of a run's `results.json` (0 when absent).
    static func batchCalls(_ folder: URL, run: String = "quick-survey-s7") throws -> Int {
        let data = try Data(contentsOf: folder.appendingPathComponent(run).appendingPathComponent("results.json"))
        return Int(try JSONValue.parse(data)["usage"]?["batchCalls"]?.intValue ?? 0)
    }

    /// Each output equal to the reference's, file by file (a difference names the file), apart
    /// from how the calls were bought (``comparable(_:_:)``).
    static func expectSame(_ folder: URL, _ expected: [String: Data]) throws {
        let actual = try read(folder)
        for name in outputs {
            let same = comparable(name, actual[name]) == comparable(name, expected[name])
            #expect(same, "\(name) differs")
            if !same, let debug = ProcessInfo.processInfo.environment["AGORA_BATCH_DEBUG"] {
                try? actual[name]?.write(to: URL(fileURLWithPath: debug + "/batch-" + name))
                try? expected[name]?.write(to: URL(fileURLWithPath: debug + "/plain-" + name))
            }
        }
    }

    static func chatRequests(_ stub: StubServer) -> Int {
        stub.requests.filter { $0.endpoint == .chatCompletions }.count
    }

    @Test("a full survey through the batch endpoints writes the same outputs as without --batch, with no direct call")
    func sameOutputs() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let expected = try await Self.reference(stub)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CommandRunner.agora(Self.arguments(stub, folder, batch: true))
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectSame(folder, expected)
        #expect(Self.chatRequests(stub) == 0)
        #expect(stub.batchesCreated == 1)
        #expect(stub.filesUploaded == 1)
        // 5 respondents × 3 items in one JSONL file, one line each, the cache key as custom_id.
        let input = try String(
            contentsOf: folder.appendingPathComponent("quick-survey-s7/batch-wave1-1.jsonl"), encoding: .utf8)
        let lines = input.split(separator: "\n").map { try? JSONValue.parse(String($0)) }
        #expect(lines.count == 15)
        #expect(lines.allSatisfy { $0?["url"] == "/v1/chat/completions" && $0?["method"] == "POST" })
        #expect(lines.allSatisfy { $0?["custom_id"]?.stringValue?.utf8.count == 64 })
        #expect(lines.allSatisfy { $0?["body"]?["model"] == "stub-model" })
        #expect(stub.batchStatuses == ["completed"])
        #expect(try Self.batchCalls(folder) == 15)
    }

    @Test("results.json prices Batch API answers at half the list price, also when replayed from the cache")
    func batchCost() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        func cost(_ folder: URL) throws -> Double? {
            let data = try Data(contentsOf: folder.appendingPathComponent("quick-survey-s7/results.json"))
            return try JSONValue.parse(data)["usage"]?["cost"]?.doubleValue
        }
        let priced = ["--model", stub.baseURL.absoluteString, "--model-name", "gpt-4o-mini"]
        let plain = Self.folder()
        let batched = Self.folder()
        defer {
            try? FileManager.default.removeItem(at: plain)
            try? FileManager.default.removeItem(at: batched)
        }
        let cache = ["--cache", batched.appendingPathComponent("cache.sqlite").path]
        let first = try await CommandRunner.agora(
            ["run", Self.scenario, "--out", plain.path, "--no-cache"] + priced)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await CommandRunner.agora(
            ["run", Self.scenario, "--out", batched.path, "--batch", "--batch-poll", "0.05"] + cache + priced)
        #expect(second.status == 0, "\(second.stderr)")
        let full = try #require(try cost(plain))
        let half = try #require(try cost(batched))
        #expect(full > 0)
        #expect(abs(half - full / 2) < 1e-12, "batch \(half), list \(full)")
        #expect(try Self.batchCalls(plain) == 0)
        #expect(try Self.batchCalls(batched) == 15)
        // The same run again from the cache: the answers were bought through the batch.
        let again = Self.folder()
        defer { try? FileManager.default.removeItem(at: again) }
        let third = try await CommandRunner.agora(["run", Self.scenario, "--out", again.path] + cache + priced)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try cost(again) == half)
        #expect(try Self.batchCalls(again) == 15)
    }

    @Test("partial errors in the error file are asked again through the normal request path")
    func partialErrors() async throws {
        var configuration = StubServer.Configuration()
        configuration.batch = StubBatchOptions(pollsUntilDone: 3, failEvery: 4)
        let stub = try StubServer(configuration: configuration)
        defer { stub.stop() }
        let expected = try await Self.reference(stub)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CommandRunner.agora(Self.arguments(stub, folder, batch: true))
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectSame(folder, expected)
        // Lines 4, 8 and 12 of 15 failed in the batch: exactly those three go to the endpoint.
        #expect(Self.chatRequests(stub) == 3)
        #expect(stub.batchesCreated == 1)
        #expect(result.stderr.contains("3 requests got no answer from the batch"), "\(result.stderr)")
    }

    @Test("an expired batch: its answers are used, the rest go through the normal request path")
    func expiredBatch() async throws {
        var configuration = StubServer.Configuration()
        configuration.batch = StubBatchOptions(expire: true)
        let stub = try StubServer(configuration: configuration)
        defer { stub.stop() }
        let expected = try await Self.reference(stub)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await CommandRunner.agora(Self.arguments(stub, folder, batch: true))
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectSame(folder, expected)
        #expect(stub.batchStatuses == ["expired"])
        // The first 7 of 15 lines were answered before the window ran out; 8 are asked directly.
        #expect(Self.chatRequests(stub) == 8)
        #expect(stub.batchesCreated == 1)
    }

    @Test("killed while polling, the resumed run polls the same batch: no second upload or batch")
    func killDuringPolling() async throws {
        var configuration = StubServer.Configuration()
        configuration.batch = StubBatchOptions(pollsUntilDone: 1_000_000)
        let stub = try StubServer(configuration: configuration)
        defer { stub.stop() }
        let expected = try await Self.reference(stub)
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = try #require(CommandRunner.agoraBinary)
        let process = Process()
        process.executableURL = binary
        process.arguments = Self.arguments(stub, folder, batch: true)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let ended = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { ended.continuation.yield($0.terminationStatus) }
        try process.run()
        // Wait until the batch exists and has been polled, then kill -9.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while stub.batchPolls < 3, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(stub.batchPolls >= 3)
        kill(process.processIdentifier, SIGKILL)
        var iterator = ended.stream.makeAsyncIterator()
        _ = await iterator.next()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(stub.batchesCreated == 1)

        // The batch finishes two polls later; the resumed run must find it in the run store.
        stub.setBatchOptions(StubBatchOptions(pollsUntilDone: stub.batchPolls + 2))
        let run = folder.appendingPathComponent("quick-survey-s7")
        let resumed = try await CommandRunner.agora(
            [
                "run", "--resume", run.path, "--cache", folder.appendingPathComponent("cache.sqlite").path,
                "--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--batch", "--batch-poll", "0.05",
            ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(stub.batchesCreated == 1)
        #expect(stub.filesUploaded == 1)
        #expect(Self.chatRequests(stub) == 0)
        try Self.expectSame(folder, expected)
    }

    @Test("stopped between upload and batch creation, the resumed run creates the batch from the uploaded file")
    func stopBeforeCreation() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let expected = try await Self.reference(stub)
        // The upload passes (a zero-second delay is the normal reply); creating the batch is refused.
        stub.injectFaults([.slow(0), .status(400, message: "batch creation is off today")])
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try await CommandRunner.agora(Self.arguments(stub, folder, batch: true))
        #expect(first.status == 3, "\(first.stderr)")
        #expect(first.stderr.contains("batch creation is off today"), "\(first.stderr)")
        #expect(stub.filesUploaded == 1 && stub.batchesCreated == 0)
        let run = folder.appendingPathComponent("quick-survey-s7")
        let resumed = try await CommandRunner.agora(
            [
                "run", "--resume", run.path, "--cache", folder.appendingPathComponent("cache.sqlite").path,
                "--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--batch", "--batch-poll", "0.05",
            ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(stub.filesUploaded == 1)
        #expect(stub.batchesCreated == 1)
        #expect(Self.chatRequests(stub) == 0)
        try Self.expectSame(folder, expected)
    }

    @Test("a conversation batches by waves: one turn of the open session per batch, same outputs")
    func conversationWaves() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let scenario = Self.repository.appendingPathComponent("Scenarios/demo-brainstorm.json").path
        func run(_ folder: URL, batch: Bool) async throws -> (CommandRunner.Result, [String: Data]) {
            let result = try await CommandRunner.agora(
                [
                    "run", scenario, "--out", folder.path, "--cache", folder.appendingPathComponent("c.sqlite").path,
                    "--model", stub.baseURL.absoluteString, "--model-name", "stub-model",
                ] + (batch ? ["--batch", "--batch-poll", "0.02"] : []))
            var files: [String: Data] = [:]
            for name in ["transcripts.jsonl", "results.json"] {
                files[name] = try? Data(
                    contentsOf: folder.appendingPathComponent("demo-brainstorm-s3").appendingPathComponent(name))
            }
            return (result, files)
        }
        let plainFolder = Self.folder()
        let batchFolder = Self.folder()
        defer {
            try? FileManager.default.removeItem(at: plainFolder)
            try? FileManager.default.removeItem(at: batchFolder)
        }
        let (plain, expected) = try await run(plainFolder, batch: false)
        // The stub's answers leave some turns failed (exit 1); the batched run must end the same way.
        #expect(plain.status == 0 || plain.status == 1, "\(plain.stderr)")
        let calls = Self.chatRequests(stub)
        stub.resetCounters()
        let (batched, actual) = try await run(batchFolder, batch: true)
        #expect(batched.status == plain.status, "\(batched.stderr)")
        for name in expected.keys.sorted() {
            #expect(Self.comparable(name, actual[name]) == Self.comparable(name, expected[name]), "\(name) differs")
        }
        #expect(try Self.batchCalls(batchFolder, run: "demo-brainstorm-s3") == calls)
        #expect(Self.chatRequests(stub) == 0)
        // One session: each call needs the one before it, so each wave is a batch of one request.
        #expect(calls >= 4)
        #expect(stub.batchesCreated == calls)
    }

    @Test("--estimate --batch prices the calls at half the list price")
    func estimate() async throws {
        let result = try await CommandRunner.agora(
            [
                "run", Self.repository.appendingPathComponent("Scenarios/consumer-survey.json").path, "--estimate",
                "--batch", "--model", "openai:gpt-4o-mini", "--no-cache",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let list = try #require(lines.first { $0.hasPrefix("cost: ") }.flatMap { Double($0.dropFirst(6)) })
        let batched = try #require(
            lines.first { $0.hasPrefix("with --batch: cost ") }.flatMap {
                Double($0.dropFirst("with --batch: cost ".count).prefix { $0 != " " })
            })
        #expect(list > 0.1)
        // Both are printed to 4 decimals: half of the exact cost, each rounded once.
        #expect(abs(batched - list / 2) <= 0.000_1)
    }

    @Test("--batch is refused where it cannot work, before any model starts")
    func refusals() async throws {
        let noCache = try await CommandRunner.agora(["run", Self.scenario, "--batch", "--no-cache"])
        #expect(noCache.status == 2)
        #expect(
            noCache.stderr.contains("--batch feeds the batch's answers into the response cache"), "\(noCache.stderr)")
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let local = try await CommandRunner.agora(
            [
                "run", Self.scenario, "--batch", "--model", "local", "--out", folder.path, "--cache",
                folder.appendingPathComponent("c.sqlite").path,
            ])
        #expect(local.status == 2)
        #expect(local.stderr.contains("--batch needs one endpoint that offers OpenAI's Batch API"), "\(local.stderr)")
        let poll = try await CommandRunner.agora(["run", Self.scenario, "--batch-poll", "1"])
        #expect(poll.status == 2)
    }
}
