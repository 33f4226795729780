public import Foundation
public import Storage

/// A kind that writes its outputs from the run store page by page, in memory bounded by a page of
/// units rather than by the size of the run (surveys; docs/scaling.md "Bounded memory").
///
/// The files must be byte-identical to the ones ``RunKind/outputs(_:results:)`` builds from the
/// whole ``RunData``: the engine takes whichever path the kind offers.
public protocol StreamingOutputs: RunKind {
    /// Writes the outputs into the store's folder, reading its units in pages; `nil` when this run
    /// needs the whole data (the engine then loads it and calls ``RunKind/outputs(_:results:)``).
    func streamOutputs(_ store: RunStore) async throws -> StreamedOutputs?
}

/// What writing a run's outputs produced.
public struct StreamedOutputs: Sendable {
    /// `results.json`'s content.
    public var results: JSONValue
    /// The files written, in order.
    public var files: [URL]
    /// Failures recorded inside done units (``RunKind/failures(in:)`` summed).
    public var itemFailures: Int
    /// The kind's summary lines.
    public var lines: [String]

    /// Creates the description of written outputs.
    public init(results: JSONValue, files: [URL], itemFailures: Int, lines: [String]) {
        self.results = results
        self.files = files
        self.itemFailures = itemFailures
        self.lines = lines
    }
}

/// The units an invocation may run: below `--limit`, in its shard.
struct UnitScope: Sendable {
    var limit: Int?
    var shard: RunShard?

    func contains(_ index: Int) -> Bool { index < (limit ?? Int.max) && shard?.contains(index) != false }
}

extension RunEngine {
    /// Creates a new run's store and lets `kind` write its personas and units into it in batches;
    /// the store is marked `planning` until they are all written, and a plan that fails (a bad
    /// persona line) removes the folder, as if nothing had started.
    static func planStreamed(_ kind: any StreamingPlan, at directory: URL, manifest: RunManifest) async throws
        -> RunStore
    {
        let store = try await RunStore.create(at: directory, manifest: manifest, personas: [], units: [])
        do {
            try await store.setPlanning(true)
            try await kind.plan(into: RunPlanSink(store: store))
            try await store.setPlanning(false)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return store
    }

    /// Runs the pending units of `scope` page by page (``UnitRecordStream``): only one page of unit
    /// specs, and the personas they name, is held at a time; returns how many units the deadline
    /// left unstarted.
    static func runPending(
        _ kind: any RunKind, store: RunStore, scope: UnitScope, seed: UInt64, width: Int, deadline: Duration?,
        monitor: RunMonitor
    ) async throws -> Int {
        let clock = ContinuousClock()
        let remaining = deadline.map { clock.now + $0 }
        var population: [StoredPersona]?  // read once, when a unit may use anyone
        var skipped = 0
        var after = -1
        let pageSize = max(UnitRecordStream.defaultPageSize, width * 8)
        while after + 1 < (scope.limit ?? Int.max) {
            let page = try await store.units(after: after, limit: pageSize)
            guard let last = page.last else { break }
            after = last.spec.index
            let todo = page.filter { scope.contains($0.spec.index) && $0.status != .done }.map(\.spec)
            if todo.isEmpty { continue }
            let named = todo.map { kind.personaIDs(for: $0) }
            let personas: [StoredPersona]
            if named.allSatisfy({ $0 != nil }) {
                var ids: [String] = []
                var seen = Set<String>()
                for id in named.lazy.compactMap({ $0 }).joined() where seen.insert(id).inserted { ids.append(id) }
                personas = try await store.personas(ids: ids)
            } else {
                if population == nil {
                    population = try await store.personas().map { StoredPersona(id: $0.id, json: $0.json) }
                }
                personas = population ?? []
            }
            let context = UnitContext(
                seed: seed, personas: personas, monitor: monitor, observer: { monitor.record($0) })
            let left = remaining.map { $0 - clock.now }
            skipped += try await runUnits(
                todo, kind: kind, store: store, context: context, width: width,
                deadline: left.map { max($0, .zero) }, monitor: monitor)
        }
        return skipped
    }

    /// Writes the kind's outputs: streamed from the store when the kind can (``StreamingOutputs``),
    /// else built from the whole ``RunData``.
    static func writeAllOutputs(_ kind: any RunKind, store: RunStore) async throws -> StreamedOutputs {
        if let streaming = kind as? any StreamingOutputs, let written = try await streaming.streamOutputs(store) {
            return written
        }
        let data = try await RunData.load(store)
        let results = try await kind.results(data)
        let files = try await writeOutputs(kind, data: data, results: results, directory: store.directory)
        return StreamedOutputs(
            results: results, files: files, itemFailures: data.doneUnits.reduce(0) { $0 + kind.failures(in: $1) },
            lines: kind.summaryLines(data, results: results))
    }
}
