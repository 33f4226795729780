public import Foundation
public import Storage

/// One SQLite database per run (`<out>/<run-id>/run.sqlite`, WAL): the scenario copy and digest, the
/// personas, the units of work with their status, and per unit its events, model calls, memory
/// operations and result.
///
/// A unit's events, calls and result are committed in ONE transaction with its `done` mark
/// (``commit(_:)``), so a run killed at any moment (SIGKILL included) loses at most the units in
/// flight, which run again on resume; a done unit never runs twice. The store is general: any
/// producer (scenarios, tool tasks) describes its units with a kind and JSON input and result.
/// The schema is documented in docs/scenarios.md ("The run store").
public final class RunStore: Sendable {
    /// The run folder.
    public let directory: URL
    private let database: Database

    /// The database file name inside a run folder.
    public static let fileName = "run.sqlite"

    static let migrations = [
        Migration(
            version: 1,
            sql: """
                CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE personas (idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, json TEXT NOT NULL);
                CREATE TABLE units (
                    idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, input TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending', result TEXT, error TEXT, commits INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE events (
                    unit INTEGER NOT NULL REFERENCES units(idx), seq INTEGER NOT NULL, kind TEXT NOT NULL,
                    speaker TEXT, speaker_name TEXT, content TEXT NOT NULL, data TEXT, PRIMARY KEY (unit, seq)) WITHOUT ROWID;
                CREATE TABLE model_calls (
                    unit INTEGER NOT NULL REFERENCES units(idx), seq INTEGER NOT NULL, model TEXT NOT NULL,
                    cache_key TEXT NOT NULL, purpose TEXT NOT NULL, prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL, latency_s REAL NOT NULL, cached INTEGER NOT NULL, error TEXT,
                    PRIMARY KEY (unit, seq)) WITHOUT ROWID;
                CREATE TABLE memory_operations (
                    unit INTEGER NOT NULL REFERENCES units(idx), seq INTEGER NOT NULL, json TEXT NOT NULL,
                    PRIMARY KEY (unit, seq)) WITHOUT ROWID;
                CREATE TABLE artifacts (name TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
                """),
        // Prompt tokens the server served from its own prompt cache (0 in runs stored before).
        Migration(
            version: 2,
            sql: "ALTER TABLE model_calls ADD COLUMN cached_prompt_tokens INTEGER NOT NULL DEFAULT 0;"),
        // Calls the OpenAI Batch API answered (`--batch`), priced at half the list price (0 before).
        Migration(version: 3, sql: "ALTER TABLE model_calls ADD COLUMN batch INTEGER NOT NULL DEFAULT 0;"),
    ]

    private init(directory: URL, database: Database) {
        self.directory = directory
        self.database = database
    }

    /// Creates a new run folder and store with its manifest, personas (`id`, JSON) and units.
    ///
    /// - Throws: `runStore` when the folder already holds a run (use ``open(_:)`` to resume it).
    public static func create(
        at directory: URL, manifest: RunManifest, personas: [(id: String, json: JSONValue)], units: [UnitSpec]
    ) async throws(RunError) -> RunStore {
        let file = directory.appendingPathComponent(fileName).path
        if FileManager.default.fileExists(atPath: file) {
            throw RunError(
                .runStore,
                "a run already exists here; continue it with --resume \(directory.path) or choose another --out",
                file: file)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError(.io, "cannot create the run folder", file: directory.path, underlying: error)
        }
        let store = try open(file: file, directory: directory)
        let rows: [(String, String)] =
            [
                ("run_id", manifest.runID), ("kind", manifest.kind),
                ("document", CanonicalJSON.string(manifest.document)),
                ("document_pretty", manifest.document.serialized(pretty: true)), ("digest", manifest.digest),
                ("source_file", manifest.sourceFile ?? ""), ("seed", String(manifest.seed)), ("model", manifest.model),
                ("format", "1"),
            ] + (manifest.shard.map { [("shard", $0.description)] } ?? [])
        try await store.write("write the new run") { c in
            for (key, value) in rows {
                try c.run("INSERT INTO manifest(key, value) VALUES (?, ?)", [.text(key), .text(value)])
            }
        }
        try await store.append(personas: personas.map { StoredPersona(id: $0.id, json: $0.json) }, units: units)
        return store
    }

