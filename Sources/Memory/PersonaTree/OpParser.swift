public import Storage

/// One line (or item) the op parser could not read; recorded, never fatal.
public struct OpParseError: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The 1-based line number (line grammar) or item index (structured form).
    public let line: Int
    /// The offending text.
    public let text: String
    /// What was wrong.
    public let reason: String

    /// Creates an error record.
    public init(line: Int, text: String, reason: String) {
        self.line = line
        self.text = text
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason): \(text)" }
}

/// Parsed operations plus the lines that could not be read.
public struct ParsedOps: Hashable, Sendable {
    /// The operations, in order.
    public var ops: [MemoryOp]
    /// Lines that were not operations.
    public var errors: [OpParseError]

    /// Creates a result.
    public init(ops: [MemoryOp] = [], errors: [OpParseError] = []) {
        self.ops = ops
        self.errors = errors
    }
}

/// Reads MemListener output: the structured `{"ops": [...]}` form and the tolerant line grammar
/// `ADD(path, "value")` (spec memory.md §B.2.3).
public enum OpParser {
    /// The JSON schema of the structured form (for structured output).
    public static let schema: JSONValue = [
        "type": "object",
        "properties": [
            "ops": [
                "type": "array",
                "items": [
                    "type": "object",
                    "properties": [
                        "op": ["type": "string", "enum": ["ADD", "UPDATE", "DELETE", "NO_OP"]],
                        "path": ["type": "string"],
                        "value": ["type": "string"],
                    ],
                    "required": ["op", "path", "value"],
                    "additionalProperties": false,
                ],
            ]
        ],
        "required": ["ops"],
        "additionalProperties": false,
    ]

    /// Reads the structured form; items that are not valid ops become per-item errors.
    public static func parseStructured(_ value: JSONValue) -> ParsedOps {
        var result = ParsedOps()
        guard let items = value["ops"]?.arrayValue else {
            result.errors.append(
                OpParseError(line: 0, text: value.serialized(), reason: "expected an object with an \"ops\" array"))
            return result
        }
        for (i, item) in items.enumerated() {
            guard let name = item["op"]?.stringValue else {
                result.errors.append(OpParseError(line: i + 1, text: item.serialized(), reason: "missing \"op\""))
                continue
            }
            do {
                let op = try MemoryOp(
                    name: name, path: item["path"]?.stringValue ?? "", value: item["value"]?.stringValue ?? "")
                if case .add = op, item["value"]?.stringValue == nil {
                    result.errors.append(
                        OpParseError(line: i + 1, text: item.serialized(), reason: "missing \"value\""))
                    continue
                }
                if case .update = op, item["value"]?.stringValue == nil {
                    result.errors.append(
                        OpParseError(line: i + 1, text: item.serialized(), reason: "missing \"value\""))
                    continue
                }
                result.ops.append(op)
            } catch {
                result.errors.append(OpParseError(line: i + 1, text: item.serialized(), reason: error.message))
            }
        }
        return result
    }

    /// Reads the line grammar tolerantly: case-insensitive op names, optional list markers and
    /// backticks, JSON string values (falling back to the raw inner text), several ops per line,
    /// `DELETE(p)`, `DELETE(p, None)` and `DELETE(p, "…")`. Anything else is a per-line error.
    public static func parseLines(_ text: String) -> ParsedOps {
        var result = ParsedOps()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = clean(String(rawLine))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("//") { continue }
            var scanner = LineScanner(Array(line.unicodeScalars))
            var parsedAny = false
            while true {
                scanner.skipSpaces()
                if scanner.atEnd { break }
                if parsedAny {
                    scanner.skip(while: { $0 == "," || $0 == ";" || $0 == " " || $0 == "\t" })
                    if scanner.atEnd || scanner.restStarts(with: "#") || scanner.restStarts(with: "//") { break }
                }
                switch scanner.parseOp() {
                case .success(let op):
                    result.ops.append(op)
                    parsedAny = true
                case .failure(let reason):
                    result.errors.append(OpParseError(line: index + 1, text: String(rawLine), reason: reason))
                    scanner.position = scanner.scalars.count
                }
            }
        }
        return result
    }

    /// Strips whitespace, list markers (`-`, `*`, `•`, `1.`, `1)`) and backticks outside strings.
    static func clean(_ line: String) -> String {
        var text = line.trimmingWhitespace()
        if text.hasPrefix("```") { return "" }
        var scalars = Array(text.unicodeScalars)
        if let first = scalars.first, first == "-" || first == "*" || first == "•" {
            scalars.removeFirst()
        } else {
            var i = 0
            while i < scalars.count, ("0"..."9").contains(scalars[i]) { i += 1 }
            if i > 0, i < scalars.count, scalars[i] == "." || scalars[i] == ")" { scalars.removeFirst(i + 1) }
        }
        var out = String.UnicodeScalarView()
        var inString = false
        var escaped = false
        for s in scalars {
            if inString {
                out.append(s)
                if escaped {
                    escaped = false
                } else if s == "\\" {
                    escaped = true
                } else if s == "\"" {
                    inString = false
                }
            } else if s == "\"" {
                inString = true
                out.append(s)
            } else if s != "`" {
                out.append(s)
            }
        }
        text = String(out).trimmingWhitespace()
        return text
    }
}

