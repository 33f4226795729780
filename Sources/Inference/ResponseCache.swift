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
    /// Rows handed to ``store(_:key:requestText:model:)`` and not yet written. Each store writes
    /// every pending row in one transaction, so the 64 stores of a burst share a few transactions
    /// (group commit) instead of paying one each; a store still returns only once its row is
    /// committed.
    private let pending = Mutex<[PendingRow]>([])

    private struct PendingRow: Sendable {
        var key: String
        var model: String
        var request: String
        var response: String
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
    public init(_ location: Connection.Location) throws(InferenceError) {
        do {
            database = try Database(location, migrations: Self.migrations)
        } catch {
            throw InferenceError(
                .cacheFailure,
                "cannot open the response cache: \(error). Choose another file with --cache PATH.",
                underlying: error)
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
    public func lookup(_ key: String) async throws(InferenceError) -> ChatResponse? {
        let text: String?
        do {
            text = try await database.read { connection in
                try connection.queryOne("SELECT response FROM responses WHERE key = ?", [.text(key)])?.string(
                    "response")
            }
        } catch {
            throw InferenceError(.cacheFailure, "cannot read the response cache: \(error)", underlying: error)
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
        try await store(response, key: key, requestText: Self.entry(for: request, model: identifier).request,
                        model: identifier)
    }

    /// Stores `response` under `key` with the canonical request text from ``entry(for:model:)``.
    public func store(_ response: ChatResponse, key: String, requestText: String, model identifier: String)
        async throws(InferenceError)
    {
        let responseText = CanonicalJSON.string(Self.encode(response))
        pending.withLock {
            $0.append(PendingRow(key: key, model: identifier, request: requestText, response: responseText))
        }
        do {
            // Runs on the database's queue after every earlier store's job: if one of them took this
            // row, it is committed by now and there may be nothing left to write.
            try await database.read { connection in try self.writePending(connection) }
        } catch {
            throw InferenceError(.cacheFailure, "cannot write the response cache: \(error)", underlying: error)
        }
    }

    /// Writes every pending row in one transaction; on failure the rows go back to be retried by
    /// the next store (whose row may be among them) and the error is thrown.
    private func writePending(_ connection: Connection) throws {
        let rows = pending.withLock { rows -> [PendingRow] in
            defer { rows.removeAll() }
            return rows
        }
        guard !rows.isEmpty else { return }
        do {
            try connection.transaction {
                for row in rows {
                    try connection.run(
                        "INSERT OR REPLACE INTO responses(key, model, request, response) VALUES (?, ?, ?, ?)",
                        [.text(row.key), .text(row.model), .text(row.request), .text(row.response)])
                }
            }
        } catch {
            pending.withLock { $0.insert(contentsOf: rows, at: 0) }
            throw error
        }
    }

    /// Entries stored.
    public func count() async throws(InferenceError) -> Int {
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
            JSONObject([
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
            ]))
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
            completionTokens: Int(value["completion_tokens"]?.intValue ?? 0))
        return ChatResponse(content: content, toolCalls: calls, finishReason: reason, usage: usage, fromCache: true)
    }
}