    /// Opens an existing run folder (for `--resume` and `agora report`).
    public static func open(_ directory: URL) throws(RunError) -> RunStore {
        let file = directory.appendingPathComponent(fileName).path
        guard FileManager.default.fileExists(atPath: file) else {
            throw RunError(
                .runStore, "no run here (\(fileName) is missing); give the run folder that agora run printed",
                file: directory.path)
        }
        return try open(file: file, directory: directory)
    }

    private static func open(file: String, directory: URL) throws(RunError) -> RunStore {
        do {
            return RunStore(directory: directory, database: try Database(.file(file), migrations: migrations))
        } catch {
            throw RunError(.runStore, "cannot open the run store: \(error)", file: file, underlying: error)
        }
    }

    func write<T: Sendable>(_ what: String, _ body: @Sendable (Connection) throws -> T)
        async throws(RunError) -> T
    {
        do {
            return try await database.write(body)
        } catch {
            throw failure(what, error)
        }
    }

    /// The error of a failed store operation: a store another program keeps locked is said as such.
    private func failure(_ what: String, _ error: any Error) -> RunError {
        let file = directory.appendingPathComponent(Self.fileName).path
        if let storage = error as? StorageError, storage.code == .busy {
            return RunError(
                .runStore,
                "cannot \(what): another program keeps the run store locked (a database browser, a backup?); close it, then --resume",
                file: file, underlying: error)
        }
        return RunError(.runStore, "cannot \(what): \(error)", file: file, underlying: error)
    }

    func read<T: Sendable>(_ what: String, _ body: @Sendable (Connection) throws -> T)
        async throws(RunError) -> T
    {
        do {
            return try await database.read(body)
        } catch {
            throw failure(what, error)
        }
    }

    /// The run's manifest.
    public func manifest() async throws(RunError) -> RunManifest {
        let rows: [(String, String)] = try await read("read the manifest") { c in
            try c.query("SELECT key, value FROM manifest ORDER BY key").map {
                (try $0.string("key"), try $0.string("value"))
            }
        }
        func value(_ key: String) -> String? { rows.first { $0.0 == key }?.1 }
        guard let runID = value("run_id"), let kind = value("kind"),
            let text = value("document_pretty") ?? value("document"),
            let document = try? JSONValue.parse(text), let seed = value("seed").flatMap(UInt64.init)
        else {
            throw RunError(.runStore, "the run's manifest is damaged", file: directory.path)
        }
        let source = value("source_file").flatMap { $0.isEmpty ? nil : $0 }
        var manifest = RunManifest(
            runID: runID, kind: kind, document: document, sourceFile: source, seed: seed, model: value("model") ?? "")
        manifest.digest = value("digest") ?? manifest.digest
        manifest.models = value("models").flatMap { try? JSONValue.parse($0) }?.arrayValue ?? []
        manifest.shard = value("shard").flatMap(RunShard.parse)
        return manifest
    }

    /// Records what was learned about the run's model endpoints (manifest key `models`); a resume
    /// replaces the list with the endpoints it connected to.
    public func setModels(_ models: [JSONValue]) async throws(RunError) {
        let text = JSONValue.array(models).serialized()
        try await write("record the models") { c in
            try c.run("INSERT OR REPLACE INTO manifest(key, value) VALUES ('models', ?)", [.text(text)])
        }
    }

    /// The personas, in stored order.
    public func personas() async throws(RunError) -> [(id: String, json: JSONValue)] {
        let rows: [(String, String)] = try await read("read the personas") { c in
            try c.query("SELECT id, json FROM personas ORDER BY idx").map {
                (try $0.string("id"), try $0.string("json"))
            }
        }
        return try decodePersonas(rows).map { ($0.id, $0.json) }
    }

    /// Every unit with its status and result, in index order.
    public func units() async throws(RunError) -> [UnitRecord] {
        try await unitRecords("SELECT idx, id, kind, input, status, result, error, commits FROM units ORDER BY idx")
    }