/// A cursor over one cleaned line.
struct LineScanner {
    let scalars: [Unicode.Scalar]
    var position = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var atEnd: Bool { position >= scalars.count }

    /// Whether the rest of the line starts with `prefix` (compared in place: building the rest as a
    /// string for every op made a line of many ops quadratic).
    func restStarts(with prefix: String) -> Bool {
        var index = position
        for scalar in prefix.unicodeScalars {
            guard index < scalars.count, scalars[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    mutating func skip(while predicate: (Unicode.Scalar) -> Bool) {
        while position < scalars.count, predicate(scalars[position]) { position += 1 }
    }

    mutating func skipSpaces() { skip { $0 == " " || $0 == "\t" || $0 == "\r" } }

    func peek() -> Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    enum Result {
        case success(MemoryOp)
        case failure(String)
    }

    /// Whether an op keyword followed by `(` starts at `index`.
    func keywordStarts(at index: Int) -> Bool {
        var i = index
        var word = String.UnicodeScalarView()
        while i < scalars.count, scalars[i].properties.isAlphabetic || scalars[i] == "_" || scalars[i] == "-" {
            word.append(scalars[i])
            i += 1
        }
        while i < scalars.count, scalars[i] == " " { i += 1 }
        return OpKeyword(String(word)) != nil && i < scalars.count && scalars[i] == "("
    }

    mutating func parseOp() -> Result {
        var word = String.UnicodeScalarView()
        while let c = peek(), c.properties.isAlphabetic || c == "_" || c == "-" {
            word.append(c)
            position += 1
        }
        guard let keyword = OpKeyword(String(word)) else {
            return .failure("expected ADD, UPDATE, DELETE or NO_OP followed by '('")
        }
        skipSpaces()
        guard peek() == "(" else { return .failure("expected '(' after \(String(word).uppercased())") }
        position += 1
        skipSpaces()
        if keyword == .noop {
            skip { $0 != ")" }
            guard peek() == ")" else { return .failure("missing ')'") }
            position += 1
            return .success(.noop)
        }
        let pathStart = position
        skip { $0 != "," && $0 != ")" }
        let pathText = String(String.UnicodeScalarView(scalars[pathStart..<position]))
        let path: TreePath
        do { path = try TreePath(pathText) } catch { return .failure(error.message) }
        guard let separator = peek() else { return .failure("missing ')'") }
        position += 1
        if separator == ")" {
            if keyword == .delete { return .success(.delete(path)) }
            return .failure("\(keyword == .add ? "ADD" : "UPDATE") needs a value: write (path, \"value\")")
        }
        skipSpaces()
        if keyword == .delete {
            // Any value is ignored: None, null, or a string literal.
            if peek() == "\"" {
                guard case .some = readString() else { return .failure("unterminated string") }
            } else {
                skip { $0 != ")" }
            }
            skipSpaces()
            guard peek() == ")" else { return .failure("missing ')'") }
            position += 1
            return .success(.delete(path))
        }
        guard peek() == "\"" else {
            return .failure("the value must be a double-quoted string, e.g. \"value\"")
        }
        guard let value = readString() else { return .failure("unterminated string or missing ')'") }
        skipSpaces()
        guard peek() == ")" else { return .failure("missing ')'") }
        position += 1
        return .success(keyword == .add ? .add(path, value) : .update(path, value))
    }

    /// Reads a double-quoted value and the closing `)`. The literal is decoded as JSON; if that fails
    /// or the quote does not close the op, the raw inner text up to the `")` that ends the op is used.
    mutating func readString() -> String? {
        let open = position
        position += 1
        var escaped = false
        var close: Int?
        while position < scalars.count {
            let c = scalars[position]
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                close = position
                break
            }
            position += 1
        }
        if let close {
            var after = close + 1
            while after < scalars.count, scalars[after] == " " { after += 1 }
            if after < scalars.count, scalars[after] == ")" {
                let literal = String(String.UnicodeScalarView(scalars[open...close]))
                position = close + 1
                skipSpaces()
                if case .string(let s)? = try? JSONValue.parse(literal) { return s }
                return String(String.UnicodeScalarView(scalars[(open + 1)..<close]))
            }
        }
        // Fallback: the first `")` after which the line ends or another op starts.
        var i = open + 1
        while i + 1 < scalars.count {
            if scalars[i] == "\"" {
                var j = i + 1
                while j < scalars.count, scalars[j] == " " { j += 1 }
                if j < scalars.count, scalars[j] == ")" {
                    var k = j + 1
                    while k < scalars.count, " ,;".unicodeScalars.contains(scalars[k]) { k += 1 }
                    if k >= scalars.count || keywordStarts(at: k) {
                        position = i + 1
                        skipSpaces()
                        return String(String.UnicodeScalarView(scalars[(open + 1)..<i]))
                    }
                }
            }
            i += 1
        }
        return nil
    }
}
