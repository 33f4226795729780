/// Something went wrong in Storage: opening, preparing, running or migrating a database, or reading a row.
///
/// The message carries SQLite's own message and, in ``sql``, the first 200 characters of the statement;
/// bound values are never included, so errors are safe to log.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; compare against the static members, new ones may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A stable identifier such as `"constraint"`.
        public let rawValue: String

        /// Creates a code from its identifier.
        public init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The identifier.
        public var description: String { rawValue }

        /// The database file could not be opened or configured.
        public static let openFailed = Code("openFailed")
        /// SQLite rejected or failed a statement (syntax, missing table, I/O…); see ``StorageError/sqliteCode``.
        public static let sqlError = Code("sqlError")
        /// A UNIQUE, NOT NULL, CHECK, PRIMARY KEY or FOREIGN KEY constraint failed.
        public static let constraint = Code("constraint")
        /// The database stayed locked by another connection beyond the busy timeout.
        public static let busy = Code("busy")
        /// A write was attempted on a read-only database.
        public static let readOnly = Code("readOnly")
        /// The API was used in a way it does not support (several statements in `run`, wrong number of bindings…).
        public static let misuse = Code("misuse")
        /// A row has no column of the requested name.
        public static let columnNotFound = Code("columnNotFound")
        /// A column holds a value of another type than the one requested.
        public static let typeMismatch = Code("typeMismatch")
        /// A savepoint name is not an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
        public static let invalidName = Code("invalidName")
        /// A migration failed or the migration list is malformed; the database keeps its previous version.
        public static let migrationFailed = Code("migrationFailed")
        /// The database's schema version is newer than any migration this program knows.
        public static let schemaTooNew = Code("schemaTooNew")
        /// Copying a database with the backup API failed.
        public static let backupFailed = Code("backupFailed")
    }

    /// The kind of failure.
    public var code: Code
    /// What happened and, where it helps, what to do.
    public var message: String
    /// SQLite's (extended) result code, when SQLite reported the failure; `sqliteCode & 0xFF` is the primary code.
    public var sqliteCode: Int32?
    /// The first 200 characters of the SQL involved, if any (never the bound values).
    public var sql: String?
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        code: Code, message: String, sqliteCode: Int32? = nil, sql: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
        self.sql = sql.map { String($0.prefix(200)) }
        self.underlying = underlying
    }

    /// The code, the message, SQLite's code and the SQL, on one line.
    public var description: String {
        var text = "StorageError.\(code): \(message)"
        if let sqliteCode { text += " [SQLite code \(sqliteCode)]" }
        if let sql { text += " in SQL: \(sql)" }
        if let underlying { text += " (underlying: \(underlying))" }
        return text
    }
}
