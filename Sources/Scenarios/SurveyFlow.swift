public import Population
public import Storage

/// A flow condition of a survey item (`skipIf`, `showIf`, `stopIf`, a branch's `if`), parsed once
/// at load time from the small expression language of docs/scenarios.md:
///
/// ```
/// answers.buy == 'No' and persona.age >= 40
/// 'Price' in answers.features or not (answers.pay > 100)
/// persona.region in ['north', 'east']
/// ```
public struct SurveyCondition: Sendable, Hashable {
    /// The text as written.
    public var source: String
    /// The parsed expression.
    public var expression: SurveyExpression

    /// Parses `source`.
    ///
    /// - Throws: ``SurveyExpression/ParseError`` with the character offset and what was expected.
    public init(_ source: String) throws(SurveyExpression.ParseError) {
        self.source = source
        var parser = SurveyExpressionParser(source)
        self.expression = try parser.parseAll()
    }

    /// Whether the condition holds in `scope`.
    public func holds(in scope: SurveyScope) -> Bool {
        expression.evaluate(in: scope).truthy
    }

    /// The references (`answers.ID…`, `persona.ATTR`, `vars.NAME`) it reads, in order of appearance.
    public var references: [SurveyReference] { expression.references }
}

/// A reference to a value: an earlier answer, a persona attribute or a stimulus variable.
public struct SurveyReference: Sendable, Hashable {
    /// Where the value comes from.
    public enum Source: String, Sendable, Hashable, CaseIterable {
        /// An earlier item's answer (`answers.ID`, a matrix row `answers.ID.ROW`).
        case answers
        /// A persona attribute (`persona.ATTR`; `persona.name`, `persona.id` too).
        case persona
        /// A stimulus variable (`vars.NAME`).
        case vars
    }

    /// The source.
    public var source: Source
    /// The path below the source (at least one name).
    public var path: [String]

    /// The reference as written.
    public var text: String { ([source.rawValue] + path).joined(separator: ".") }

    /// Parses `answers.ID`, `persona.ATTR` or `vars.NAME`; `nil` when it is none of them.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let source = Source(rawValue: parts[0]), !parts.dropFirst().contains(where: \.isEmpty)
        else { return nil }
        self.source = source
        self.path = Array(parts.dropFirst())
    }
}

/// What conditions and templates read while a respondent answers: the answers so far, the
/// persona, the stimulus variables.
public struct SurveyScope: Sendable {
    /// Answers so far by item id (a failed item is `null`; a skipped one is absent).
    public var answers: JSONObject
    /// The respondent.
    public var persona: Persona?
    /// The stimulus variables of this respondent or round.
    public var vars: JSONObject

    /// Creates a scope.
    public init(answers: JSONObject = JSONObject(), persona: Persona? = nil, vars: JSONObject = JSONObject()) {
        self.answers = answers
        self.persona = persona
        self.vars = vars
    }

    /// The value of `reference` (`null` when absent).
    public func value(of reference: SurveyReference) -> JSONValue {
        var value: JSONValue?
        switch reference.source {
        case .answers: value = answers[reference.path[0]]
        case .vars: value = vars[reference.path[0]]
        case .persona:
            let name = reference.path[0]
            value = persona?.attributes[name]
            if value == nil, name == "id" { value = persona.map { .string($0.id) } }
            if value == nil, name == "name" { value = persona.map { .string($0.displayName) } }
        }
        for key in reference.path.dropFirst() {
            value = value?[key]
        }
        return value ?? .null
    }
}

