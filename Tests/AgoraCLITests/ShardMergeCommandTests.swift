import AgoraTesting
import Foundation
import Runs
import Storage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `agora run --shard I/N` in separate processes, then `agora merge`: the merged run folder holds
/// the same outputs, byte for byte, as one `agora run` of the scenario.
@Suite("Shards: agora run --shard and agora merge", .serialized, .timeLimit(.minutes(10)))
struct ShardMergeCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A scratch folder, removed by the caller.
    static func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-shard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Every file a run folder holds except the store and its lock, by name.
    static func outputs(_ run: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: run.path)
        where !name.hasPrefix(RunStore.fileName) && name != RunLock.fileName {
            files[name] = try Data(contentsOf: run.appendingPathComponent(name))
        }
        return files
    }

    /// The one run folder directly inside `folder` whose name does not contain `-shard-`.
    static func onlyRun(in folder: URL) throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names.count == 1, "\(names)")
        return folder.appendingPathComponent(names[0])
    }

    /// A survey of 3…12 respondents and 1…3 closed items, seeded.
    static func survey(_ random: inout SplitMix64, respondents: Int? = nil) -> JSONValue {
        let respondents = respondents ?? Int(random.next() % 10) + 3
        var personas: [JSONValue] = []
        for i in 0..<respondents {
            personas.append(
                .object(
                    JSONObject([
                        ("id", .string("p\(i)")),
                        (
                            "attributes",
                            .object(
                                JSONObject([
                                    ("age", .integer(Int64(20 + Int(random.next() % 50)))),
                                    ("sex", .string(random.next() % 2 == 0 ? "female" : "male")),
                                ]))
                        ),
                    ])))
        }
        var items: [JSONValue] = []
        for k in 0..<(Int(random.next() % 3) + 1) {
            if random.next() % 2 == 0 {
                items.append(
                    .object(
                        JSONObject([
                            ("id", .string("q\(k)")), ("type", "likert"), ("question", .string("How much, \(k)?")),
                            ("scale", .object(JSONObject([("min", 1), ("max", 5)]))),
                        ])))
            } else {
                items.append(
                    .object(
                        JSONObject([
                            ("id", .string("q\(k)")), ("type", "single-choice"), ("question", .string("Which, \(k)?")),
                            ("options", ["Yes", "No", "Not sure"]),
                        ])))
            }
        }
        return .object(
            JSONObject([
                ("id", "shard-survey"), ("kind", "survey"), ("seed", .integer(Int64(random.next() % 1000))),
                ("population", .object(JSONObject([("inline", .array(personas))]))), ("splitBy", ["sex"]),
                ("survey", .object(JSONObject([("randomizeOptions", true), ("items", .array(items))]))),
            ]))
    }

    /// A focus group of 2…5 sessions (moderator + 2 participants, two short phases), seeded.
    static func focusGroup(_ random: inout SplitMix64) -> JSONValue {
        let people = ["moderator", "a", "b"].map { id -> JSONValue in
            .object(
                JSONObject([
                    ("id", .string(id)), ("name", .string(id.capitalized)),
                    ("attributes", .object(JSONObject([("occupation", "tester")]))),
                    ("narrative", .string("\(id.capitalized) likes short answers.")),
                ]))
        }
        return .object(
            JSONObject([
                ("id", "shard-focus"), ("kind", "focus-group"), ("seed", .integer(Int64(random.next() % 1000))),
                ("population", .object(JSONObject([("inline", .array(people))]))),
                ("generation", .object(JSONObject([("maxTokens", 64), ("turnMaxTokens", 32)]))),
                (
                    "session",
                    .object(
                        JSONObject([
                            ("moderator", "moderator"), ("participants", ["moderator", "a", "b"]),
                            ("turnTaking", "round-robin"), ("sessions", .integer(Int64(random.next() % 4) + 2)),
                            (
                                "phases",
                                [
                                    .object(JSONObject([("name", "one"), ("topic", "Bikes?"), ("turns", 3)])),
                                    .object(JSONObject([("name", "two"), ("topic", "Trains?"), ("turns", 2)])),
                                ]
                            ),
                        ]))
                ),
            ]))
    }

    /// Tool tasks of the support-desk domain (gold agent, scripted user: no model), 3…8 tasks × 1…2 trials.
    static func toolTasks(_ random: inout SplitMix64) -> JSONValue {
        var ids = (1...30).map { String(format: "sd-%03d", $0) }
        var chosen: [JSONValue] = []
        for _ in 0..<(Int(random.next() % 6) + 3) {
            chosen.append(.string(ids.remove(at: Int(random.next() % UInt64(ids.count)))))
        }
        return .object(
            JSONObject([
                ("kind", "tool-tasks"), ("name", "shard-tasks"),
                ("domain", .string(repository.appendingPathComponent("Scenarios/domains/support-desk").path)),
                ("tasks", .array(chosen)), ("agent", "gold"), ("user", "scripted"), ("personas", 1),
                ("trials", .integer(Int64(random.next() % 2) + 1)), ("seed", .integer(Int64(random.next() % 1000))),
            ]))
    }

    /// Runs `document` once whole and as `n` concurrent shard processes, merges the shards, and
    /// checks the merged outputs equal the single run's byte for byte.
    static func checkShardedEqualsSingle(_ document: JSONValue, n: Int, model: [String]) async throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let scenario = folder.appendingPathComponent("scenario.json")
        try Data(document.serialized(pretty: true).utf8).write(to: scenario)
        let single = try await CommandRunner.agora(
            ["run", scenario.path, "--out", folder.appendingPathComponent("single").path] + model)
        // Exit 1 (items failed: the stub's replies do not satisfy every turn) is as good as 0 here.
        #expect([0, 1].contains(single.status), "\(single.stderr)")
        let shardsFolder = folder.appendingPathComponent("shards")
        let statuses = try await withThrowingTaskGroup(of: (Int, CommandRunner.Result).self) { group in
            for i in 0..<n {
                group.addTask {
                    (
                        i,
                        try await CommandRunner.agora(
                            ["run", scenario.path, "--shard", "\(i)/\(n)", "--out", shardsFolder.path] + model)
                    )
                }
            }
            var results: [Int: CommandRunner.Result] = [:]
            for try await (i, result) in group { results[i] = result }
            return results
        }
        for i in 0..<n {
            #expect([0, 1].contains(statuses[i]?.status ?? -1), "shard \(i)/\(n): \(statuses[i]?.stderr ?? "")")
        }
        let shardFolders = try FileManager.default.contentsOfDirectory(atPath: shardsFolder.path).sorted()
            .map { shardsFolder.appendingPathComponent($0).path }
        #expect(shardFolders.count == n)
        let merged = folder.appendingPathComponent("merged")
        let merge = try await CommandRunner.agora(["merge"] + shardFolders.reversed() + ["--out", merged.path])
        #expect(merge.status == 0, "\(merge.stderr)")
        let expected = try outputs(try onlyRun(in: folder.appendingPathComponent("single")))
        let actual = try outputs(merged)
        #expect(expected.keys.sorted() == actual.keys.sorted())
        #expect(!expected.isEmpty)
        for (name, data) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(actual[name] == data, "\(name) differs after merging \(n) shards")
        }
    }

    @Test(
        "surveys, focus groups and tool tasks: N concurrent shards merged equal the single run",
        arguments: [11, 12, 13])
    func shardedEqualsSingle(seed: UInt64) async throws {
        let stub = try StubServer(configuration: .init(recording: .none))
        defer { stub.stop() }
        let model = ["--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache"]
        var random = SplitMix64(seed: seed)
        // N drawn from 1…7 per scenario keeps the test short while every N is seen across seeds.
        try await Self.checkShardedEqualsSingle(Self.survey(&random), n: Int(random.next() % 7) + 1, model: model)
        try await Self.checkShardedEqualsSingle(Self.toolTasks(&random), n: Int(random.next() % 7) + 1, model: model)
        try await Self.checkShardedEqualsSingle(Self.focusGroup(&random), n: Int(random.next() % 7) + 1, model: model)
    }

    @Test("experiments (two arms) and fidelity runs: N shards merged equal the single run", arguments: [2, 3])
    func experimentAndFidelityShards(n: Int) async throws {
        let stub = try StubServer(configuration: .init(recording: .none))
        defer { stub.stop() }
        let model = ["--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache"]
        // The shipped A/B experiment, with its population file made absolute and cut to 10 people.
        let file = Self.repository.appendingPathComponent("Scenarios/experiments/ad-copy-ab.json")
        var experiment = try JSONValue.parse(Data(contentsOf: file)).objectValue ?? [:]
        var base = experiment["base"]?.objectValue ?? [:]
        base["population"] = .object([
            "spec": .string(Self.repository.appendingPathComponent("Scenarios/populations/us-adults.json").path),
            "count": .integer(10), "seed": .integer(11),
        ])
        experiment["base"] = .object(base)
        experiment["$schema"] = nil
        try await Self.checkShardedEqualsSingle(.object(experiment), n: n, model: model)
        // The ANES 1996 reference, 9 respondents sampled.
        let package = Self.repository.appendingPathComponent("Scenarios/benchmarks/anes1996").path
        let fidelity: JSONValue = [
            "kind": "fidelity", "reference": .string(package), "sample": .integer(9), "seed": .integer(5),
            "resamples": .integer(20),
        ]
        try await Self.checkShardedEqualsSingle(fidelity, n: n, model: model)
    }

    @Test("a missing, doubled, unfinished or foreign shard is refused with exit 2")
    func refusals() async throws {
        let stub = try StubServer(configuration: .init(recording: .none))
        defer { stub.stop() }
        let model = ["--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache"]
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SplitMix64(seed: 3)
        let scenario = folder.appendingPathComponent("scenario.json")
        try Data(Self.survey(&random).serialized().utf8).write(to: scenario)
        let shards = folder.appendingPathComponent("shards")
        for i in 0..<3 {
            let r = try await CommandRunner.agora(
                ["run", scenario.path, "--shard", "\(i)/3", "--out", shards.path] + model)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let base = shards.appendingPathComponent("shard-survey-s\(try Self.seedOf(scenario))")
        func shard(_ i: Int) -> String { base.path + "-shard-\(i)-of-3" }

        let missing = try await CommandRunner.agora([
            "merge", shard(0), shard(2), "--out", folder.appendingPathComponent("m1").path,
        ])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("units missing"), "\(missing.stderr)")
        #expect(missing.stderr.contains("give the folder of shard 1/3"), "\(missing.stderr)")

        let copy = folder.appendingPathComponent("copy-of-shard-0")
        try FileManager.default.copyItem(atPath: shard(0), toPath: copy.path)
        let doubled = try await CommandRunner.agora(
            ["merge", shard(0), shard(1), shard(2), copy.path, "--out", folder.appendingPathComponent("m2").path])
        #expect(doubled.status == 2)
        #expect(doubled.stderr.contains("units doubled"), "\(doubled.stderr)")
        #expect(doubled.stderr.contains("give only one folder of shard 0/3"), "\(doubled.stderr)")

        let twice = try await CommandRunner.agora(
            ["merge", shard(0), shard(1), shard(2), shard(1), "--out", folder.appendingPathComponent("m3").path])
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("given twice"), "\(twice.stderr)")

        // A shard of another seed: the same scenario file, another run.
        let other = folder.appendingPathComponent("other")
        let r = try await CommandRunner.agora(
            ["run", scenario.path, "--shard", "1/3", "--seed", "99999", "--out", other.path] + model)
        #expect(r.status == 0, "\(r.stderr)")
        let foreign = try await CommandRunner.agora(
            [
                "merge", shard(0), try Self.onlyRun(in: other).path, shard(2), "--out",
                folder.appendingPathComponent("m4").path,
            ])
        #expect(foreign.status == 2)
        #expect(foreign.stderr.contains("not a shard of the same run"), "\(foreign.stderr)")
        #expect(foreign.stderr.contains("seed 99999"), "\(foreign.stderr)")

        // An unfinished shard (--limit left units not run).
        let partial = folder.appendingPathComponent("partial")
        for i in 0..<2 {
            let p = try await CommandRunner.agora(
                ["run", scenario.path, "--shard", "\(i)/2", "--limit", "2", "--out", partial.path] + model)
            #expect(p.status == 0, "\(p.stderr)")
        }
        let partialFolders = try FileManager.default.contentsOfDirectory(atPath: partial.path).sorted()
            .map { partial.appendingPathComponent($0).path }
        let unfinished = try await CommandRunner.agora(
            ["merge"] + partialFolders + ["--out", folder.appendingPathComponent("m5").path])
        #expect(unfinished.status == 2)
        #expect(unfinished.stderr.contains("not run yet"), "\(unfinished.stderr)")
        #expect(unfinished.stderr.contains("agora run --resume"), "\(unfinished.stderr)")
        for name in ["m1", "m2", "m3", "m4", "m5"] {
            #expect(
                !FileManager.default.fileExists(
                    atPath: folder.appendingPathComponent(name).appendingPathComponent(RunStore.fileName).path))
        }
    }

    static func seedOf(_ scenario: URL) throws -> Int64 {
        Int64(try JSONValue.parse(try Data(contentsOf: scenario))["seed"]?.intValue ?? -1)
    }

    @Test("--shard auto/N reads JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID; bad values exit 2")
    func autoIndex() async throws {
        let stub = try StubServer(configuration: .init(recording: .none))
        defer { stub.stop() }
        let model = ["--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache"]
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let scenario = Self.repository.appendingPathComponent("Scenarios/quick-survey.json").path
        let out = folder.appendingPathComponent("runs")
        // Neither variable may leak in from the environment the tests run in.
        let clean = ["JOB_COMPLETION_INDEX": "", "SLURM_ARRAY_TASK_ID": ""]
        func env(_ extra: [String: String]) -> [String: String] { clean.merging(extra) { $1 } }

        let kubernetes = try await CommandRunner.agora(
            ["run", scenario, "--shard", "auto/3", "--out", out.path] + model,
            environment: env(["JOB_COMPLETION_INDEX": "1"]))
        #expect(kubernetes.status == 0, "\(kubernetes.stderr)")
        let slurm = try await CommandRunner.agora(
            ["run", scenario, "--shard", "auto/3", "--out", out.path] + model,
            environment: env(["SLURM_ARRAY_TASK_ID": "2"]))
        #expect(slurm.status == 0, "\(slurm.stderr)")
        for (i, done) in [(1, [1, 4]), (2, [2])] {
            let store = try RunStore.open(out.appendingPathComponent("quick-survey-s7-shard-\(i)-of-3"))
            #expect(try await store.manifest().shard == RunShard(index: i, count: 3))
            #expect(try await store.manifest().runID == "quick-survey-s7")
            #expect(try await store.units().filter { $0.status == .done }.map(\.spec.index) == done)
        }
        let refusals: [([String: String], String, String)] = [
            ([:], "auto/3", "neither JOB_COMPLETION_INDEX"),
            (["JOB_COMPLETION_INDEX": "3"], "auto/3", "outside 0…2"),
            (["SLURM_ARRAY_TASK_ID": "x"], "auto/3", "not a whole number"),
            ([:], "3/3", "must be in 0…2"),
            ([:], "1/0", "expected I/N"),
            ([:], "one/2", "not a whole number"),
        ]
        for (extra, value, message) in refusals {
            let r = try await CommandRunner.agora(
                ["run", scenario, "--shard", value, "--out", out.path] + model, environment: env(extra))
            #expect(r.status == 2, "\(value) \(extra): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(value) \(extra): \(r.stderr)")
        }
    }

    @Test("kill -9 of a shard, then the same command again: it continues, and the merge equals the single run")
    func killedShardResumes() async throws {
        let stub = try StubServer(configuration: .init(latency: 0.15, recording: .none))
        defer { stub.stop() }
        let model = ["--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache"]
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SplitMix64(seed: 21)
        let document = Self.survey(&random, respondents: 16)
        let scenario = folder.appendingPathComponent("scenario.json")
        try Data(document.serialized().utf8).write(to: scenario)
        let single = try await CommandRunner.agora(
            ["run", scenario.path, "--out", folder.appendingPathComponent("single").path] + model)
        #expect(single.status == 0, "\(single.stderr)")
        let shards = folder.appendingPathComponent("shards")
        let arguments = ["run", scenario.path, "--shard", "0/2", "--out", shards.path, "--concurrency", "1"] + model
        // Start shard 0, wait until it has committed some units, and kill it with SIGKILL.
        let binary = try #require(CommandRunner.agoraBinary)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let shardFolder = try await Self.onlyRunEventually(in: shards)
        var done = 0
        for _ in 0..<200 where done < 2 {
            try await Task.sleep(for: .milliseconds(50))
            done = (try? await RunStore.open(shardFolder).units().filter { $0.status == .done }.count) ?? 0
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = try await RunStore.open(shardFolder).units().filter { $0.status == .done }.map(\.spec.index)
        #expect(before.count >= 2 && before.count < 8, "\(before)")
        // The same command again continues the shard's folder.
        let again = try await CommandRunner.agora(arguments)
        #expect(again.status == 0, "\(again.stderr)")
        let after = try await RunStore.open(shardFolder).units()
        #expect(after.filter { $0.status == .done }.map(\.spec.index) == [0, 2, 4, 6, 8, 10, 12, 14])
        #expect(after.allSatisfy { $0.commits <= 1 }, "a done unit ran twice")
        let other = try await CommandRunner.agora(
            ["run", scenario.path, "--shard", "1/2", "--out", shards.path] + model)
        #expect(other.status == 0, "\(other.stderr)")
        let merged = folder.appendingPathComponent("merged")
        let folders = try FileManager.default.contentsOfDirectory(atPath: shards.path).map {
            shards.appendingPathComponent($0).path
        }
        let merge = try await CommandRunner.agora(["merge"] + folders + ["--out", merged.path])
        #expect(merge.status == 0, "\(merge.stderr)")
        let expected = try Self.outputs(try Self.onlyRun(in: folder.appendingPathComponent("single")))
        let actual = try Self.outputs(merged)
        #expect(expected.keys.sorted() == actual.keys.sorted())
        for (name, data) in expected { #expect(actual[name] == data, "\(name) differs") }
        // Merging again (an interrupted merge rerun) keeps the store and rewrites the same outputs.
        try FileManager.default.removeItem(at: merged.appendingPathComponent("results.json"))
        let rerun = try await CommandRunner.agora(["merge"] + folders + ["--out", merged.path])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.outputs(merged) == actual)
    }

    static func onlyRunEventually(in folder: URL) async throws -> URL {
        for _ in 0..<200 {
            if let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path), let name = names.first {
                return folder.appendingPathComponent(name)
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw CocoaError(.fileNoSuchFile)
    }
}
