/// One result row: column names and values, in the order of the SELECT.
public struct Row: Sendable, Hashable {
    /// The column names, as SQLite reports them (the alias if the SELECT gives one).
    public var columns: [String]
    /// The values, one per column.
    public var values: [SQLValue]

    /// Creates a row.
    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of the first column named `name`, or `.null` if there is none.
    public subscript(_ name: String) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    /// The value at `index`, or `.null` if out of range.
    public subscript(_ index: Int) -> SQLValue {
        values.indices.contains(index) ? values[index] : .null
    }

    /// The integer in column `name`.
    public func int(_ name: String) throws(StorageError) -> Int64 {
        switch try value(name) {
        case .integer(let value): return value
        case let other: throw mismatch(name, expected: "an integer", found: other)
        }
    }

    /// The number in column `name` (a real, or an integer converted to `Double`).
    public func double(_ name: String) throws(StorageError) -> Double {
        switch try value(name) {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        case let other: throw mismatch(name, expected: "a number", found: other)
        }
    }

    /// The text in column `name`.
    public func string(_ name: String) throws(StorageError) -> String {
        switch try value(name) {
        case .text(let value): return value
        case let other: throw mismatch(name, expected: "text", found: other)
        }
    }

    /// The text in column `name`, or `nil` if the column is missing, NULL or not text.
    public func optionalString(_ name: String) -> String? {
        if case .text(let value) = self[name] { return value }
        return nil
    }

    /// The bytes in column `name`.
    public func blob(_ name: String) throws(StorageError) -> [UInt8] {
        switch try value(name) {
        case .blob(let value): return value
        case let other: throw mismatch(name, expected: "a blob", found: other)
        }
    }

    /// The Boolean in column `name`: an integer, `0` being `false` and anything else `true`.
    public func bool(_ name: String) throws(StorageError) -> Bool {
        switch try value(name) {
        case .integer(let value): return value != 0
        case let other: throw mismatch(name, expected: "an integer Boolean", found: other)
        }
    }

    private func value(_ name: String) throws(StorageError) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else {
            throw StorageError(
                code: .columnNotFound,
                message: "no column '\(name)' in the row; columns are \(columns.joined(separator: ", "))")
        }
        return values[index]
    }

    private func mismatch(_ name: String, expected: String, found: SQLValue) -> StorageError {
        let kind: String
        switch found {
        case .null: kind = "NULL"
        case .integer: kind = "an integer"
        case .real: kind = "a real"
        case .text: kind = "text"
        case .blob: kind = "a blob"
        }
        return StorageError(code: .typeMismatch, message: "column '\(name)' holds \(kind), expected \(expected)")
    }
}

/// A numbered schema change, applied once in order by ``Connection/migrate(_:)``.
public struct Migration: Sendable, Hashable {
    /// The schema version the database has after this migration (`PRAGMA user_version`); positive.
    public var version: Int
    /// The SQL to run, one or more statements.
    public var sql: String

    /// Creates a migration to `version`.
    public init(version: Int, sql: String) {
        self.version = version
        self.sql = sql
    }
}