/// A parsed flow expression.
public indirect enum SurveyExpression: Sendable, Hashable {
    /// A literal value (number, string, boolean, null, list).
    case literal(JSONValue)
    /// A reference.
    case reference(SurveyReference)
    /// A list of expressions (`[a, b]`).
    case list([SurveyExpression])
    /// A comparison.
    case compare(Comparison, SurveyExpression, SurveyExpression)
    /// `a in b` (membership in a list or an array answer; a substring of a string).
    case contains(SurveyExpression, SurveyExpression)
    /// `not a`.
    case not(SurveyExpression)
    /// `a and b`.
    case and(SurveyExpression, SurveyExpression)
    /// `a or b`.
    case or(SurveyExpression, SurveyExpression)

    /// A comparison operator.
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        /// `==`
        case equal = "=="
        /// `!=`
        case notEqual = "!="
        /// `<`
        case less = "<"
        /// `<=`
        case lessOrEqual = "<="
        /// `>`
        case greater = ">"
        /// `>=`
        case greaterOrEqual = ">="
    }

    /// A syntax error: the offset (in characters) and what was expected.
    public struct ParseError: Error, Sendable, Hashable {
        /// The character offset of the problem.
        public var offset: Int
        /// What is wrong and what would fix it.
        public var message: String
    }

    /// The references the expression reads, in order.
    public var references: [SurveyReference] {
        switch self {
        case .literal: []
        case .reference(let r): [r]
        case .list(let items): items.flatMap(\.references)
        case .compare(_, let a, let b), .contains(let a, let b), .and(let a, let b), .or(let a, let b):
            a.references + b.references
        case .not(let a): a.references
        }
    }

    /// The value in `scope`: comparisons and connectives give booleans.
    public func evaluate(in scope: SurveyScope) -> JSONValue {
        switch self {
        case .literal(let value): return value
        case .reference(let reference): return scope.value(of: reference)
        case .list(let items): return .array(items.map { $0.evaluate(in: scope) })
        case .not(let a): return .bool(!a.evaluate(in: scope).truthy)
        case .and(let a, let b): return .bool(a.evaluate(in: scope).truthy && b.evaluate(in: scope).truthy)
        case .or(let a, let b): return .bool(a.evaluate(in: scope).truthy || b.evaluate(in: scope).truthy)
        case .contains(let a, let b):
            let needle = a.evaluate(in: scope)
            switch b.evaluate(in: scope) {
            case .array(let items): return .bool(items.contains { Self.same(needle, $0) })
            case .string(let text):
                guard let part = needle.stringValue else { return false }
                return .bool(text.contains(part))
            default: return false
            }
        case .compare(let op, let a, let b):
            let x = a.evaluate(in: scope)
            let y = b.evaluate(in: scope)
            switch op {
            case .equal: return .bool(Self.same(x, y))
            case .notEqual: return .bool(!Self.same(x, y))
            default:
                guard let order = Self.order(x, y) else { return false }
                switch op {
                case .less: return .bool(order < 0)
                case .lessOrEqual: return .bool(order <= 0)
                case .greater: return .bool(order > 0)
                default: return .bool(order >= 0)
                }
            }
        }
    }

    /// Equality where 3 and 3.0 are one number.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.numberValue, let y = b.numberValue { return x == y }
        return a == b
    }

    /// -1, 0, 1 for two numbers or two strings; `nil` otherwise (the comparison is false).
    static func order(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if let x = a.numberValue, let y = b.numberValue { return x < y ? -1 : (x > y ? 1 : 0) }
        if case .string(let x) = a, case .string(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        return nil
    }
}

extension JSONValue {
    /// A number (integer or floating), not a string.
    var numberValue: Double? {
        switch self {
        case .integer(let n): Double(n)
        case .number(let x): x
        default: nil
        }
    }

    /// Truthiness in flow conditions: false, null, 0, "" and [] are false.
    var truthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .integer(let n): n != 0
        case .number(let x): x != 0
        case .string(let s): !s.isEmpty
        case .array(let a): !a.isEmpty
        case .object: true
        }
    }
}

/// A recursive-descent parser of the flow language:
///
/// ```
/// or      := and ('or' and)*
/// and     := not ('and' not)*
/// not     := 'not' not | compare
/// compare := operand (('==' | '!=' | '<' | '<=' | '>' | '>=') operand | 'not'? 'in' operand)?
/// operand := NUMBER | 'STRING' | "STRING" | true | false | null | REFERENCE | '[' operand, … ']' | '(' or ')'
/// ```
struct SurveyExpressionParser {
    private enum Token: Equatable {
        case number(Double, isInteger: Bool)
        case string(String)
        case word(String)
        case symbol(String)
        case end
    }

    private var tokens: [(token: Token, offset: Int)] = []
    private var position = 0
    private var lexError: SurveyExpression.ParseError?

