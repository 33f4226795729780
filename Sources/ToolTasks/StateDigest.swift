import Foundation
import Runs
public import Storage

/// A table whose rows belong to the graded state, with the columns that identify a row.
public struct StateTable: Sendable, Hashable, Codable {
    /// The table name.
    public var name: String
    /// The primary-key columns (rows are ordered by them).
    public var primaryKey: [String]
    /// Columns holding JSON text, parsed and re-emitted canonically (document tables: `doc`).
    public var jsonColumns: [String]
    /// Whether the JSON columns are known to hold canonical text already (imported document tables, which
    /// only native tools write, always canonically): the digest then uses the text without re-parsing it.
    public var trustedCanonical: Bool

    /// Creates a state table description.
    public init(name: String, primaryKey: [String], jsonColumns: [String] = [], trustedCanonical: Bool = false) {
        self.name = name
        self.primaryKey = primaryKey
        self.jsonColumns = jsonColumns
        self.trustedCanonical = trustedCanonical
    }
}

/// The canonical digest of a domain state (spec §10.3): one SHA-256 over every state table, plus one per table.
public struct StateDigest: Sendable, Hashable, Codable {
    /// The whole-state digest (lowercase hex).
    public var hex: String
    /// Per-table digests, by table name in byte order.
    public var tables: [TableDigest]

    /// One table's digest and row count.
    public struct TableDigest: Sendable, Hashable, Codable {
        /// The table.
        public var name: String
        /// SHA-256 of `name + "\n" + concat(row + "\n")`.
        public var hex: String
        /// How many rows it has.
        public var rows: Int
    }
}

/// One row that differs between two states.
public struct RowChange: Sendable, Hashable, Codable {
    /// The table.
    public var table: String
    /// The primary key, as canonical JSON (a string for one column, an array for several).
    public var key: String
    /// `added`, `removed` or `changed`.
    public var kind: String
    /// Column-level before/after values (only the columns that differ).
    public var columns: [ColumnChange]
}

/// One column's before and after value in a ``RowChange``.
public struct ColumnChange: Sendable, Hashable, Codable {
    /// The column.
    public var column: String
    /// The value before (`nil` if the row was added).
    public var before: JSONValue?
    /// The value after (`nil` if the row was removed).
    public var after: JSONValue?
}

/// Canonical rows, digests and row-level diffs of the state tables of a SQLite database.
public enum StateSnapshot {
    /// A row in canonical form: its key text and its canonical JSON object.
    public struct CanonicalRow: Sendable, Hashable {
        /// The primary key as canonical JSON.
        public var key: String
        /// The row as a JSON object (column → value).
        public var value: JSONValue
        /// `CanonicalJSON.string(value)`.
        public var text: String
    }

    /// The canonical JSON of one SQLite value; `json` parses text as JSON (falls back to a string if it is not).
    public static func canonicalValue(_ value: SQLValue, json: Bool) -> JSONValue {
        switch value {
        case .null: return .null
        case .integer(let i): return .integer(i)
        case .real(let d): return .number(d)
        case .text(let s):
            if json, let parsed = try? JSONValue.parse(s) { return parsed }
            return .string(s)
        case .blob(let bytes): return .object(JSONObject([("$b64", .string(Data(bytes).base64EncodedString()))]))
        }
    }

    /// Every row of `table`, ordered by its primary key.
    public static func rows(_ connection: Connection, _ table: StateTable, filter: String? = nil) throws
        -> [CanonicalRow]
    {
        let order = table.primaryKey.map(quoteIdentifier).joined(separator: ", ")
        let sql =
            "SELECT * FROM \(quoteIdentifier(table.name))" + (filter.map { " WHERE " + $0 } ?? "")
            + (order.isEmpty ? "" : " ORDER BY \(order)")
        let jsonColumns = Set(table.jsonColumns)
        return try connection.query(sql).map { row in
            var object = JSONObject()
            for (index, column) in row.columns.enumerated() {
                object[column] = canonicalValue(row.values[index], json: jsonColumns.contains(column))
            }
            let keyParts = table.primaryKey.map { object[$0] ?? .null }
            let key = keyParts.count == 1 ? CanonicalJSON.string(keyParts[0]) : CanonicalJSON.string(.array(keyParts))
            let value = JSONValue.object(object)
            return CanonicalRow(key: key, value: value, text: CanonicalJSON.string(value))
        }
    }

