public import Runs

/// A safe arithmetic parser for the `calculate` tool: numbers, `+ - * /`, unary minus, parentheses and spaces.
///
/// It parses; it never evaluates code. The result is rounded to 2 decimals and printed like Python's
/// `str(round(float(x), 2))` (`2 * (3 + 4)` → `14.0`), as tau2's `calculate` does.
public enum Calculator {
    /// The value of `expression`, or an ``RunError`` with code `tool`.
    public static func evaluate(_ expression: String) throws(RunError) -> Double {
        let allowed = Set("0123456789+-*/(). ")
        guard expression.allSatisfy({ allowed.contains($0) }) else {
            throw RunError(.tool, "Invalid characters in expression")
        }
        var parser = Parser(Array(expression.utf8).filter { $0 != UInt8(ascii: " ") })
        let value = try parser.expression(depth: 0)
        guard parser.index == parser.bytes.count else {
            throw RunError(.tool, "Invalid expression: unexpected input at position \(parser.index)")
        }
        guard value.isFinite else { throw RunError(.tool, "Invalid expression: the result is not finite") }
        return value
    }

    /// `evaluate` rounded to 2 decimals and printed the Python way.
    public static func text(_ expression: String) throws(RunError) -> String {
        let value = try evaluate(expression)
        let rounded = (value * 100).rounded(.toNearestOrEven) / 100
        return pythonText(rounded == 0 ? 0 : rounded)
    }

    /// Python's `repr` of a float for ordinary magnitudes (`14.0`, `0.1`, `1e-05`).
    static func pythonText(_ x: Double) -> String {
        x.description
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func expression(depth: Int) throws(RunError) -> Double {
            guard depth < 64 else { throw RunError(.tool, "Invalid expression: nested too deeply") }
            var value = try term(depth: depth)
            while let c = current, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                index += 1
                let rhs = try term(depth: depth)
                value = c == UInt8(ascii: "+") ? value + rhs : value - rhs
            }
            return value
        }

        mutating func term(depth: Int) throws(RunError) -> Double {
            var value = try factor(depth: depth)
            while let c = current, c == UInt8(ascii: "*") || c == UInt8(ascii: "/") {
                index += 1
                let rhs = try factor(depth: depth)
                if c == UInt8(ascii: "/") {
                    guard rhs != 0 else { throw RunError(.tool, "division by zero") }
                    value /= rhs
                } else {
                    value *= rhs
                }
            }
            return value
        }

        mutating func factor(depth: Int) throws(RunError) -> Double {
            guard let c = current else { throw RunError(.tool, "Invalid expression: unexpected end") }
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                index += 1
                let value = try factor(depth: depth + 1)
                return c == UInt8(ascii: "-") ? -value : value
            }
            if c == UInt8(ascii: "(") {
                index += 1
                let value = try expression(depth: depth + 1)
                guard current == UInt8(ascii: ")") else { throw RunError(.tool, "Invalid expression: missing )") }
                index += 1
                return value
            }
            let start = index
            while let d = current, (d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9")) || d == UInt8(ascii: ".") {
                index += 1
            }
            guard index > start, let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
                throw RunError(.tool, "Invalid expression: expected a number at position \(start)")
            }
            return value
        }
    }
}