    init(_ source: String) {
        let chars = Array(source)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
                continue
            }
            let start = i
            if c == "'" || c == "\"" {
                var text = ""
                i += 1
                while i < chars.count, chars[i] != c {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    text.append(chars[i])
                    i += 1
                }
                guard i < chars.count else {
                    lexError = .init(offset: start, message: "unterminated string; close it with \(c)")
                    return
                }
                i += 1
                tokens.append((.string(text), start))
            } else if c.isNumber || (c == "-" && i + 1 < chars.count && chars[i + 1].isNumber) {
                i += 1
                while i < chars.count, chars[i].isNumber || chars[i] == "." { i += 1 }
                let text = String(chars[start..<i])
                guard let value = Double(text) else {
                    lexError = .init(offset: start, message: "\"\(text)\" is not a number")
                    return
                }
                tokens.append((.number(value, isInteger: !text.contains(".")), start))
            } else if c.isLetter || c == "_" {
                while i < chars.count,
                    chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "-" || chars[i] == "."
                {
                    i += 1
                }
                tokens.append((.word(String(chars[start..<i])), start))
            } else {
                let two = i + 1 < chars.count ? String(chars[i...(i + 1)]) : ""
                if ["==", "!=", "<=", ">="].contains(two) {
                    tokens.append((.symbol(two), start))
                    i += 2
                } else if "<>()[],".contains(c) {
                    tokens.append((.symbol(String(c)), start))
                    i += 1
                } else if c == "=" {
                    lexError = .init(offset: start, message: "use == to compare")
                    return
                } else {
                    lexError = .init(offset: start, message: "unexpected character \"\(c)\"")
                    return
                }
            }
        }
        tokens.append((.end, chars.count))
    }

    private var current: Token { tokens[position].token }
    private var offset: Int { tokens[position].offset }

    private func fail(_ message: String) -> SurveyExpression.ParseError { .init(offset: offset, message: message) }

    mutating func parseAll() throws(SurveyExpression.ParseError) -> SurveyExpression {
        if let lexError { throw lexError }
        guard tokens.count > 1 else { throw fail("empty condition; write e.g. answers.q1 == 'Yes'") }
        let expression = try parseOr()
        guard current == .end else { throw fail("unexpected \(describe(current)); join conditions with and / or") }
        return expression
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .number(let x, _): "number \(CanonicalJSON.string(.number(x)))"
        case .string(let s): "string '\(s)'"
        case .word(let w): "\"\(w)\""
        case .symbol(let s): "\"\(s)\""
        case .end: "end of condition"
        }
    }

    private mutating func parseOr() throws(SurveyExpression.ParseError) -> SurveyExpression {
        var left = try parseAnd()
        while current == .word("or") {
            position += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(SurveyExpression.ParseError) -> SurveyExpression {
        var left = try parseNot()
        while current == .word("and") {
            position += 1
            left = .and(left, try parseNot())
        }
        return left
    }

    private mutating func parseNot() throws(SurveyExpression.ParseError) -> SurveyExpression {
        if current == .word("not") {
            position += 1
            return .not(try parseNot())
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(SurveyExpression.ParseError) -> SurveyExpression {
        let left = try parseOperand()
        if case .symbol(let s) = current, let op = SurveyExpression.Comparison(rawValue: s) {
            position += 1
            return .compare(op, left, try parseOperand())
        }
        if current == .word("in") {
            position += 1
            return .contains(left, try parseOperand())
        }
        if current == .word("not"), position + 1 < tokens.count, tokens[position + 1].token == .word("in") {
            position += 2
            return .not(.contains(left, try parseOperand()))
        }
        return left
    }

    private mutating func parseOperand() throws(SurveyExpression.ParseError) -> SurveyExpression {
        let token = current
        switch token {
        case .number(let x, let isInteger):
            position += 1
            return .literal(isInteger && abs(x) < 9e15 ? .integer(Int64(x)) : .number(x))
        case .string(let s):
            position += 1
            return .literal(.string(s))
        case .word(let w):
            switch w {
            case "true", "false":
                position += 1
                return .literal(.bool(w == "true"))
            case "null":
                position += 1
                return .literal(.null)
            case "and", "or", "not", "in":
                throw fail("expected a value before \"\(w)\"")
            default:
                guard let reference = SurveyReference(w) else {
                    throw fail(
                        "unknown name \"\(w)\"; refer to answers.ITEM, persona.ATTRIBUTE or vars.NAME, and quote text as 'text'"
                    )
                }
                position += 1
                return .reference(reference)
            }
        case .symbol("("):
            position += 1
            let inner = try parseOr()
            guard current == .symbol(")") else { throw fail("expected \")\"") }
            position += 1
            return inner
        case .symbol("["):
            position += 1
            var items: [SurveyExpression] = []
            if current != .symbol("]") {
                while true {
                    items.append(try parseOperand())
                    if current == .symbol(",") {
                        position += 1
                        continue
                    }
                    break
                }
            }
            guard current == .symbol("]") else { throw fail("expected \",\" or \"]\" in the list") }
            position += 1
            return .list(items)
        default:
            throw fail(
                "expected a value (a number, 'text', true, false, null, a reference or a list), found \(describe(token))"
            )
        }
    }
}
