import Foundation
import Runs
public import Storage

/// Runs ``SQLToolTemplate``s: named `:arguments` are bound as parameters, never spliced into SQL text.
enum SQLToolRunner {
    static func run(_ template: SQLToolTemplate, arguments: JSONObject, context: ToolContext) throws -> JSONValue {
        var generated: [String: String] = [:]
        func value(_ name: String) throws -> SQLValue {
            if name == "now" { return .text(context.clock) }
            if name.hasPrefix("next_") {
                let generator = String(name.dropFirst(5))
                if let id = generated[generator] { return .text(id) }
                let id = try context.nextID(generator)
                generated[generator] = id
                return .text(id)
            }
            guard let argument = arguments[name] else { return .null }
            switch argument {
            case .null: return .null
            case .bool(let b): return .integer(b ? 1 : 0)
            case .integer(let i): return .integer(i)
            case .number(let d): return d == d.rounded() && abs(d) < 9e15 ? .integer(Int64(d)) : .real(d)
            case .string(let s): return .text(s)
            case .array, .object: return .text(CanonicalJSON.string(argument))
            }
        }
        func bind(_ sql: String) throws -> (String, [SQLValue]) {
            let (text, names) = rewrite(sql)
            return (text, try names.map(value))
        }
        func substitute(_ text: String) throws -> String {
            var out = ""
            var i = text.startIndex
            while i < text.endIndex {
                if text[i] == ":", let next = text.index(i, offsetBy: 1, limitedBy: text.endIndex),
                    next < text.endIndex,
                    text[next].isLetter || text[next] == "_"
                {
                    var j = next
                    while j < text.endIndex, text[j].isLetter || text[j].isNumber || text[j] == "_" {
                        j = text.index(after: j)
                    }
                    let name = String(text[next..<j])
                    switch try value(name) {
                    case .text(let s): out += s
                    case .integer(let n): out += String(n)
                    case .real(let d): out += CanonicalJSON.numberText(d)
                    case .null: out += "null"
                    case .blob: out += "?"
                    }
                    i = j
                } else {
                    out.append(text[i])
                    i = text.index(after: i)
                }
            }
            return out
        }
        for precondition in template.preconditions {
            let (sql, bindings) = try bind(precondition.query)
            if try context.connection.queryOne(sql, bindings) == nil {
                throw RunError(.tool, try substitute(precondition.error))
            }
        }
        for statement in template.statements {
            let (sql, bindings) = try bind(statement)
            try context.connection.run(sql, bindings)
        }
        guard let result = template.result else {
            return .string(try substitute(template.message ?? "OK"))
        }
        let (sql, bindings) = try bind(result)
        let rows = try context.connection.query(sql, bindings).map { row -> JSONValue in
            var object = JSONObject()
            for (index, column) in row.columns.enumerated() {
                object[column] = StateSnapshot.canonicalValue(row.values[index], json: false)
            }
            return .object(object)
        }
        switch template.shape {
        case "row":
            guard let first = rows.first else {
                throw RunError(.tool, try substitute(template.notFound ?? "not found"))
            }
            return first
        case "value":
            guard let first = rows.first?.objectValue?.values.first else {
                throw RunError(.tool, try substitute(template.notFound ?? "not found"))
            }
            return first
        default:
            return .array(rows)
        }
    }

    /// Replaces `:name` parameters (outside string literals) with `?` and lists the names in order.
    static func rewrite(_ sql: String) -> (String, [String]) {
        var out = ""
        var names: [String] = []
        let chars = Array(sql)
        var i = 0
        var quote: Character? = nil
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                out.append(c)
                if c == q { quote = nil }
                i += 1
                continue
            }
            if c == "'" || c == "\"" {
                quote = c
                out.append(c)
                i += 1
                continue
            }
            if c == ":", i + 1 < chars.count, chars[i + 1].isLetter || chars[i + 1] == "_" {
                var j = i + 1
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                names.append(String(chars[(i + 1)..<j]))
                out.append("?")
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        return (out, names)
    }
}

/// Helpers for tau2-style document tables (`key TEXT PRIMARY KEY, doc TEXT`).
public enum DocumentStore {
    /// The document under `key`, or a tool error `"<what> <key> not found"`.
    public static func load(_ connection: Connection, table: String, key: String, what: String) throws -> JSONObject {
        guard
            let row = try connection.queryOne(
                "SELECT doc FROM \(StateSnapshot.quoteIdentifier(table)) WHERE key = ?", [.text(key)]),
            case .object(let object) = try JSONValue.parse(try row.string("doc"))
        else {
            throw RunError(.tool, "\(what) \(key) not found")
        }
        return object
    }

    /// Stores a document as canonical JSON.
    public static func save(_ connection: Connection, table: String, key: String, _ document: JSONObject) throws {
        try connection.run(
            "INSERT INTO \(StateSnapshot.quoteIdentifier(table))(key, doc) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET doc = excluded.doc",
            [.text(key), .text(CanonicalJSON.string(.object(document)))])
    }

    /// Every document of a table in insertion order (`rowid`), as (key, document).
    public static func all(_ connection: Connection, table: String) throws -> [(String, JSONObject)] {
        try connection.query("SELECT key, doc FROM \(StateSnapshot.quoteIdentifier(table)) ORDER BY rowid").map {
            (try $0.string("key"), try JSONValue.parse(try $0.string("doc")).objectValue ?? JSONObject())
        }
    }

    /// A deep merge of `patch` into `base` (objects merge key by key; anything else replaces).
    public static func merge(_ base: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(var a) = base, case .object(let b) = patch else { return patch }
        for (key, value) in b { a[key] = merge(a[key] ?? .null, value) }
        return .object(a)
    }
}
