import Foundation

/// Typed reads of a JSON document that know where they are, so that every error names the file, the
/// JSON path and the fix: the one JSON path reader of Agora (population specs, taxonomies, scenario
/// files).
///
/// A reader wraps one value and its path. Navigation (`reader["key"]`, ``elements()``,
/// ``members()``) gives readers of the children with their paths; typed reads either read this value
/// (``string()``, ``int(range:)``…) or a key of this object (``string(_:)``, ``optionalInt(_:range:)``…).
/// A `null` value counts as absent. Errors are ``JSONPathError``s passed through `failure`, which maps
/// them into the caller's own error type, so a module's loaders throw its error, typed:
///
/// ```swift
/// let root = JSONPathReader(json, file: file) { RunError(.invalidInput, $0.message, file: $0.file, path: $0.path) }
/// try root.allowOnly(["id", "items"])
/// let id = try root.nonEmptyString("id")
/// ```
public struct JSONPathReader<Failure: Error>: Sendable {
    /// The value read.
    public let value: JSONValue
    /// The file the document came from, if any.
    public let file: String?
    /// The JSON path of ``value`` (`$` is the document).
    public let path: String
    let failure: @Sendable (JSONPathError) -> Failure

    /// Creates a reader of `value` at `path` whose errors pass through `failure`.
    public init(
        _ value: JSONValue, file: String?, path: String = "$",
        failure: @escaping @Sendable (JSONPathError) -> Failure
    ) {
        self.value = value
        self.file = file
        self.path = path
        self.failure = failure
    }

    /// A reader of another value at `path` in the same file, with the same error mapping.
    public func reading(_ value: JSONValue, at path: String) -> Self {
        Self(value, file: file, path: path, failure: failure)
    }

    /// The same value read with another error mapping (e.g. another error code for one section).
    public func mappingErrors<Other: Error>(_ failure: @escaping @Sendable (JSONPathError) -> Other)
        -> JSONPathReader<Other>
    {
        JSONPathReader<Other>(value, file: file, path: path, failure: failure)
    }

    // MARK: Errors

    /// An error about this value.
    public func fail(_ message: String) -> Failure {
        failure(JSONPathError(file: file, path: path, message: message))
    }

    /// An error about the member `key` of this object, or about this value when `key` is nil.
    public func fail(_ key: String?, _ message: String) -> Failure {
        failure(JSONPathError(file: file, path: key.map(childPath) ?? path, message: message))
    }

    /// The path of the member `key`: `path.key`.
    public func childPath(_ key: String) -> String { "\(path).\(key)" }

    /// The path of element `index`: `path[index]`.
    public func elementPath(_ index: Int) -> String { "\(path)[\(index)]" }

