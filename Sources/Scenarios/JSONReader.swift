import Foundation
import Runs
import Storage

/// Reads a JSON object with paths, so that every decode error names the file, the JSON path and a fix.
struct JSONReader {
    let file: String?
    let path: String
    let object: JSONObject

    init(_ value: JSONValue, file: String?, path: String = "$") throws(RunError) {
        guard case .object(let object) = value else {
            throw RunError(
                .invalidInput, "expected a JSON object, found \(JSONReader.describe(value))", file: file, path: path)
        }
        self.file = file
        self.path = path
        self.object = object
    }

    func fail(_ key: String?, _ message: String) -> RunError {
        RunError(.invalidInput, message, file: file, path: key.map { child($0) } ?? path)
    }

    func child(_ key: String) -> String { "\(path).\(key)" }

    /// Rejects keys outside `allowed` (catches typos such as `itmes`).
    func allowOnly(_ allowed: [String]) throws(RunError) {
        for key in object.keys where !allowed.contains(key) {
            let hint = JSONReader.closest(key, in: allowed).map { "did you mean \"\($0)\"? " } ?? ""
            throw fail(key, "unknown key \"\(key)\"; \(hint)allowed keys here: \(allowed.joined(separator: ", "))")
        }
    }

    func has(_ key: String) -> Bool {
        if let value = object[key], value != .null { return true }
        return false
    }

    func string(_ key: String) throws(RunError) -> String {
        guard let value = object[key], value != .null else { throw fail(key, "missing; add a string \"\(key)\"") }
        guard let text = value.stringValue else {
            throw fail(key, "expected a string, found \(JSONReader.describe(value))")
        }
        return text
    }

    func optionalString(_ key: String) throws(RunError) -> String? {
        has(key) ? try string(key) : nil
    }

    func nonEmptyString(_ key: String) throws(RunError) -> String {
        let text = try string(key)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw fail(key, "must not be empty")
        }
        return text
    }

    func int(_ key: String, range: ClosedRange<Int64> = Int64.min...Int64.max) throws(RunError) -> Int64 {
        guard let value = object[key], value != .null else { throw fail(key, "missing; add a whole number \"\(key)\"") }
        var number: Int64?
        if case .integer(let n) = value { number = n }
        if case .number(let x) = value, x.rounded() == x, abs(x) < 9e15 { number = Int64(x) }
        guard let number else { throw fail(key, "expected a whole number, found \(JSONReader.describe(value))") }
        guard range.contains(number) else {
            throw fail(key, "\(number) is out of range; use a value from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func optionalInt(_ key: String, range: ClosedRange<Int64> = Int64.min...Int64.max) throws(RunError)
        -> Int64?
    {
        has(key) ? try int(key, range: range) : nil
    }

    func double(_ key: String) throws(RunError) -> Double {
        guard let value = object[key], value != .null else { throw fail(key, "missing; add a number \"\(key)\"") }
        guard let number = value.doubleValue, number.isFinite else {
            throw fail(key, "expected a number, found \(JSONReader.describe(value))")
        }
        return number
    }

    func optionalDouble(_ key: String) throws(RunError) -> Double? {
        has(key) ? try double(key) : nil
    }

    func optionalBool(_ key: String) throws(RunError) -> Bool? {
        guard has(key), let value = object[key] else { return nil }
        guard let flag = value.boolValue else {
            throw fail(key, "expected true or false, found \(JSONReader.describe(value))")
        }
        return flag
    }

    func reader(_ key: String) throws(RunError) -> JSONReader {
        guard let value = object[key], value != .null else { throw fail(key, "missing; add an object \"\(key)\"") }
        return try JSONReader(value, file: file, path: child(key))
    }

    func optionalReader(_ key: String) throws(RunError) -> JSONReader? {
        has(key) ? try reader(key) : nil
    }

    func array(_ key: String) throws(RunError) -> [JSONValue] {
        guard let value = object[key], value != .null else { throw fail(key, "missing; add an array \"\(key)\"") }
        guard let items = value.arrayValue else {
            throw fail(key, "expected an array, found \(JSONReader.describe(value))")
        }
        return items
    }

    func strings(_ key: String) throws(RunError) -> [String] {
        var result: [String] = []
        for (index, item) in try array(key).enumerated() {
            guard let text = item.stringValue else {
                throw RunError(
                    .invalidInput, "expected a string, found \(JSONReader.describe(item))", file: file,
                    path: "\(child(key))[\(index)]")
            }
            result.append(text)
        }
        return result
    }

    func readers(_ key: String) throws(RunError) -> [JSONReader] {
        var result: [JSONReader] = []
        for (index, item) in try array(key).enumerated() {
            result.append(try JSONReader(item, file: file, path: "\(child(key))[\(index)]"))
        }
        return result
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): "the boolean \(b)"
        case .integer(let n): "the number \(n)"
        case .number(let x): "the number \(x)"
        case .string(let s): "the string \"\(s.prefix(40))\""
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The allowed word nearest to `word` by edit distance, if it is close (≤ 2 edits).
    static func closest(_ word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(Array(word.lowercased()), Array(candidate.lowercased()))
            if d <= 2, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
