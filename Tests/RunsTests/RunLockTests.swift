import Foundation
import Inference
import Storage
import Synchronization
import Testing

@testable import Runs

/// A kind whose units record that they ran: enough to drive the engine without a model.
struct CountingKind: RunKind {
    let ran: UnitLog
    var name: String { "counting" }
    var document: JSONValue { ["kind": "counting"] }
    var sourceFile: String? { nil }
    var seed: UInt64 { 1 }
    var modelLabel: String { "none" }
    var folder: RunFolder { .numbered("counting") }

    func plan() async throws -> RunPlan {
        RunPlan(personas: [], units: (0..<3).map { UnitSpec(index: $0, id: "u\($0)", kind: "count", input: [:]) })
    }

    func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        ran.append(unit.id)
        return UnitOutcome(index: unit.index, status: .done, result: ["failures": []])
    }

    func results(_ data: RunData) async throws -> JSONValue { ["done": .integer(Int64(data.doneUnits.count))] }
    func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] {
        [RunOutput("results.json", results.serialized())]
    }
    func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String { results.serialized() }
}

/// Unit ids in the order they ran.
final class UnitLog: Sendable {
    private let ids = Mutex<[String]>([])
    func append(_ id: String) { ids.withLock { $0.append(id) } }
    var all: [String] { ids.withLock { $0 } }
}

@Suite("Hardening: one process per run (the run folder's lock)")
struct RunLockTests {
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("agora-lock-\(UUID().uuidString)")
    }

    @Test("a second holder is refused at once, naming the holder's pid; the lock is free again once released")
    func exclusive() throws {
        let directory = Self.folder()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var first: RunLock? = try RunLock.acquire(directory)
        #expect(first != nil)
        do {
            _ = try RunLock.acquire(directory)
            Issue.record("a second lock was granted")
        } catch {
            #expect(error.code == .runStore)
            #expect(error.message.contains("(pid \(getpid()))"))
            #expect(error.message.contains("is running this run"))
        }
        first = nil
        _ = try RunLock.acquire(directory)
    }

    @Test("the engine runs nothing while another process holds the run: no unit runs twice")
    func engineRefusesALockedRun() async throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(at: out) }
        let log = UnitLog()
        let kind = CountingKind(ran: log)
        let first = try await RunEngine.start(kind, options: RunOptions(outDirectory: out, limit: 1))
        #expect(log.all == ["u0"])
        var holder: RunLock? = try RunLock.acquire(first.directory)
        await #expect(throws: RunError.self) {
            try await RunEngine.resume(kind, directory: first.directory, options: RunOptions(outDirectory: out))
        }
        #expect(log.all == ["u0"])
        #expect(holder != nil)
        holder = nil
        let second = try await RunEngine.resume(
            kind, directory: first.directory, options: RunOptions(outDirectory: out))
        #expect(second.unitsDone == 3)
        #expect(log.all == ["u0", "u1", "u2"])
    }
}

@Suite("Hardening: a run store locked by another program")
struct RunStoreBusyTests {
    @Test("is reported as locked by another program, not as a problem with a unit", .timeLimit(.minutes(1)))
    func busyStore() async throws {
        let out = RunLockTests.folder()
        defer { try? FileManager.default.removeItem(at: out) }
        let first = try await RunEngine.start(
            CountingKind(ran: UnitLog()), options: RunOptions(outDirectory: out, limit: 1))
        let other = try Connection(.file(first.directory.appendingPathComponent(RunStore.fileName).path))
        try other.execute("BEGIN EXCLUSIVE")
        defer { try? other.execute("ROLLBACK") }
        let store = try RunStore.open(first.directory)
        do {
            try await store.commit(UnitOutcome(index: 1, status: .done, result: ["failures": []]))
            Issue.record("the commit went through a locked store")
        } catch {
            #expect(error.message.contains("another program keeps the run store locked"), "\(error)")
            #expect(error.file?.hasSuffix("run.sqlite") == true)
        }
    }
}

@Suite("Hardening: --deadline")
struct DeadlineTests {
    @Test("past the deadline no unit starts: the run ends with units pending, and --resume finishes them")
    func deadline() async throws {
        let out = RunLockTests.folder()
        defer { try? FileManager.default.removeItem(at: out) }
        let log = UnitLog()
        let kind = CountingKind(ran: log)
        let stopped = try await RunEngine.start(kind, options: RunOptions(outDirectory: out, deadline: .zero))
        #expect(stopped.deadlineReached && stopped.hasFailures)
        #expect((stopped.unitsDone, stopped.unitsPending) == (0, 3))
        #expect(log.all.isEmpty)
        let finished = try await RunEngine.resume(
            kind, directory: stopped.directory, options: RunOptions(outDirectory: out))
        #expect(!finished.deadlineReached && finished.unitsDone == 3)
    }
}
