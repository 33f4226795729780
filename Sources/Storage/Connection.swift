import CSQLite

/// A synchronous SQLite connection (the system libsqlite3).
///
/// Files are opened in WAL mode; every connection has a 5 s busy timeout and foreign keys on.
/// Values are always bound as parameters, never spliced into SQL. A connection is not thread-safe:
/// use it from one thread at a time, or through a ``Database`` actor, which runs it on its own queue.
///
/// ```swift
/// let connection = try Connection(.memory)
/// try connection.execute("CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
/// try connection.run("INSERT INTO person(name) VALUES (?)", [.text("Ada")])
/// let rows = try connection.query("SELECT name FROM person WHERE id = ?", [.integer(1)])
/// ```
public final class Connection {
    /// Where the database lives.
    public enum Location: Sendable, Hashable {
        /// A private in-memory database, gone when the connection closes.
        case memory
        /// A file at this path, created if missing (unless read-only).
        case file(String)
    }

    /// How many prepared statements ``run(_:_:)``, ``query(_:_:)`` and ``queryOne(_:_:)`` keep for reuse.
    static let statementCacheCapacity = 64

    let handle: SQLiteHandle
    /// Where this connection's database lives.
    public let location: Location
    /// Whether the connection was opened read-only.
    public let isReadOnly: Bool
    private var statementCache: [String: (statement: Statement, lastUse: UInt64)] = [:]
    private var useClock: UInt64 = 0
    private var savepointCounter = 0
    /// The sandbox policy the authorizer reads (``sandbox(_:)``); kept alive with the connection.
    var sandboxBox: SandboxBox?

    /// Opens (or creates) a database; files are switched to WAL, foreign keys are enforced and
    /// locked databases are retried for up to 5 seconds.
    public init(_ location: Location, readOnly: Bool = false) throws(StorageError) {
        let path: String
        switch location {
        case .memory: path = ":memory:"
        case .file(let file): path = file
        }
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var pointer: OpaquePointer?
        let result = sqlite3_open_v2(path, &pointer, flags, nil)
        guard let pointer else {
            throw StorageError(
                code: .openFailed, message: "cannot open database at \(path): out of memory", sqliteCode: result)
        }
        // From here the handle closes the database on every exit path.
        let handle = SQLiteHandle(pointer)
        guard result == SQLITE_OK else {
            var error = handle.error(result, sql: nil, context: "cannot open database at \(path)")
            error.code = .openFailed
            throw error
        }
        self.handle = handle
        self.location = location
        self.isReadOnly = readOnly
        sqlite3_extended_result_codes(pointer, 1)
        sqlite3_busy_timeout(pointer, 5000)
        do throws(StorageError) {
            try execute("PRAGMA foreign_keys = ON")
            if case .file = location, !readOnly {
                let mode = try queryOne("PRAGMA journal_mode = WAL")?.optionalString("journal_mode")
                guard mode?.lowercased() == "wal" else {
                    throw StorageError(
                        code: .openFailed,
                        message: "cannot switch \(path) to WAL mode (journal mode is \(mode ?? "unknown"))")
                }
                // NORMAL is durable across application crashes in WAL mode and much faster than FULL.
                try execute("PRAGMA synchronous = NORMAL")
            }
        } catch {
            throw StorageError(
                code: .openFailed, message: "cannot configure database at \(path): \(error.message)",
                sqliteCode: error.sqliteCode, underlying: error)
        }
    }

    // MARK: Running SQL

