import Dispatch
public import Storage
import Synchronization

/// Record and replay of model answers in SQLite.
///
/// The key is the SHA-256 of the canonical JSON of the request as the provider would see it (model
/// identifier, messages, parameters, tools, response format) plus the sample index, so k samples
/// of the same request at temperature > 0 are k entries. Keys and auth headers are never part of
/// a request body, so they never reach the cache.
public final class ResponseCache: Sendable {
    /// How the cache is used.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Every call goes to the endpoint; nothing is read or written.
        case off
        /// Hits are served from the cache; misses go to the endpoint and are stored.
        case readWrite = "read-write"
        /// Hits are served from the cache; a miss is an error (`cacheMiss`), no call is made.
        case replayOnly = "replay-only"
    }

    private let database: Database
    /// A read-only connection to the same file for lookups on the caller's thread (see
    /// ``lookup(_:)``); `nil` for in-memory caches, whose data only the main connection sees.
    private let reader: Mutex<Connection?>
    /// Answers being stored and not yet committed (see ``store(_:key:requestText:model:)``).
    private let pending = Mutex(Pending())
    /// A third connection that checkpoints the log off the store path (see ``checkpointIfDue(_:)``),
    /// locked only by the checkpoint itself.
    private let checkpointer: Mutex<Connection?>
    /// Whether there is a file (and a checkpointer) at all; in-memory caches have no log.
    private let canCheckpoint: Bool
    /// When the next checkpoint is due (the writer's queue never waits for a running checkpoint).
    private let checkpointState = Mutex(CheckpointState())

    private struct CheckpointState {
        /// Rows committed since the last checkpoint was started.
        var rowsSince = 0
        /// Whether a checkpoint is running now.
        var running = false
    }

    /// Rows between checkpoints (about 8 MB of log for survey-sized answers).
    let checkpointEvery: Int

    /// Whether a background checkpoint is running (for tests).
    var isCheckpointing: Bool { checkpointState.withLock(\.running) }

    private struct PendingRow: Sendable {
        var key: String
        var model: String
        var request: String
        var response: String
    }

    private struct Pending: Sendable {
        /// In store order; rows leave only once committed, so lookups always see them.
        var rows: [PendingRow] = []
    }

    static let migrations = [
        Migration(
            version: 1,
            sql: """
                CREATE TABLE responses (
                    key TEXT PRIMARY KEY,
                    model TEXT NOT NULL,
                    request TEXT NOT NULL,
                    response TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
    ]

    /// Opens (creating if needed) the cache at `location`.
    public convenience init(_ location: Connection.Location) throws(InferenceError) {
        try self.init(location, checkpointEvery: 4_000)
    }

    /// Opens the cache with a checkpoint every `checkpointEvery` committed rows.
    init(_ location: Connection.Location, checkpointEvery: Int) throws(InferenceError) {
        self.checkpointEvery = max(1, checkpointEvery)
        do {
            // No automatic checkpoints on the writer: a checkpoint syncs the file (tens of ms here)
            // and held every store of a burst behind it (the p99 call took 50 ms longer). The
            // checkpointer connection runs them in the background instead.
            database = try Database(
                location, migrations: Self.migrations, pragmas: ["PRAGMA wal_autocheckpoint = 0"])
        } catch {
            throw InferenceError(
                .cacheFailure,
                "cannot open the response cache: \(error). Choose another file with --cache PATH.",
                underlying: error)
        }
        var reader: Connection?
        if case .file(let path) = location, let connection = try? Connection(.file(path), readOnly: true) {
            // A lookup that would have to wait for a lock goes through the queue instead.
            connection.setBusyTimeout(milliseconds: 0)
            reader = connection
        }
        self.reader = Mutex(reader)
        var checkpointer: Connection?
        if case .file(let path) = location, let connection = try? Connection(.file(path)) {
            checkpointer = connection
        }
        self.canCheckpoint = checkpointer != nil
        self.checkpointer = Mutex(checkpointer)
    }

    /// Counts `rows` newly committed and, every ``checkpointEvery`` rows, starts a PASSIVE
    /// checkpoint on a background queue. In WAL mode a checkpoint runs beside the writer (it never
    /// takes the write lock), so stores do not wait for its sync; the log stays bounded.
    private func checkpointIfDue(_ rows: Int) {
        guard canCheckpoint else { return }
        let due = checkpointState.withLock { state -> Bool in
            state.rowsSince += rows
            guard !state.running, state.rowsSince >= checkpointEvery else { return false }
            state.running = true
            state.rowsSince = 0
            return true
        }
        guard due else { return }
        DispatchQueue.global(qos: .utility).async {
            self.checkpointer.withLock { connection in
                // A failed or partial checkpoint is harmless: the log is kept and tried again later.
                _ = try? connection?.query("PRAGMA wal_checkpoint(PASSIVE)")
            }
            self.checkpointState.withLock { $0.running = false }
        }
    }

    /// The cache key of `request` sent to the model named `identifier`.
    public static func key(for request: ChatRequest, model identifier: String) -> String {
        entry(for: request, model: identifier).key
    }

    /// The key and the canonical request text it hashes (computed once per call: it is the
    /// client's main CPU cost on a cache miss).
    public static func entry(for request: ChatRequest, model identifier: String) -> (key: String, request: String) {
        let text = CanonicalJSON.string(keyDocument(for: request, model: identifier))
        return (SHA256.hex(text), text)
    }

    static func keyDocument(for request: ChatRequest, model identifier: String) -> JSONValue {
        guard case .object(var body) = OpenAIWire.chatBody(request, model: identifier) else { return .null }
        body["sample_index"] = .integer(Int64(request.sampleIndex))
        return .object(body)
    }

    /// The stored answer for `key`, if any.
    ///
    /// Answers not yet written are served from memory. File caches are then read on the caller's
    /// thread through a read-only connection that never waits for a lock (WAL readers do not block
    /// on the writer; a point lookup takes microseconds): two hops through the database's queue per
    /// call were the largest delay of a run at 64 calls in flight. Anything unusual (a lock, an
    /// error) falls back to the queue.
    public func lookup(_ key: String) async throws(InferenceError) -> ChatResponse? {
        var text: String?
        var known = false
        if let row = pending.withLock({ $0.rows.last { $0.key == key } }) {
            text = row.response
            known = true
        } else {
            let quick: (known: Bool, text: String?) = reader.withLock { connection in
                guard let connection else { return (false, nil) }
                do {
                    let row = try connection.queryOne("SELECT response FROM responses WHERE key = ?", [.text(key)])
                    return (true, try row?.string("response"))
                } catch {
                    return (false, nil)
                }
            }
            (known, text) = quick
        }
        if !known {
            do {
                text = try await database.read { connection in
                    try connection.queryOne("SELECT response FROM responses WHERE key = ?", [.text(key)])?.string(
                        "response")
                }
            } catch {
                throw InferenceError(.cacheFailure, "cannot read the response cache: \(error)", underlying: error)
            }
        }
        guard let text else { return nil }
        guard let value = try? JSONValue.parse(text), let response = Self.decode(value) else {
            throw InferenceError(
                .cacheFailure,
                "the cache entry \(key.prefix(12))… is damaged; delete the cache file or use another --cache")
        }
        return response
    }

    /// Stores `response` under `key` (replacing an older answer).
    public func store(_ response: ChatResponse, key: String, request: ChatRequest, model identifier: String)
        async throws(InferenceError)
    {
        try await store(
            response, key: key, requestText: Self.entry(for: request, model: identifier).request,
            model: identifier)
    }

    /// Stores `response` under `key` with the canonical request text from ``entry(for:model:)``.
    ///
    /// Group commit: the row joins the pending rows and the first store to reach the database's
    /// queue writes them all in one transaction, so the 64 stores of a burst share a few
    /// transactions instead of paying one each. A store returns only once its row is committed
    /// (a run killed at any moment re-asks at most the calls in flight).
    public func store(_ response: ChatResponse, key: String, requestText: String, model identifier: String)
        async throws(InferenceError)
    {
        let responseText = CanonicalJSON.string(Self.encode(response))
        pending.withLock {
            $0.rows.append(PendingRow(key: key, model: identifier, request: requestText, response: responseText))
        }
        try await flush()
    }

    /// Waits until every answer stored so far is committed to the file.
    public func flush() async throws(InferenceError) {
        // Rows leave `pending` only once committed: empty means there is nothing to wait for.
        guard !pending.withLock({ $0.rows.isEmpty }) else { return }
        do {
            try await database.read { connection in try self.writePending(connection) }
        } catch {
            throw InferenceError(.cacheFailure, "cannot write the response cache: \(error)", underlying: error)
        }
    }

    /// Writes the pending rows in one transaction (on the database's queue), then drops them from
    /// memory; on failure they stay pending (the next store retries them).
    private func writePending(_ connection: Connection) throws {
        let rows = pending.withLock { $0.rows }
        guard !rows.isEmpty else { return }
        try connection.transaction {
            for row in rows {
                try connection.run(
                    "INSERT OR REPLACE INTO responses(key, model, request, response) VALUES (?, ?, ?, ?)",
                    [.text(row.key), .text(row.model), .text(row.request), .text(row.response)])
            }
        }
        // Only this queue removes rows and stores only append, so the first rows are these.
        pending.withLock { $0.rows.removeFirst(rows.count) }
        checkpointIfDue(rows.count)
    }

    /// Entries stored.
    public func count() async throws(InferenceError) -> Int {
        try await flush()
        do {
            return try await database.read { connection in
                Int(try connection.queryOne("SELECT count(*) AS n FROM responses")?.int("n") ?? 0)
            }
        } catch {
            throw InferenceError(.cacheFailure, "cannot read the response cache: \(error)", underlying: error)
        }
    }

    static func encode(_ response: ChatResponse) -> JSONValue {
        .object(
            JSONObject(
                [
                    ("content", .string(response.content)),
                    (
                        "tool_calls",
                        .array(
                            response.toolCalls.map {
                                .object(
                                    JSONObject([
                                        ("id", .string($0.id)), ("name", .string($0.name)),
                                        ("arguments", .string($0.arguments)),
                                    ]))
                            })
                    ),
                    ("finish_reason", .string(response.finishReason.rawValue)),
                    ("prompt_tokens", .integer(Int64(response.usage.promptTokens))),
                    ("completion_tokens", .integer(Int64(response.usage.completionTokens))),
                ]
                    + (response.usage.cachedPromptTokens > 0
                        ? [("cached_prompt_tokens", .integer(Int64(response.usage.cachedPromptTokens)))] : [])
                    + (response.fromBatch ? [("batch", .bool(true))] : [])))
    }

    static func decode(_ value: JSONValue) -> ChatResponse? {
        guard let content = value["content"]?.stringValue,
            let reason = value["finish_reason"]?.stringValue.flatMap(FinishReason.init(rawValue:))
        else { return nil }
        var calls: [ToolCall] = []
        for call in value["tool_calls"]?.arrayValue ?? [] {
            guard let id = call["id"]?.stringValue, let name = call["name"]?.stringValue,
                let arguments = call["arguments"]?.stringValue
            else { return nil }
            calls.append(ToolCall(id: id, name: name, arguments: arguments))
        }
        let usage = Usage(
            promptTokens: Int(value["prompt_tokens"]?.intValue ?? 0),
            completionTokens: Int(value["completion_tokens"]?.intValue ?? 0),
            cachedPromptTokens: Int(value["cached_prompt_tokens"]?.intValue ?? 0))
        return ChatResponse(
            content: content, toolCalls: calls, finishReason: reason, usage: usage, fromCache: true,
            fromBatch: value["batch"]?.boolValue ?? false)
    }
}
