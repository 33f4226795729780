/// The untyped syntax tree of a rule expression.
indirect enum RuleSyntax: Sendable {
    case number(Double)
    case string(String)
    case identifier(String)
    case boolean(Bool)
    case reference(String)
    case list([RuleSyntax])
    case arithmetic(Character, RuleSyntax, RuleSyntax)
    case negative(RuleSyntax)
    case comparison(ComparisonOperator, RuleSyntax, RuleSyntax)
    case membership(RuleSyntax, RuleSyntax, negated: Bool)
    case isSet(RuleSyntax, set: Bool)
    case and([RuleSyntax])
    case or([RuleSyntax])
    case not(RuleSyntax)
    case call(String, [RuleSyntax])
}

enum ComparisonOperator: String, Sendable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// Parses the rule language (grammar of spec §10) into ``RuleSyntax``.
struct RuleParser {
    enum Token: Equatable {
        case number(Double)
        case string(String)
        case word(String)
        case reference(String)
        case symbol(String)
        case end
    }

    struct Failure: Error {
        var message: String
    }

    private var tokens: [Token] = []
    private var position = 0

    static func parse(_ text: String) throws(Failure) -> RuleSyntax {
        var parser = RuleParser()
        parser.tokens = try tokenize(text)
        let expression = try parser.parseOr()
        guard parser.peek == .end else { throw Failure(message: "unexpected \(parser.describe(parser.peek))") }
        return expression
    }

