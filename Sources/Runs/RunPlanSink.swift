import Foundation
import Storage

/// A kind whose new runs are planned a batch at a time straight into the run store, so planning a
/// million respondents never holds them all (surveys from a persona file; docs/scaling.md).
public protocol StreamingPlan: RunKind {
    /// Writes the personas and units of a new run into `sink` in batches (units indexed from 0, in
    /// order). A kind that needs the whole plan for some documents appends ``RunKind/plan()`` in one batch.
    func plan(into sink: RunPlanSink) async throws
}

/// Where a ``StreamingPlan`` writes a new run's people and units.
public struct RunPlanSink: Sendable {
    let store: RunStore

    /// Appends personas (after those already written, in population order) and units.
    public func append(personas: [StoredPersona], units: [UnitSpec]) async throws(RunError) {
        try await store.append(personas: personas, units: units)
    }

    /// Of `ids`, those already written.
    public func written(_ ids: [String]) async throws(RunError) -> Set<String> {
        try await store.read("read the persona ids") { c in
            let statement = try c.prepare("SELECT 1 AS hit FROM personas WHERE id = ?")
            var found = Set<String>()
            for id in ids where try !statement.query([.text(id)]).isEmpty { found.insert(id) }
            return found
        }
    }
}

extension RunStore {
    /// Appends personas (positions after the stored ones) and units, in one transaction.
    func append(personas: [StoredPersona], units: [UnitSpec]) async throws(RunError) {
        let personaRows = personas.map { ($0.id, $0.json.serialized()) }
        let unitRows = units.map { ($0.index, $0.id, $0.kind, $0.input.serialized()) }
        try await write("write the new run") { c in
            var position = try c.queryOne("SELECT coalesce(max(idx) + 1, 0) AS next FROM personas")?.int("next") ?? 0
            for (id, json) in personaRows {
                try c.run(
                    "INSERT INTO personas(idx, id, json) VALUES (?, ?, ?)",
                    [.integer(position), .text(id), .text(json)])
                position += 1
            }
            for (index, id, kind, input) in unitRows {
                try c.run(
                    "INSERT INTO units(idx, id, kind, input) VALUES (?, ?, ?, ?)",
                    [.integer(Int64(index)), .text(id), .text(kind), .text(input)])
            }
        }
    }

    /// Whether the run's planning was left unfinished (manifest key `planning`).
    func isPlanning() async throws(RunError) -> Bool {
        try await read("read the manifest") { c in
            try c.queryOne("SELECT value FROM manifest WHERE key = 'planning'") != nil
        }
    }

    /// Marks the planning of a streamed plan begun (`true`) or finished (`false`).
    func setPlanning(_ planning: Bool) async throws(RunError) {
        try await write("record the planning") { c in
            if planning {
                try c.run("INSERT OR REPLACE INTO manifest(key, value) VALUES ('planning', '1')")
            } else {
                try c.run("DELETE FROM manifest WHERE key = 'planning'")
            }
        }
    }
}