    /// Runs one or more statements that take no values (DDL, PRAGMAs, scripts).
    public func execute(_ sql: String) throws(StorageError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle.pointer, sql, nil, nil, &errorMessage)
        guard result == SQLITE_OK else {
            var error = handle.error(result, sql: sql)
            if let errorMessage {
                error.message = String(cString: errorMessage)
            }
            sqlite3_free(errorMessage)
            throw error
        }
    }

    /// Runs one statement with bound values, discarding any rows.
    public func run(_ sql: String, _ bindings: [SQLValue] = []) throws(StorageError) {
        try cachedStatement(sql).run(bindings)
    }

    /// Runs one statement with bound values and returns all its rows.
    public func query(_ sql: String, _ bindings: [SQLValue] = []) throws(StorageError) -> [Row] {
        try cachedStatement(sql).query(bindings)
    }

    /// Runs one statement with bound values and returns its first row, if any.
    public func queryOne(_ sql: String, _ bindings: [SQLValue] = []) throws(StorageError) -> Row? {
        let statement = try cachedStatement(sql)
        try statement.bind(bindings)
        defer { statement.reset() }
        return try statement.step()
    }

    /// Prepares one statement for repeated use (bind, step, reset). Not cached: the caller owns it.
    public func prepare(_ sql: String) throws(StorageError) -> Statement {
        var pointer: OpaquePointer?
        var tailOffset = 0
        let result = sql.utf8CString.withUnsafeBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return SQLITE_MISUSE }
            var tail: UnsafePointer<CChar>?
            let result = sqlite3_prepare_v2(handle.pointer, base, Int32(buffer.count), &pointer, &tail)
            if let tail { tailOffset = base.distance(to: tail) }
            return result
        }
        guard result == SQLITE_OK else {
            throw handle.error(result, sql: sql)
        }
        guard let pointer else {
            throw StorageError(code: .misuse, message: "the SQL holds no statement", sql: sql)
        }
        let statement = Statement(handle: handle, pointer: pointer, sql: sql)
        let rest = sql.utf8.dropFirst(tailOffset)
        if rest.contains(where: { !Self.isWhitespaceOrSemicolon($0) }) {
            // Only comments may follow; anything SQLite can prepare is a second statement.
            var extra: OpaquePointer?
            let restText = String(decoding: rest, as: UTF8.self)
            let extraResult = sqlite3_prepare_v2(handle.pointer, restText, -1, &extra, nil)
            sqlite3_finalize(extra)
            if extraResult != SQLITE_OK || extra != nil {
                throw StorageError(
                    code: .misuse,
                    message: "run, query and prepare take exactly one statement; use execute for scripts", sql: sql)
            }
        }
        return statement
    }

    private static func isWhitespaceOrSemicolon(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C || byte == UInt8(ascii: ";")
            || byte == 0
    }

    /// Drops the cached statements (they were authorized under the previous policy).
    func statementCacheReset() {
        statementCache.removeAll()
    }

    private func cachedStatement(_ sql: String) throws(StorageError) -> Statement {
        useClock &+= 1
        if let entry = statementCache[sql] {
            statementCache[sql] = (entry.statement, useClock)
            return entry.statement
        }
        let statement = try prepare(sql)
        if statementCache.count >= Self.statementCacheCapacity,
            let oldest = statementCache.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
        {
            statementCache[oldest] = nil
        }
        statementCache[sql] = (statement, useClock)
        return statement
    }

    /// How long a statement waits for a lock held by another connection before failing with
    /// `SQLITE_BUSY` (5 s when opened; 0 fails at once).
    public func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle.pointer, milliseconds)
    }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        sqlite3_last_insert_rowid(handle.pointer)
    }

    /// The number of rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int {
        Int(sqlite3_changes64(handle.pointer))
    }

    /// Whether a transaction is open.
    public var isInTransaction: Bool {
        sqlite3_get_autocommit(handle.pointer) == 0
    }

    // MARK: Transactions

    /// Runs `body` in a transaction: `BEGIN IMMEDIATE`, then `COMMIT`, or `ROLLBACK` if `body` throws
    /// (the error is rethrown unchanged).
    ///
    /// Inside an open transaction this nests as a savepoint, so helpers that need atomicity can
    /// call it whether or not their caller already opened one.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction {
            savepointCounter += 1
            defer { savepointCounter -= 1 }
            return try savepoint("agora_transaction_\(savepointCounter)", body)
        }
        try execute("BEGIN IMMEDIATE")
        let value: T
        do {
            value = try body()
        } catch {
            rollbackIfOpen()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackIfOpen()
            throw error
        }
        return value
    }

    private func rollbackIfOpen() {
        // SQLite may already have rolled back on its own (I/O errors, SQLITE_FULL…).
        if isInTransaction {
            try? execute("ROLLBACK")
        }
    }

    /// Runs `body` inside `SAVEPOINT name`: `RELEASE` on success; `ROLLBACK TO` and `RELEASE` if it
    /// throws (the error is rethrown unchanged). Savepoints nest; `name` must match `[A-Za-z_][A-Za-z0-9_]*`.
    public func savepoint<T>(_ name: String, _ body: () throws -> T) throws -> T {
        guard Self.isIdentifier(name) else {
            throw StorageError(
                code: .invalidName,
                message: "savepoint name \(name.debugDescription) must match [A-Za-z_][A-Za-z0-9_]*")
        }
        let quoted = "\"\(name)\""
        try execute("SAVEPOINT \(quoted)")
        let value: T
        do {
            value = try body()
        } catch {
            // If SQLite already rolled the whole transaction back, the savepoint is gone: nothing to undo.
            try? execute("ROLLBACK TO \(quoted)")
            try? execute("RELEASE \(quoted)")
            throw error
        }
        do {
            try execute("RELEASE \(quoted)")
        } catch {
            try? execute("ROLLBACK TO \(quoted)")
            try? execute("RELEASE \(quoted)")
            throw error
        }
        return value
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, isIdentifierHead(first) else { return false }
        return name.utf8.dropFirst().allSatisfy { isIdentifierHead($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    private static func isIdentifierHead(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_")
    }

    // MARK: Migrations

    /// The schema version (`PRAGMA user_version`).
    public func userVersion() throws(StorageError) -> Int {
        Int(try queryOne("PRAGMA user_version")?.int("user_version") ?? 0)
    }

    /// Brings the schema up to the newest migration: each migration whose version is above
    /// `PRAGMA user_version` runs in its own transaction, in version order, and sets the version.
    ///
    /// Applying the same list again does nothing. A database whose version is newer than every
    /// migration is refused with ``StorageError/Code-swift.struct/schemaTooNew`` (it was written by a
    /// newer program). An empty list does nothing. Versions must be positive and distinct.
    public func migrate(_ migrations: [Migration]) throws(StorageError) {
        guard !migrations.isEmpty else { return }
        let sorted = migrations.sorted { $0.version < $1.version }
        for (index, migration) in sorted.enumerated() {
            guard migration.version > 0, index == 0 || sorted[index - 1].version != migration.version else {
                throw StorageError(
                    code: .migrationFailed,
                    message: "migration versions must be positive and distinct; found \(migration.version) twice or ≤ 0"
                )
            }
        }
        let current = try userVersion()
        let newest = sorted[sorted.count - 1].version
        guard current <= newest else {
            throw StorageError(
                code: .schemaTooNew,
                message: "the database has schema version \(current) but this program knows versions up to \(newest); "
                    + "use a newer build")
        }
        for migration in sorted where migration.version > current {
            do {
                try transaction {
                    try execute(migration.sql)
                    // PRAGMA takes no parameters; the version is an Int, so splicing it is safe.
                    try execute("PRAGMA user_version = \(migration.version)")
                }
            } catch {
                let storageError = error as? StorageError
                throw StorageError(
                    code: .migrationFailed,
                    message: "migration to version \(migration.version) failed: \(storageError?.message ?? "\(error)")",
                    sqliteCode: storageError?.sqliteCode, sql: migration.sql, underlying: storageError)
            }
        }
    }

    // MARK: Backup

    /// Copies this whole database into `other` with SQLite's online backup API, replacing its content.
    public func backup(to other: Connection) throws(StorageError) {
        guard let backup = sqlite3_backup_init(other.handle.pointer, "main", handle.pointer, "main") else {
            var error = other.handle.error(
                sqlite3_errcode(other.handle.pointer), sql: nil, context: "cannot start backup")
            error.code = .backupFailed
            throw error
        }
        var result: Int32
        var retries = 0
        repeat {
            result = sqlite3_backup_step(backup, -1)
            if result == SQLITE_BUSY || result == SQLITE_LOCKED {
                retries += 1
                sqlite3_sleep(10)
            }
        } while (result == SQLITE_OK || result == SQLITE_BUSY || result == SQLITE_LOCKED) && retries < 500
        let finish = sqlite3_backup_finish(backup)
        guard result == SQLITE_DONE, finish == SQLITE_OK else {
            let code = result == SQLITE_DONE ? finish : result
            var error = other.handle.error(code, sql: nil, context: "backup failed")
            error.code = .backupFailed
            throw error
        }
    }
}
