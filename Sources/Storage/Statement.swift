import CSQLite

/// SQLite copies text and blobs bound with this destructor before `sqlite3_bind_*` returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Owns an open `sqlite3*`; closed when the connection and every statement using it are gone.
///
/// Statements hold this handle rather than their ``Connection``, so the connection's statement cache
/// creates no reference cycle; `sqlite3_close_v2` tolerates statements outliving a close.
final class SQLiteHandle {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        sqlite3_close_v2(pointer)
    }

    /// An error from the connection's last failure, classified by its primary result code.
    func error(_ resultCode: Int32, sql: String?, context: String? = nil) -> StorageError {
        let sqliteMessage = String(cString: sqlite3_errmsg(pointer))
        let code: StorageError.Code
        switch resultCode & 0xFF {
        case SQLITE_CONSTRAINT: code = .constraint
        case SQLITE_BUSY, SQLITE_LOCKED: code = .busy
        case SQLITE_READONLY: code = .readOnly
        case SQLITE_MISUSE: code = .misuse
        default: code = .sqlError
        }
        let message = context.map { "\($0): \(sqliteMessage)" } ?? sqliteMessage
        return StorageError(code: code, message: message, sqliteCode: resultCode, sql: sql)
    }
}

/// A prepared statement: bind values, step through rows, reset, and reuse.
///
/// Values are always bound, never spliced into SQL. Not thread-safe: use it on its connection's thread.
public final class Statement {
    /// The SQL the statement was prepared from.
    public let sql: String
    let handle: SQLiteHandle
    let pointer: OpaquePointer
    /// Column names, read once.
    public let columnNames: [String]

    init(handle: SQLiteHandle, pointer: OpaquePointer, sql: String) {
        self.handle = handle
        self.pointer = pointer
        self.sql = sql
        let count = sqlite3_column_count(pointer)
        columnNames = (0..<count).map { index in
            sqlite3_column_name(pointer, index).map { String(cString: $0) } ?? ""
        }
    }

    deinit {
        sqlite3_finalize(pointer)
    }

    /// The number of `?` parameters.
    public var parameterCount: Int {
        Int(sqlite3_bind_parameter_count(pointer))
    }

    /// Resets the statement and binds `values` to its parameters, in order.
    public func bind(_ values: [SQLValue]) throws(StorageError) {
        reset()
        sqlite3_clear_bindings(pointer)
        guard values.count == parameterCount else {
            throw StorageError(
                code: .misuse,
                message: "the statement has \(parameterCount) parameters but \(values.count) values were bound",
                sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .null:
                result = sqlite3_bind_null(pointer, index)
            case .integer(let integer):
                result = sqlite3_bind_int64(pointer, index, integer)
            case .real(let real):
                result = sqlite3_bind_double(pointer, index, real)
            case .text(let text):
                var text = text
                result = text.withUTF8 { bytes in
                    // An empty buffer may have no address, and a NULL pointer would bind NULL, not "".
                    guard let base = bytes.baseAddress, !bytes.isEmpty else {
                        return sqlite3_bind_text(pointer, index, "", 0, sqliteTransient)
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        sqlite3_bind_text(pointer, index, $0, Int32(bytes.count), sqliteTransient)
                    }
                }
            case .blob(let bytes):
                result = bytes.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress, !raw.isEmpty else {
                        return sqlite3_bind_zeroblob(pointer, index, 0)
                    }
                    return sqlite3_bind_blob(pointer, index, base, Int32(raw.count), sqliteTransient)
                }
            }
            guard result == SQLITE_OK else {
                throw handle.error(result, sql: sql, context: "binding parameter \(index)")
            }
        }
    }

    /// Advances to the next row; returns it, or `nil` when the statement is done.
    public func step() throws(StorageError) -> Row? {
        let result = sqlite3_step(pointer)
        switch result {
        case SQLITE_ROW:
            return currentRow()
        case SQLITE_DONE:
            return nil
        default:
            let error = handle.error(result, sql: sql)
            sqlite3_reset(pointer)
            throw error
        }
    }

    /// Resets the statement so it can run again; bindings are kept.
    public func reset() {
        sqlite3_reset(pointer)
    }

    /// Binds `bindings`, runs the statement to completion and resets it.
    public func run(_ bindings: [SQLValue] = []) throws(StorageError) {
        try bind(bindings)
        defer { reset() }
        while try step() != nil {}
    }

    /// Binds `bindings`, returns every row and resets the statement.
    public func query(_ bindings: [SQLValue] = []) throws(StorageError) -> [Row] {
        try bind(bindings)
        defer { reset() }
        var rows: [Row] = []
        while let row = try step() {
            rows.append(row)
        }
        return rows
    }

    private func currentRow() -> Row {
        var values: [SQLValue] = []
        values.reserveCapacity(columnNames.count)
        for column in 0..<Int32(columnNames.count) {
            values.append(columnValue(column))
        }
        return Row(columns: columnNames, values: values)
    }

    private func columnValue(_ column: Int32) -> SQLValue {
        switch sqlite3_column_type(pointer, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(pointer, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(pointer, column))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(pointer, column) else { return .text("") }
            let count = Int(sqlite3_column_bytes(pointer, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            guard let bytes = sqlite3_column_blob(pointer, column) else { return .blob([]) }
            let count = Int(sqlite3_column_bytes(pointer, column))
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }
}