    /// The unit records a `SELECT idx, id, kind, input, status, result, error, commits` returns.
    func unitRecords(_ sql: String, _ bindings: [SQLValue] = []) async throws(RunError) -> [UnitRecord] {
        let rows: [(Int64, String, String, String, String, String?, String?, Int64)] = try await read("read the units")
        { c in
            try c.query(sql, bindings).map {
                (
                    try $0.int("idx"), try $0.string("id"), try $0.string("kind"), try $0.string("input"),
                    try $0.string("status"),
                    $0.optionalString("result"), $0.optionalString("error"), try $0.int("commits")
                )
            }
        }
        var units: [UnitRecord] = []
        units.reserveCapacity(rows.count)
        for (index, id, kind, input, status, result, error, commits) in rows {
            guard let inputValue = try? JSONValue.parse(input), let statusValue = UnitStatus(rawValue: status) else {
                throw RunError(.runStore, "the stored unit \(id) is damaged", file: directory.path)
            }
            let resultValue = result.flatMap { try? JSONValue.parse($0) } ?? .null
            units.append(
                UnitRecord(
                    spec: UnitSpec(index: Int(index), id: id, kind: kind, input: inputValue), status: statusValue,
                    result: resultValue, error: error, commits: Int(commits)))
        }
        return units
    }