    private static func tokenize(_ text: String) throws(Failure) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text)
        var i = 0
        func isWordStart(_ c: Character) -> Bool { c.isLetter || c == "_" }
        func isWordPart(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." || c == "#" }
        while i < characters.count {
            let c = characters[i]
            if c.isWhitespace {
                i += 1
            } else if c.isASCII && c.isNumber
                || (c == "." && i + 1 < characters.count && characters[i + 1].isASCII && characters[i + 1].isNumber)
            {
                var j = i
                while j < characters.count
                    && (characters[j].isASCII && characters[j].isNumber || characters[j] == "."
                        || ((characters[j] == "e" || characters[j] == "E") && j + 1 < characters.count
                            && (characters[j + 1].isNumber || characters[j + 1] == "-" || characters[j + 1] == "+"))
                        || ((characters[j] == "-" || characters[j] == "+") && j > i
                            && (characters[j - 1] == "e" || characters[j - 1] == "E")))
                {
                    j += 1
                }
                let literal = String(characters[i..<j])
                guard let value = Double(literal) else { throw Failure(message: "bad number '\(literal)'") }
                tokens.append(.number(value))
                i = j
            } else if c == "\"" || c == "'" {
                var j = i + 1
                var value = ""
                while j < characters.count && characters[j] != c {
                    if characters[j] == "\\" && j + 1 < characters.count { j += 1 }
                    value.append(characters[j])
                    j += 1
                }
                guard j < characters.count else { throw Failure(message: "unterminated string") }
                tokens.append(.string(value))
                i = j + 1
            } else if c == "@" {
                var j = i + 1
                while j < characters.count && !characters[j].isWhitespace && !"(),[]".contains(characters[j]) {
                    j += 1
                }
                guard j > i + 1 else { throw Failure(message: "'@' must be followed by a reference path") }
                tokens.append(.reference(String(characters[(i + 1)..<j])))
                i = j
            } else if isWordStart(c) {
                var j = i
                while j < characters.count && isWordPart(characters[j]) { j += 1 }
                tokens.append(.word(String(characters[i..<j])))
                i = j
            } else {
                let two = i + 1 < characters.count ? String(characters[i...(i + 1)]) : ""
                if ["==", "!=", "<=", ">="].contains(two) {
                    tokens.append(.symbol(two))
                    i += 2
                } else if "<>+-*/()[],".contains(c) {
                    tokens.append(.symbol(String(c)))
                    i += 1
                } else if c == "=" {
                    tokens.append(.symbol("=="))
                    i += 1
                } else {
                    throw Failure(message: "unexpected character '\(c)'")
                }
            }
        }
        tokens.append(.end)
        return tokens
    }

    private var peek: Token { tokens[position] }

    private func describe(_ token: Token) -> String {
        switch token {
        case .number(let value): "number \(value)"
        case .string(let value): "string \"\(value)\""
        case .word(let value): "'\(value)'"
        case .reference(let value): "@\(value)"
        case .symbol(let value): "'\(value)'"
        case .end: "end of expression"
        }
    }

    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private mutating func accept(word: String) -> Bool {
        if case .word(let value) = peek, value == word {
            position += 1
            return true
        }
        return false
    }

    private mutating func accept(symbol: String) -> Bool {
        if case .symbol(let value) = peek, value == symbol {
            position += 1
            return true
        }
        return false
    }

    private mutating func expect(symbol: String) throws(Failure) {
        guard accept(symbol: symbol) else { throw Failure(message: "expected '\(symbol)' but found \(describe(peek))") }
    }

    private mutating func parseOr() throws(Failure) -> RuleSyntax {
        var items = [try parseAnd()]
        while accept(word: "or") { items.append(try parseAnd()) }
        return items.count == 1 ? items[0] : .or(items)
    }

    private mutating func parseAnd() throws(Failure) -> RuleSyntax {
        var items = [try parseNot()]
        while accept(word: "and") { items.append(try parseNot()) }
        return items.count == 1 ? items[0] : .and(items)
    }

    private mutating func parseNot() throws(Failure) -> RuleSyntax {
        if case .word("not") = peek, position + 1 < tokens.count, tokens[position + 1] != .word("in") {
            position += 1
            return .not(try parseNot())
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(Failure) -> RuleSyntax {
        let left = try parseSum()
        if case .symbol(let symbol) = peek, let op = ComparisonOperator(rawValue: symbol) {
            position += 1
            return .comparison(op, left, try parseSum())
        }
        if accept(word: "in") { return .membership(left, try parseList(), negated: false) }
        if case .word("not") = peek, tokens[position + 1] == .word("in") {
            position += 2
            return .membership(left, try parseList(), negated: true)
        }
        if accept(word: "is") {
            if accept(word: "set") { return .isSet(left, set: true) }
            if accept(word: "unset") { return .isSet(left, set: false) }
            if accept(word: "not") && accept(word: "set") { return .isSet(left, set: false) }
            throw Failure(message: "expected 'set' or 'unset' after 'is'")
        }
        return left
    }

    private mutating func parseList() throws(Failure) -> RuleSyntax {
        if case .reference(let path) = peek {
            position += 1
            return .reference(path)
        }
        try expect(symbol: "[")
        var items: [RuleSyntax] = []
        if accept(symbol: "]") { return .list(items) }
        repeat {
            switch advance() {
            case .number(let value): items.append(.number(value))
            case .string(let value): items.append(.string(value))
            case .word(let value) where value == "true" || value == "false": items.append(.boolean(value == "true"))
            case .word(let value): items.append(.identifier(value))
            case .symbol("-"):
                guard case .number(let value) = advance() else { throw Failure(message: "expected a number after '-'") }
                items.append(.number(-value))
            case let other: throw Failure(message: "expected a literal in the list but found \(describe(other))")
            }
        } while accept(symbol: ",")
        try expect(symbol: "]")
        return .list(items)
    }

    private mutating func parseSum() throws(Failure) -> RuleSyntax {
        try parseArithmetic(["+", "-"]) { parser throws(Failure) in try parser.parseTerm() }
    }

    private mutating func parseTerm() throws(Failure) -> RuleSyntax {
        try parseArithmetic(["*", "/"]) { parser throws(Failure) in try parser.parseAtom() }
    }

    /// One precedence level of arithmetic: operands joined left-associatively by any of `symbols`.
    private mutating func parseArithmetic(
        _ symbols: [Character], operand: (inout Self) throws(Failure) -> RuleSyntax
    ) throws(Failure) -> RuleSyntax {
        var left = try operand(&self)
        while let symbol = symbols.first(where: { accept(symbol: String($0)) }) {
            left = .arithmetic(symbol, left, try operand(&self))
        }
        return left
    }

    private mutating func parseAtom() throws(Failure) -> RuleSyntax {
        let token = advance()
        switch token {
        case .number(let value): return .number(value)
        case .string(let value): return .string(value)
        case .reference(let path): return .reference(path)
        case .symbol("("):
            let inner = try parseOr()
            try expect(symbol: ")")
            return inner
        case .symbol("-"): return .negative(try parseAtom())
        case .symbol("["):
            position -= 1
            return try parseList()
        case .word(let word):
            if word == "true" || word == "false" { return .boolean(word == "true") }
            if ["and", "or", "in", "is"].contains(word) { throw Failure(message: "unexpected keyword '\(word)'") }
            if accept(symbol: "(") {
                var arguments: [RuleSyntax] = []
                if !accept(symbol: ")") {
                    repeat { arguments.append(try parseOr()) } while accept(symbol: ",")
                    try expect(symbol: ")")
                }
                return .call(word, arguments)
            }
            return .identifier(word)
        default:
            throw Failure(message: "unexpected \(describe(token))")
        }
    }
}
