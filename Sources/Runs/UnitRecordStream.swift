import Foundation
import Storage

/// One page of a run's units read back from the store in index order, with their events when
/// asked for: what the bounded-memory paths (the engine's scheduling, streamed outputs) hold at a
/// time instead of every unit of the run.
public struct UnitPage: Sendable {
    /// The units, in index order.
    public var units: [UnitRecord]
    /// The events of each unit of the page, by unit index (empty when not asked for).
    public var events: [Int: [RunEvent]]
}

/// Reads a run store's units in pages (keyset pagination on `idx`), so a caller holds at most one
/// page of unit records at a time, whatever the size of the run.
public struct UnitRecordStream: Sendable {
    /// Units per page.
    public static let defaultPageSize = 2048

    /// The store read.
    public let store: RunStore
    /// Only units with this status (`nil`: every unit).
    public var status: UnitStatus?
    /// Whether each page carries its units' events.
    public var withEvents: Bool
    /// Units per page.
    public var pageSize: Int

    /// Creates a stream over `store`.
    public init(
        _ store: RunStore, status: UnitStatus? = nil, withEvents: Bool = false, pageSize: Int = defaultPageSize
    ) {
        self.store = store
        self.status = status
        self.withEvents = withEvents
        self.pageSize = max(1, pageSize)
    }

    /// Calls `body` with each page in index order. The next page is read from the store while `body`
    /// works on the current one (the store reads on its own thread), so at most two pages are held.
    public func forEachPage(_ body: (UnitPage) async throws -> Void) async throws {
        var next: Task<UnitPage?, any Error>? = prefetch(after: -1)
        defer { next?.cancel() }
        while let reading = next {
            guard let page = try await reading.value, let last = page.units.last else { return }
            next = page.units.count < pageSize ? nil : prefetch(after: last.spec.index)
            try await body(page)
        }
    }

    /// Starts reading the page after unit index `after` (`nil`: no units left).
    private func prefetch(after: Int) -> Task<UnitPage?, any Error> {
        Task { try await page(after: after) }
    }

    /// The page of units after unit index `after`, with their events when asked for.
    func page(after: Int) async throws -> UnitPage? {
        let units = try await store.units(after: after, limit: pageSize, status: status)
        guard let first = units.first, let last = units.last else { return nil }
        var events: [Int: [RunEvent]] = [:]
        if withEvents {
            for group in try await store.events(from: first.spec.index, through: last.spec.index) {
                events[group.unit] = group.events
            }
        }
        return UnitPage(units: units, events: events)
    }
}

/// The unit counts of a run by status (what the summary and `results.json` report), counted in SQL.
public struct UnitStatusCounts: Sendable, Hashable {
    /// Every unit.
    public var total = 0
    /// Done units.
    public var done = 0
    /// Failed units.
    public var failed = 0
    /// Pending units.
    public var pending: Int { total - done - failed }

    /// Creates counts (no units by default).
    public init(total: Int = 0, done: Int = 0, failed: Int = 0) {
        self.total = total
        self.done = done
        self.failed = failed
    }
}

extension RunStore {
    /// The units with an index above `after`, in index order, at most `limit` (only those with
    /// `status`, when given).
    public func units(after: Int, limit: Int, status: UnitStatus? = nil) async throws(RunError) -> [UnitRecord] {
        let filter = status == nil ? "" : "AND status = ?"
        var bindings: [SQLValue] = [.integer(Int64(after))]
        if let status { bindings.append(.text(status.rawValue)) }
        bindings.append(.integer(Int64(limit)))
        return try await unitRecords(
            "SELECT idx, id, kind, input, status, result, error, commits FROM units WHERE idx > ? \(filter) ORDER BY idx LIMIT ?",
            bindings)
    }

    /// The events of the units with an index in `first...last`, grouped by unit (ascending), each
    /// in `seq` order.
    public func events(from first: Int, through last: Int) async throws(RunError) -> [(unit: Int, events: [RunEvent])] {
        try await groupedEvents(
            "SELECT unit, seq, kind, speaker, speaker_name, content, data FROM events WHERE unit BETWEEN ? AND ? ORDER BY unit, seq",
            [.integer(Int64(first)), .integer(Int64(last))])
    }

    /// The stored personas with these ids (unknown ids are left out), in the order asked.
    public func personas(ids: [String]) async throws(RunError) -> [StoredPersona] {
        let rows: [(String, String)] = try await read("read the personas") { c in
            let statement = try c.prepare("SELECT id, json FROM personas WHERE id = ?")
            var rows: [(String, String)] = []
            for id in ids {
                if let row = try statement.query([.text(id)]).first {
                    rows.append((try row.string("id"), try row.string("json")))
                }
            }
            return rows
        }
        return try decodePersonas(rows)
    }

    /// The personas with a stored position above `after`, in population order, at most `limit`,
    /// each with its position.
    public func personas(after: Int, limit: Int) async throws(RunError) -> [(position: Int, persona: StoredPersona)] {
        let rows: [(Int64, String, String)] = try await read("read the personas") { c in
            try c.query(
                "SELECT idx, id, json FROM personas WHERE idx > ? ORDER BY idx LIMIT ?",
                [.integer(Int64(after)), .integer(Int64(limit))]
            ).map { (try $0.int("idx"), try $0.string("id"), try $0.string("json")) }
        }
        let personas = try decodePersonas(rows.map { ($0.1, $0.2) })
        return zip(rows, personas).map { (Int($0.0.0), $0.1) }
    }

    /// How many personas the run stores.
    public func personaCount() async throws(RunError) -> Int {
        try await read("count the personas") { c in
            Int(try c.queryOne("SELECT count(*) AS n FROM personas")?.int("n") ?? 0)
        }
    }

    /// The unit counts by status, of every unit or only of those `shard` holds (and, with `below`,
    /// only of the units with a smaller index: `--limit`).
    public func unitCounts(shard: RunShard? = nil, below: Int? = nil) async throws(RunError) -> UnitStatusCounts {
        var conditions: [String] = []
        if let shard { conditions.append("idx % \(shard.count) = \(shard.index)") }
        if let below { conditions.append("idx < \(below)") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let rows: [(String, Int64)] = try await read("count the units") { c in
            try c.query("SELECT status, count(*) AS n FROM units \(filter) GROUP BY status ORDER BY status").map {
                (try $0.string("status"), try $0.int("n"))
            }
        }
        var counts = UnitStatusCounts()
        for (status, n) in rows {
            counts.total += Int(n)
            if status == UnitStatus.done.rawValue { counts.done += Int(n) }
            if status == UnitStatus.failed.rawValue { counts.failed += Int(n) }
        }
        return counts
    }

    func decodePersonas(_ rows: [(String, String)]) throws(RunError) -> [StoredPersona] {
        var result: [StoredPersona] = []
        result.reserveCapacity(rows.count)
        for (id, text) in rows {
            guard let json = try? JSONValue.parse(text) else {
                throw RunError(.runStore, "the stored persona \(id) is damaged", file: directory.path)
            }
            result.append(StoredPersona(id: id, json: json))
        }
        return result
    }
}