    /// Commits a unit's events, model calls, memory operations and result with its status, in ONE
    /// transaction (earlier partial rows of the unit, if any, are replaced).
    public func commit(_ outcome: UnitOutcome) async throws(RunError) {
        let unit = SQLValue.integer(Int64(outcome.index))
        let events = outcome.events.map { e -> [SQLValue] in
            [
                unit, .integer(Int64(e.seq)), .text(e.kind), e.speaker.map { .text($0) } ?? .null,
                e.speakerName.map { .text($0) } ?? .null, .text(e.content),
                e.data == .null ? .null : .text(e.data.serialized()),
            ]
        }
        let calls = outcome.modelCalls.map { m -> [SQLValue] in
            [
                unit, .integer(Int64(m.seq)), .text(m.model), .text(m.cacheKey), .text(m.purpose),
                .integer(Int64(m.promptTokens)), .integer(Int64(m.completionTokens)), .real(m.latencySeconds),
                .integer(m.cached ? 1 : 0), m.error.map { .text($0) } ?? .null, .integer(Int64(m.cachedPromptTokens)),
                .integer(m.batch ? 1 : 0),
            ]
        }
        let memory = outcome.memoryOperations.enumerated().map {
            [unit, .integer(Int64($0.offset)), .text($0.element.serialized())]
        }
        let status = SQLValue.text(outcome.status.rawValue)
        let result = SQLValue.text(outcome.result.serialized())
        let error = outcome.error.map { SQLValue.text($0) } ?? .null
        try await write("commit unit \(outcome.index)") { c in
            for table in ["events", "model_calls", "memory_operations"] {
                try c.run("DELETE FROM \(table) WHERE unit = ?", [unit])
            }
            let insertEvent =
                "INSERT INTO events(unit, seq, kind, speaker, speaker_name, content, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
            for row in events { try c.run(insertEvent, row) }
            let insertCall = """
                INSERT INTO model_calls(unit, seq, model, cache_key, purpose, prompt_tokens, completion_tokens, latency_s, cached, error, cached_prompt_tokens, batch)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
            for row in calls { try c.run(insertCall, row) }
            for row in memory { try c.run("INSERT INTO memory_operations(unit, seq, json) VALUES (?, ?, ?)", row) }
            try c.run(
                "UPDATE units SET status = ?, result = ?, error = ?, commits = commits + 1 WHERE idx = ?",
                [status, result, error, unit])
            guard c.changes == 1 else { throw RunError(.runStore, "no unit \(outcome.index) in this run") }
        }
    }

    /// The events of every unit, grouped by unit index (ascending), each in `seq` order.
    public func events() async throws(RunError) -> [(unit: Int, events: [RunEvent])] {
        try await groupedEvents(
            "SELECT unit, seq, kind, speaker, speaker_name, content, data FROM events ORDER BY unit, seq")
    }

    /// The events a `SELECT unit, seq, kind, speaker, speaker_name, content, data … ORDER BY unit,
    /// seq` returns, grouped by unit.
    func groupedEvents(_ sql: String, _ bindings: [SQLValue] = []) async throws(RunError)
        -> [(unit: Int, events: [RunEvent])]
    {
        let rows: [(Int64, RunEvent)] = try await read("read the events") { c in
            try c.query(sql, bindings).map { row in
                let data = row.optionalString("data").flatMap { try? JSONValue.parse($0) } ?? .null
                return (
                    try row.int("unit"),
                    RunEvent(
                        seq: Int(try row.int("seq")), kind: try row.string("kind"),
                        speaker: row.optionalString("speaker"),
                        speakerName: row.optionalString("speaker_name"), content: try row.string("content"),
                        data: data)
                )
            }
        }
        var grouped: [(unit: Int, events: [RunEvent])] = []
        for (unit, event) in rows {
            if grouped.last?.unit == Int(unit) {
                grouped[grouped.count - 1].events.append(event)
            } else {
                grouped.append((Int(unit), [event]))
            }
        }
        return grouped
    }

    /// The model calls of one unit, in order.
    public func modelCalls(unit: Int) async throws(RunError) -> [StoredModelCall] {
        try await read("read the model calls") { c in
            try c.query(
                "SELECT seq, model, cache_key, purpose, prompt_tokens, completion_tokens, latency_s, cached, error, cached_prompt_tokens, batch FROM model_calls WHERE unit = ? ORDER BY seq",
                [.integer(Int64(unit))]
            ).map { r in
                StoredModelCall(
                    seq: Int(try r.int("seq")), model: try r.string("model"), cacheKey: try r.string("cache_key"),
                    purpose: try r.string("purpose"), promptTokens: Int(try r.int("prompt_tokens")),
                    completionTokens: Int(try r.int("completion_tokens")), latencySeconds: try r.double("latency_s"),
                    cached: try r.int("cached") != 0, error: r.optionalString("error"),
                    cachedPromptTokens: Int(try r.int("cached_prompt_tokens")), batch: try r.int("batch") != 0)
            }
        }
    }

    /// Token and call totals per model (sorted by model) over the calls of committed units.
    public func usage() async throws(RunError) -> [UsageTotals] {
        try await read("read the usage") { c in
            try c.query(
                """
                SELECT model, count(*) AS calls, sum(cached) AS cached, sum(error IS NOT NULL) AS failed,
                       sum(prompt_tokens) AS p, sum(completion_tokens) AS k, sum(cached_prompt_tokens) AS c,
                       sum(batch) AS b, sum(batch * prompt_tokens) AS bp, sum(batch * completion_tokens) AS bk,
                       sum(batch * cached_prompt_tokens) AS bc
                FROM model_calls GROUP BY model ORDER BY model
                """
            ).map { r in
                UsageTotals(
                    model: try r.string("model"), calls: Int(try r.int("calls")), cachedCalls: Int(try r.int("cached")),
                    failedCalls: Int(try r.int("failed")), promptTokens: Int(try r.int("p")),
                    completionTokens: Int(try r.int("k")), cachedPromptTokens: Int(try r.int("c")),
                    batchCalls: Int(try r.int("b")), batchPromptTokens: Int(try r.int("bp")),
                    batchCachedPromptTokens: Int(try r.int("bc")), batchCompletionTokens: Int(try r.int("bk")))
            }
        }
    }

    /// Stores a run-level JSON document (a population summary, a merged result).
    public func setArtifact(_ name: String, _ value: JSONValue) async throws(RunError) {
        let text = value.serialized()
        try await write("store \(name)") { c in
            try c.run("INSERT OR REPLACE INTO artifacts(name, json) VALUES (?, ?)", [.text(name), .text(text)])
        }
    }

    /// The run-level documents whose names have no `/` (a consistency summary…), sorted by name;
    /// names with a `/` are a producer's working records (stored judgments), read one by one.
    public func documents() async throws(RunError) -> [(name: String, json: JSONValue)] {
        let rows: [(String, String)] = try await read("read the run documents") { c in
            try c.query("SELECT name, json FROM artifacts WHERE instr(name, '/') = 0 ORDER BY name").map {
                (try $0.string("name"), try $0.string("json"))
            }
        }
        return rows.compactMap { row in (try? JSONValue.parse(row.1)).map { (row.0, $0) } }
    }

    /// A run-level JSON document, if stored.
    public func artifact(_ name: String) async throws(RunError) -> JSONValue? {
        let text: String? = try await read("read \(name)") { c in
            try c.queryOne("SELECT json FROM artifacts WHERE name = ?", [.text(name)])?.string("json")
        }
        return text.flatMap { try? JSONValue.parse($0) }
    }
}