    /// How an error message names a value: `the number 3`, `the string "abc"`, `an array`…
    public static func describe(_ value: JSONValue) -> String {
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

    func expected(_ what: String) -> Failure {
        fail("expected \(what), found \(Self.describe(value))")
    }

    // MARK: Navigation

    /// The member `key` of this object, or nil when it is absent, `null`, or this is not an object.
    public subscript(key: String) -> Self? {
        guard case .object(let object) = value, let child = object[key], !child.isNull else { return nil }
        return reading(child, at: childPath(key))
    }

    /// Whether this is an object with a non-null member `key`.
    public func has(_ key: String) -> Bool { self[key] != nil }

    /// The keys of this object in file order (empty when this is not an object).
    public var keys: [String] { value.objectValue?.keys ?? [] }

    /// This value as an object.
    public func object() throws(Failure) -> JSONObject {
        guard case .object(let object) = value else { throw expected("a JSON object") }
        return object
    }

    /// This object's members in file order, each with a reader.
    public func members() throws(Failure) -> [(key: String, reader: Self)] {
        try object().map { (key: $0.key, reader: reading($0.value, at: childPath($0.key))) }
    }

    /// This array's elements, each with a reader.
    public func elements() throws(Failure) -> [Self] {
        guard case .array(let items) = value else { throw expected("an array") }
        return items.enumerated().map { reading($1, at: elementPath($0)) }
    }

    /// Rejects members outside `allowed` (catches typos such as `itmes`, with a suggestion); keys for
    /// which `ignoring` is true (comments, say) are let through.
    public func allowOnly(_ allowed: [String], ignoring: (String) -> Bool = { _ in false }) throws(Failure) {
        for key in try object().keys where !allowed.contains(key) && !ignoring(key) {
            let hint = Spelling.closest(to: key, in: allowed).map { "did you mean \"\($0)\"? " } ?? ""
            throw fail(key, "unknown key \"\(key)\"; \(hint)allowed keys here: \(allowed.joined(separator: ", "))")
        }
    }

    // MARK: This value

    /// This value as a string.
    public func string() throws(Failure) -> String {
        guard let text = value.stringValue else { throw expected("a string") }
        return text
    }

    /// This value as a finite number.
    public func double() throws(Failure) -> Double {
        guard let number = value.doubleValue, number.isFinite else { throw expected("a number") }
        return number
    }

    /// This value as a whole number within `range` (`3` and `3.0` both qualify).
    public func int(range: ClosedRange<Int> = Int.min...Int.max) throws(Failure) -> Int {
        var number: Int?
        if case .integer(let n) = value { number = Int(exactly: n) }
        if case .number(let x) = value, x.rounded() == x, abs(x) < 9e15 { number = Int(x) }
        guard let number else { throw expected("a whole number") }
        guard range.contains(number) else {
            throw fail("\(number) is out of range; use a value from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// This value as `true` or `false`.
    public func bool() throws(Failure) -> Bool {
        guard let flag = value.boolValue else { throw expected("true or false") }
        return flag
    }

    // MARK: Members of this object

    /// The member `key` of this object, whatever its type; an error when it is missing.
    public func required(_ key: String) throws(Failure) -> Self {
        try member(key, "a value")
    }

    func member(_ key: String, _ what: String) throws(Failure) -> Self {
        _ = try object()
        guard let child = self[key] else { throw fail(key, "missing; add \(what) \"\(key)\"") }
        return child
    }

    /// The string member `key`.
    public func string(_ key: String) throws(Failure) -> String {
        try member(key, "a string").string()
    }

    /// The string member `key`, or nil when it is absent.
    public func optionalString(_ key: String) throws(Failure) -> String? {
        try self[key]?.string()
    }

    /// The string member `key`, which must hold more than white space.
    public func nonEmptyString(_ key: String) throws(Failure) -> String {
        let text = try string(key)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw fail(key, "must not be empty")
        }
        return text
    }

    /// The whole-number member `key`, within `range`.
    public func int(_ key: String, range: ClosedRange<Int> = Int.min...Int.max) throws(Failure) -> Int {
        try member(key, "a whole number").int(range: range)
    }

    /// The whole-number member `key` within `range`, or nil when it is absent.
    public func optionalInt(_ key: String, range: ClosedRange<Int> = Int.min...Int.max) throws(Failure) -> Int? {
        try self[key]?.int(range: range)
    }

    /// The number member `key`.
    public func double(_ key: String) throws(Failure) -> Double {
        try member(key, "a number").double()
    }

    /// The number member `key`, or nil when it is absent.
    public func optionalDouble(_ key: String) throws(Failure) -> Double? {
        try self[key]?.double()
    }

    /// The `true`/`false` member `key`, or nil when it is absent.
    public func optionalBool(_ key: String) throws(Failure) -> Bool? {
        try self[key]?.bool()
    }

    /// The object member `key`, as a reader.
    public func reader(_ key: String) throws(Failure) -> Self {
        let child = try member(key, "an object")
        _ = try child.object()
        return child
    }

    /// The object member `key` as a reader, or nil when it is absent.
    public func optionalReader(_ key: String) throws(Failure) -> Self? {
        has(key) ? try reader(key) : nil
    }

    /// The array member `key`, one reader per element.
    public func elements(_ key: String) throws(Failure) -> [Self] {
        try member(key, "an array").elements()
    }

    /// The array-of-objects member `key`, one reader per element.
    public func readers(_ key: String) throws(Failure) -> [Self] {
        let items = try elements(key)
        for item in items { _ = try item.object() }
        return items
    }

    /// The array-of-strings member `key`.
    public func strings(_ key: String) throws(Failure) -> [String] {
        var result: [String] = []
        for item in try elements(key) { result.append(try item.string()) }
        return result
    }
}

extension JSONPathReader where Failure == JSONPathError {
    /// Creates a reader whose errors are ``JSONPathError``s as they are.
    public init(_ value: JSONValue, file: String?, path: String = "$") {
        self.init(value, file: file, path: path) { $0 }
    }
}
