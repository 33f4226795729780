public import Storage

/// SQLite persistence of transcripts, PersonaTrees and MemListener records on a Storage
/// `Connection` (use it inside `Database.write`/`read`, which run on the database's own queue).
///
/// Tables are created with `CREATE TABLE IF NOT EXISTS` rather than a migration, because the run
/// store that hosts them owns `PRAGMA user_version`. Rows hold the same JSON as the files, so a
/// stored transcript exports byte-identically to JSON Lines.
public enum MemoryStore {
    /// The DDL of the Memory tables.
    public static let schemaSQL = """
        CREATE TABLE IF NOT EXISTS memory_participants (
            transcript TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL,
            PRIMARY KEY (transcript, id));
        CREATE TABLE IF NOT EXISTS memory_events (
            transcript TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, speaker TEXT, kind TEXT NOT NULL,
            json TEXT NOT NULL, PRIMARY KEY (transcript, seq));
        CREATE TABLE IF NOT EXISTS memory_trees (
            owner TEXT PRIMARY KEY, schema_id TEXT NOT NULL, json TEXT NOT NULL, updated_seq INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS memory_listener_calls (
            owner TEXT NOT NULL, to_seq INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (owner, to_seq));
        """

    /// Creates the tables when missing.
    public static func createTables(_ db: Connection) throws(MemoryError) {
        do { try db.execute(schemaSQL) } catch { throw storageError("create the memory tables", error) }
    }

    /// Saves a transcript under `id`: the roster is replaced and events not yet stored are inserted
    /// (stored events are immutable: the log is append-only).
    public static func save(_ transcript: Transcript, id: String, in db: Connection) throws(MemoryError) {
        do {
            try db.transaction {
                try db.run("DELETE FROM memory_participants WHERE transcript = ?", [.text(id)])
                for (i, p) in transcript.roster.enumerated() {
                    try db.run(
                        "INSERT INTO memory_participants (transcript, position, id, json) VALUES (?, ?, ?, ?)",
                        [.text(id), .integer(Int64(i)), .text(p.id.raw), .text(TranscriptJSONL.json(p).serialized())])
                }
                let stored = try db.queryOne(
                    "SELECT MAX(seq) AS top FROM memory_events WHERE transcript = ?", [.text(id)])
                var next = 0
                if let row = stored, case .integer(let top) = row["top"] { next = Int(top) + 1 }
                let insert = try db.prepare(
                    "INSERT INTO memory_events (transcript, seq, id, speaker, kind, json) VALUES (?, ?, ?, ?, ?, ?)")
                for e in transcript.events where e.seq >= next {
                    try insert.run([
                        .text(id), .integer(Int64(e.seq)), .text(e.id), e.speaker.map { .text($0.raw) } ?? .null,
                        .text(e.kind.rawValue), .text(TranscriptJSONL.json(e).serialized()),
                    ])
                }
            }
        } catch { throw storageError("save transcript \"\(id)\"", error) }
    }

    /// Loads the transcript stored under `id` (re-checking every event), or nil if none.
    public static func loadTranscript(id: String, from db: Connection) throws(MemoryError) -> Transcript? {
        let participants: [Row]
        let events: [Row]
        do {
            participants = try db.query(
                "SELECT json FROM memory_participants WHERE transcript = ? ORDER BY position", [.text(id)])
            events = try db.query("SELECT json FROM memory_events WHERE transcript = ? ORDER BY seq", [.text(id)])
        } catch { throw storageError("load transcript \"\(id)\"", error) }
        guard !participants.isEmpty else { return nil }
        var lines = [
            "{\"roster\":[" + participants.map { $0.optionalString("json") ?? "" }.joined(separator: ",") + "]}"
        ]
        lines += events.map { $0.optionalString("json") ?? "" }
        return try TranscriptJSONL.parse(lines.joined(separator: "\n"), file: "memory_events[\(id)]")
    }

    /// Saves (replaces) the tree of `owner`.
    public static func save(_ tree: PersonaTree, owner: String, in db: Connection) throws(MemoryError) {
        let top = tree.leaves.map(\.updatedAt).max() ?? 0
        do {
            try db.run(
                "INSERT OR REPLACE INTO memory_trees (owner, schema_id, json, updated_seq) VALUES (?, ?, ?, ?)",
                [.text(owner), .text(tree.schemaID), .text(tree.jsonValue.serialized()), .integer(Int64(top))])
        } catch { throw storageError("save the tree of \"\(owner)\"", error) }
    }

    /// Loads the tree of `owner`, or nil if none is stored.
    public static func loadTree(owner: String, from db: Connection) throws(MemoryError) -> PersonaTree? {
        let row: Row?
        do { row = try db.queryOne("SELECT json FROM memory_trees WHERE owner = ?", [.text(owner)]) } catch {
            throw storageError("load the tree of \"\(owner)\"", error)
        }
        guard let json = row?.optionalString("json") else { return nil }
        return try TreeSchema.parse(json, file: "memory_trees[\(owner)]").tree
    }

    /// Records one MemListener call (replacing a record for the same owner and chunk end).
    public static func save(_ record: MemListenerRecord, owner: String, in db: Connection) throws(MemoryError) {
        do {
            try db.run(
                "INSERT OR REPLACE INTO memory_listener_calls (owner, to_seq, json) VALUES (?, ?, ?)",
                [.text(owner), .integer(Int64(record.toSeq)), .text(record.jsonValue.serialized())])
        } catch { throw storageError("record a MemListener call of \"\(owner)\"", error) }
    }

    /// The recorded MemListener calls of `owner` as JSON, in chunk order.
    public static func listenerRecords(owner: String, from db: Connection) throws(MemoryError) -> [JSONValue] {
        let rows: [Row]
        do {
            rows = try db.query(
                "SELECT json FROM memory_listener_calls WHERE owner = ? ORDER BY to_seq", [.text(owner)])
        } catch { throw storageError("load the MemListener records of \"\(owner)\"", error) }
        return rows.compactMap { row in row.optionalString("json").flatMap { try? JSONValue.parse($0) } }
    }

    static func storageError(_ what: String, _ error: any Error) -> MemoryError {
        if let m = error as? MemoryError { return m }
        return MemoryError(
            .storage, "could not \(what) in SQLite; check the database file is writable",
            underlying: error as? StorageError)
    }
}
