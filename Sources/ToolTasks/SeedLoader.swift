import Runs
import Storage

/// Inserts seed rows, checking columns and types against the table's declaration.
enum SeedLoader {
    static func insert(_ row: JSONValue, into table: String, connection: Connection, replace: Bool) throws {
        guard case .object(let object) = row else { throw RunError(.invalidInput, "a row must be a JSON object") }
        let info = try connection.query("PRAGMA table_info(\(StateSnapshot.quoteIdentifier(table)))")
        guard !info.isEmpty else { throw RunError(.invalidInput, "unknown table \(table)") }
        var types: [String: String] = [:]
        for column in info {
            types[(try? column.string("name")) ?? ""] = ((try? column.string("type")) ?? "").uppercased()
        }
        var columns: [String] = []
        var values: [SQLValue] = []
        for (column, value) in object {
            guard let type = types[column] else {
                throw RunError(.invalidInput, "column \(column) does not exist in table \(table)", path: column)
            }
            let sqlValue: SQLValue
            switch value {
            case .null: sqlValue = .null
            case .bool(let b): sqlValue = .integer(b ? 1 : 0)
            case .integer(let i): sqlValue = type.contains("TEXT") ? .text(String(i)) : .integer(i)
            case .number(let d):
                if type.contains("INT") {
                    guard d == d.rounded(), let i = Int64(exactly: d) else {
                        throw RunError(.invalidInput, "column \(column) is \(type) but the value is \(d)", path: column)
                    }
                    sqlValue = .integer(i)
                } else {
                    sqlValue = .real(d)
                }
            case .string(let s):
                if type.contains("INT") || type.contains("REAL") {
                    throw RunError(
                        .invalidInput, "column \(column) is \(type) but the value is the string \(s.debugDescription)",
                        path: column)
                }
                sqlValue = .text(s)
            case .array, .object: sqlValue = .text(CanonicalJSON.string(value))
            }
            columns.append(StateSnapshot.quoteIdentifier(column))
            values.append(sqlValue)
        }
        let verb = replace ? "INSERT OR REPLACE" : "INSERT"
        let sql =
            "\(verb) INTO \(StateSnapshot.quoteIdentifier(table))(\(columns.joined(separator: ", "))) VALUES(\(Array(repeating: "?", count: values.count).joined(separator: ", ")))"
        do { try connection.run(sql, values) } catch {
            throw RunError(.invalidInput, "the row violates the schema of \(table): \(error.message)")
        }
    }
}