    /// The canonical text of every row of `table`, ordered by its primary key (or only the rows `filter` selects).
    public static func rowTexts(_ connection: Connection, _ table: StateTable, filter: String? = nil) throws -> [String]
    {
        guard table.trustedCanonical else {
            return try rows(connection, table, filter: filter).map(\.text)
        }
        let order = table.primaryKey.map(quoteIdentifier).joined(separator: ", ")
        let sql =
            "SELECT * FROM \(quoteIdentifier(table.name))" + (filter.map { " WHERE " + $0 } ?? "")
            + (order.isEmpty ? "" : " ORDER BY \(order)")
        let jsonColumns = Set(table.jsonColumns)
        var out: [String] = []
        var sortedColumns: [(Int, String, String)]? = nil
        for row in try connection.query(sql) {
            if sortedColumns == nil {
                sortedColumns = row.columns.enumerated().map {
                    ($0.offset, $0.element, CanonicalJSON.string(.string($0.element)))
                }
                .sorted { Array($0.1.utf8).lexicographicallyPrecedes(Array($1.1.utf8)) }
            }
            var text = "{"
            for (n, (index, column, quoted)) in (sortedColumns ?? []).enumerated() {
                if n > 0 { text += "," }
                text += quoted
                text += ":"
                if jsonColumns.contains(column), case .text(let raw) = row.values[index] {
                    text += raw
                } else {
                    text += CanonicalJSON.string(canonicalValue(row.values[index], json: false))
                }
            }
            text += "}"
            out.append(text)
        }
        return out
    }

