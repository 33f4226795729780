import Foundation
import Storage
import Synchronization
import Testing

@testable import Runs

/// A kind of `count` units, one persona each, that names its persona (``RunKind/personaIDs(for:)``)
/// and records the most personas a unit's context ever held.
struct OnePersonaKind: RunKind {
    let count: Int
    let largestContext: Largest
    var name: String { "one-persona" }
    var document: JSONValue { ["kind": "one-persona", "count": .integer(Int64(count))] }
    var sourceFile: String? { nil }
    var seed: UInt64 { 5 }
    var modelLabel: String { "none" }
    var folder: RunFolder { .numbered("one-persona") }

    func plan() async throws -> RunPlan {
        RunPlan(
            personas: (0..<count).map { StoredPersona(id: "p\($0)", json: ["id": .string("p\($0)")]) },
            units: (0..<count).map {
                UnitSpec(index: $0, id: "u\($0)", kind: "one", input: ["persona": .string("p\($0)")])
            })
    }

    func personaIDs(for unit: UnitSpec) -> [String]? { unit.input["persona"]?.stringValue.map { [$0] } }

    func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        largestContext.record(context.personas.count)
        let id = unit.input["persona"]?.stringValue ?? ""
        guard context.persona(id) != nil else { throw RunError(.runStore, "no persona \(id) in the context") }
        return UnitOutcome(index: unit.index, status: .done, result: ["persona": .string(id)])
    }

    func results(_ data: RunData) async throws -> JSONValue { ["done": .integer(Int64(data.doneUnits.count))] }
    func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] { [] }
    func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String { "" }
}

/// The largest value recorded.
final class Largest: Sendable {
    private let largest = Mutex(0)
    func record(_ value: Int) { largest.withLock { $0 = max($0, value) } }
    var value: Int { largest.withLock { $0 } }
}

@Suite("Bounded memory: units and personas in pages")
struct UnitRecordStreamTests {
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("agora-stream-\(UUID().uuidString)")
    }

    @Test("the engine holds one page of personas at a time, never the whole population")
    func engineWindow() async throws {
        let count = UnitRecordStream.defaultPageSize + 500
        let kind = OnePersonaKind(count: count, largestContext: Largest())
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(at: out) }
        let summary = try await RunEngine.start(kind, options: RunOptions(outDirectory: out, concurrency: 8))
        #expect(summary.unitsDone == count)
        #expect(summary.unitsFailed == 0)
        let largest = kind.largestContext.value
        #expect(largest <= UnitRecordStream.defaultPageSize)
        #expect(largest >= 1)
    }

    @Test("pages cover every unit once, in index order, none larger than the page size", arguments: [1, 3, 7, 50])
    func pages(pageSize: Int) async throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(at: out) }
        let manifest = RunManifest(runID: "r", kind: "k", document: ["kind": "k"], sourceFile: nil, seed: 1, model: "m")
        let units = (0..<23).map { UnitSpec(index: $0, id: "u\($0)", kind: "k", input: [:]) }
        let store = try await RunStore.create(at: out, manifest: manifest, personas: [], units: units)
        for index in stride(from: 0, to: 23, by: 2) {
            try await store.commit(
                UnitOutcome(
                    index: index, status: .done, result: ["i": .integer(Int64(index))],
                    events: [RunEvent(seq: 0, kind: "utterance", speaker: "s", content: "e\(index)")]))
        }
        var seen: [Int] = []
        var largest = 0
        try await UnitRecordStream(store, status: .done, withEvents: true, pageSize: pageSize).forEachPage { page in
            largest = max(largest, page.units.count)
            for unit in page.units {
                seen.append(unit.spec.index)
                #expect(page.events[unit.spec.index]?.map(\.content) == ["e\(unit.spec.index)"])
            }
        }
        #expect(seen == Array(stride(from: 0, to: 23, by: 2)))
        #expect(largest <= pageSize)
        var all: [Int] = []
        try await UnitRecordStream(store, pageSize: pageSize).forEachPage { all += $0.units.map(\.spec.index) }
        #expect(all == Array(0..<23))
        let counts = try await store.unitCounts()
        #expect(counts == UnitStatusCounts(total: 23, done: 12, failed: 0))
        let shard = try #require(RunShard(index: 1, count: 2))
        #expect(try await store.unitCounts(shard: shard).total == 11)
        #expect(try await store.unitCounts(below: 5).done == 3)
    }
}
