import Foundation
import Storage
import Testing

@testable import Runs

/// A kind with `count` units, each writing one event and a result that depend only on its index.
struct IndexedKind: RunKind {
    let count: Int
    let ran: UnitLog
    var name: String { "indexed" }
    var document: JSONValue { ["kind": "indexed", "count": .integer(Int64(count))] }
    var sourceFile: String? { nil }
    var seed: UInt64 { 4 }
    var modelLabel: String { "none" }
    var folder: RunFolder { .numbered("indexed") }

    func plan() async throws -> RunPlan {
        RunPlan(
            personas: [StoredPersona(id: "p", json: ["id": "p"])],
            units: (0..<count).map { UnitSpec(index: $0, id: "u\($0)", kind: "indexed", input: [:]) })
    }

    func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        ran.append(unit.id)
        return UnitOutcome(
            index: unit.index, status: .done, result: ["square": .integer(Int64(unit.index * unit.index))],
            events: [RunEvent(seq: 0, kind: "utterance", speaker: "p", content: "unit \(unit.index)")],
            memoryOperations: [["op": .string("ADD \(unit.index)")]])
    }

    func results(_ data: RunData) async throws -> JSONValue { ["done": .integer(Int64(data.doneUnits.count))] }
    func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] { [] }
    func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String { "" }
}

@Suite("Shards: the partition, --shard values, and merging run stores")
struct ShardTests {
    @Test("every unit belongs to exactly one of N shards, for N in 1…7; unitCount agrees")
    func partition() throws {
        for n in 1...7 {
            let shards = (0..<n).map { RunShard(index: $0, count: n)! }
            for total in [0, 1, 5, 23] {
                for unit in 0..<total { #expect(shards.filter { $0.contains(unit) }.count == 1) }
                for shard in shards {
                    #expect(shard.unitCount(of: total) == (0..<total).filter { shard.contains($0) }.count)
                }
            }
        }
        #expect(RunShard(index: 2, count: 3)!.contains(5))
        #expect(!RunShard(index: 2, count: 3)!.contains(4))
        #expect(RunShard(index: 3, count: 3) == nil)
        #expect(RunShard.parse("1/4") == RunShard(index: 1, count: 4))
        #expect(RunShard.parse("4/4") == nil)
        #expect(RunShard.parse("-1/4") == nil)
        #expect(RunShard.parse("1/4/5") == nil)
        #expect(RunShard(index: 1, count: 4)!.folderSuffix == "shard-1-of-4")
    }

    @Test("auto/N takes JOB_COMPLETION_INDEX, else SLURM_ARRAY_TASK_ID; bad values are refused")
    func resolve() throws {
        #expect(
            try RunShard.resolve("auto/4", environment: ["JOB_COMPLETION_INDEX": "3"]) == RunShard(index: 3, count: 4))
        #expect(
            try RunShard.resolve("auto/4", environment: ["SLURM_ARRAY_TASK_ID": "0"]) == RunShard(index: 0, count: 4))
        #expect(
            try RunShard.resolve("auto/4", environment: ["JOB_COMPLETION_INDEX": "1", "SLURM_ARRAY_TASK_ID": "2"])
                == RunShard(index: 1, count: 4))
        #expect(try RunShard.resolve("2/4", environment: ["JOB_COMPLETION_INDEX": "1"]) == RunShard(index: 2, count: 4))
        let bad: [(String, [String: String], String)] = [
            ("auto/4", [:], "neither JOB_COMPLETION_INDEX"),
            ("auto/4", ["SLURM_ARRAY_TASK_ID": "4"], "SLURM_ARRAY_TASK_ID=4 is outside 0…3"),
            ("auto/4", ["JOB_COMPLETION_INDEX": "-1"], "not a whole number"),
            ("auto/0", ["JOB_COMPLETION_INDEX": "0"], "expected I/N"),
            ("4/4", [:], "must be in 0…3"),
            ("1", [:], "expected I/N"),
            ("a/2", [:], "the index a is not a whole number"),
        ]
        for (text, environment, message) in bad {
            do {
                _ = try RunShard.resolve(text, environment: environment)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.code == .invalidInput)
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
    }

    @Test("each shard runs only its units; the merged store equals a single run's; starting a shard again continues it")
    func mergeStores() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-shards-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let single = try await RunEngine.start(
            IndexedKind(count: 11, ran: UnitLog()),
            options: RunOptions(outDirectory: out.appendingPathComponent("single")))
        var folders: [URL] = []
        for i in 0..<3 {
            let log = UnitLog()
            var options = RunOptions(outDirectory: out.appendingPathComponent("shards"), limit: i == 1 ? 5 : nil)
            options.shard = RunShard(index: i, count: 3)
            let first = try await RunEngine.start(IndexedKind(count: 11, ran: log), options: options)
            #expect(first.directory.lastPathComponent == "indexed-shard-\(i)-of-3")
            #expect(first.unitsTotal == RunShard(index: i, count: 3)!.unitCount(of: 11))
            if i == 1 {
                #expect(log.all.sorted() == ["u1", "u4"])
                options.limit = nil
                // The same start again continues the shard's folder: only the rest runs.
                let again = try await RunEngine.start(IndexedKind(count: 11, ran: log), options: options)
                #expect(again.directory.standardizedFileURL.path == first.directory.standardizedFileURL.path)
                #expect(again.unitsDone == 4)
            }
            #expect(log.all.sorted() == (0..<11).filter { $0 % 3 == i }.map { "u\($0)" }.sorted())
            folders.append(first.directory)
        }
        let merged = out.appendingPathComponent("merged")
        let summary = try await RunMerge.merge(folders.reversed(), into: merged)
        #expect(summary.units == 11)
        #expect(!summary.reused)
        let a = try await RunData.load(RunStore.open(single.directory))
        let b = try await RunData.load(RunStore.open(merged))
        #expect(b.manifest.shard == nil)
        #expect(b.manifest.runID == "indexed")
        #expect(a.units.map(\.status) == b.units.map(\.status))
        #expect(a.units.map(\.result) == b.units.map(\.result))
        #expect(a.units.map(\.commits) == b.units.map(\.commits))
        #expect(a.events == b.events)
        #expect(a.usage == b.usage)
        // Merging again into the same folder reuses the finished store.
        #expect(try await RunMerge.merge(folders, into: merged).reused)
        // A shard started with another count of shards is not the same folder, and a missing shard is refused.
        await #expect(throws: RunError.self) {
            try await RunMerge.merge(Array(folders.prefix(2)), into: out.appendingPathComponent("m2"))
        }
    }
}