    /// The digest of the given tables (visited in byte order of their names).
    public static func digest(_ connection: Connection, tables: [StateTable]) throws -> StateDigest {
        var whole = SHA256()
        var perTable: [StateDigest.TableDigest] = []
        for table in tables.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
            var part = SHA256()
            let header = table.name + "\n"
            whole.update(header)
            part.update(header)
            let texts = try rowTexts(connection, table)
            var chunk = ""
            chunk.reserveCapacity(1 << 16)
            for text in texts {
                chunk += text
                chunk += "\n"
                if chunk.utf8.count >= 1 << 16 {
                    whole.update(chunk)
                    part.update(chunk)
                    chunk = ""
                }
            }
            whole.update(chunk)
            part.update(chunk)
            perTable.append(.init(name: table.name, hex: SHA256.hex(part.finalize()), rows: texts.count))
        }
        return StateDigest(hex: SHA256.hex(whole.finalize()), tables: perTable)
    }

    /// The rows that differ from `before` to `after`, table by table (byte order), key by key.
    /// With `touched` (per table, SQL literals of the keys either side changed), only those rows are compared.
    public static func diff(
        before: Connection, after: Connection, tables: [StateTable], touched: [String: [String]]? = nil
    ) throws -> [RowChange] {
        var changes: [RowChange] = []
        for table in tables.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
            var filter: String? = nil
            if let touched {
                let keys = touched[table.name] ?? []
                if keys.isEmpty { continue }
                filter = keyFilter(table, keys)
            }
            let a = try rows(before, table, filter: filter)
            let b = try rows(after, table, filter: filter)
            changes += diffRows(table: table.name, a, b)
        }
        return changes
    }

    /// A WHERE clause selecting rows by key literals (as `_agora_touched` stores them: SQLite `quote()` output).
    static func keyFilter(_ table: StateTable, _ literals: [String]) -> String {
        let columns = table.primaryKey.map(quoteIdentifier)
        if columns.count == 1 { return "\(columns[0]) IN (\(literals.joined(separator: ", ")))" }
        return literals.map { "(" + $0 + ")" }.joined(separator: " OR ")
    }

    /// The differences between two canonical row lists of one table.
    public static func diffRows(table: String, _ a: [CanonicalRow], _ b: [CanonicalRow]) -> [RowChange] {
        var byKeyA: [String: CanonicalRow] = [:]
        for row in a { byKeyA[row.key] = row }
        var byKeyB: [String: CanonicalRow] = [:]
        for row in b { byKeyB[row.key] = row }
        var keys = a.map(\.key)
        for row in b where byKeyA[row.key] == nil { keys.append(row.key) }
        keys.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var changes: [RowChange] = []
        for key in keys {
            let old = byKeyA[key]
            let new = byKeyB[key]
            if let old, let new, old.text == new.text { continue }
            let oldObject = old?.value.objectValue ?? JSONObject()
            let newObject = new?.value.objectValue ?? JSONObject()
            var columns = oldObject.keys
            for column in newObject.keys where oldObject[column] == nil { columns.append(column) }
            columns.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            var columnChanges: [ColumnChange] = []
            for column in columns {
                let x = oldObject[column]
                let y = newObject[column]
                if let x, let y, CanonicalJSON.string(x) == CanonicalJSON.string(y) { continue }
                columnChanges.append(
                    ColumnChange(column: column, before: old == nil ? nil : x, after: new == nil ? nil : y))
            }
            let kind = old == nil ? "added" : (new == nil ? "removed" : "changed")
            changes.append(RowChange(table: table, key: key, kind: kind, columns: columnChanges))
        }
        return changes
    }

    /// The SQL expression a trigger uses to record a row's key (`quote(pk)`, or `"a" = quote(a) AND …`).
    static func keyExpression(_ table: StateTable, _ alias: String) -> String {
        if table.primaryKey.count == 1 { return "quote(\(alias).\(quoteIdentifier(table.primaryKey[0])))" }
        return table.primaryKey.map { column in
            "'" + quoteIdentifier(column).replacingOccurrences(of: "'", with: "''")
                + " = ' || quote(\(alias).\(quoteIdentifier(column)))"
        }.joined(separator: " || ' AND ' || ")
    }

    /// SQL that creates `_agora_touched` and the triggers recording every changed key of the state tables.
    static func touchTriggers(_ tables: [StateTable]) -> String {
        var sql =
            "CREATE TABLE IF NOT EXISTS _agora_touched(tbl TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY(tbl, key));\n"
        for (i, table) in tables.enumerated() {
            let name = quoteIdentifier(table.name)
            let literal = "'" + table.name.replacingOccurrences(of: "'", with: "''") + "'"
            // `WHERE NOT EXISTS` rather than `OR IGNORE`: an outer UPSERT's conflict clause overrides a trigger's.
            func record(_ alias: String) -> String {
                let key = keyExpression(table, alias)
                return
                    "INSERT INTO _agora_touched(tbl, key) SELECT \(literal), \(key) WHERE NOT EXISTS (SELECT 1 FROM _agora_touched WHERE tbl = \(literal) AND key = \(key));"
            }
            sql += "CREATE TRIGGER _agora_touch_i\(i) AFTER INSERT ON \(name) BEGIN \(record("NEW")) END;\n"
            sql += "CREATE TRIGGER _agora_touch_d\(i) AFTER DELETE ON \(name) BEGIN \(record("OLD")) END;\n"
            sql +=
                "CREATE TRIGGER _agora_touch_u\(i) AFTER UPDATE ON \(name) BEGIN \(record("OLD")) \(record("NEW")) END;\n"
        }
        return sql
    }

    /// `"name"` with embedded quotes doubled.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
