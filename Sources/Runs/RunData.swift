import Foundation
public import Storage

/// Everything the outputs are built from, read back from a run store (never from memory of the
/// run), so `agora report` rebuilds exactly what `agora run` wrote.
public struct RunData: Sendable {
    /// The manifest.
    public var manifest: RunManifest
    /// The personas, in population order.
    public var personas: [StoredPersona]
    /// Every unit, in index order.
    public var units: [UnitRecord]
    /// The events of each unit, by unit index.
    public var events: [Int: [RunEvent]]
    /// Token totals per model.
    public var usage: [UsageTotals]
    /// The run-level documents stored beside the units (``RunStore/documents()``), by name: e.g.
    /// `consistency` and `consistency-lines` after `agora evaluate`.
    public var documents: [String: JSONValue] = [:]

    /// Creates run data (tests build it by hand; runs read it with ``load(_:)``).
    public init(
        manifest: RunManifest, personas: [StoredPersona] = [], units: [UnitRecord], events: [Int: [RunEvent]] = [:],
        usage: [UsageTotals] = []
    ) {
        self.manifest = manifest
        self.personas = personas
        self.units = units
        self.events = events
        self.usage = usage
    }

    /// Reads a run.
    public static func load(_ store: RunStore) async throws -> RunData {
        let manifest = try await store.manifest()
        var events: [Int: [RunEvent]] = [:]
        for group in try await store.events() { events[group.unit] = group.events }
        var data = RunData(
            manifest: manifest, personas: try await store.personas().map { StoredPersona(id: $0.id, json: $0.json) },
            units: try await store.units(), events: events, usage: try await store.usage())
        for document in try await store.documents() { data.documents[document.name] = document.json }
        return data
    }

    /// The done units, in index order.
    public var doneUnits: [UnitRecord] { units.filter { $0.status == .done } }
}
