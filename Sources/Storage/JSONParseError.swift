/// A JSON text could not be parsed; says where and why.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line of the problem.
    public var line: Int
    /// The 1-based column of the problem, counted in Unicode scalars from the start of the line.
    public var column: Int
    /// What is wrong, e.g. "expected ',' or '}' after an object member".
    public var message: String

    /// Creates an error at a position.
    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// "line L, column C: message".
    public var description: String {
        "JSON parse error at line \(line), column \(column): \(message)"
    }
}
