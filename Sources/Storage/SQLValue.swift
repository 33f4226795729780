/// A value as SQLite stores it: one of its five storage classes.
public enum SQLValue: Sendable, Hashable {
    /// NULL.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// A double.
    case real(Double)
    /// UTF-8 text (may contain NUL characters).
    case text(String)
    /// Bytes.
    case blob([UInt8])

    /// Whether this is NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// `1` for `true`, `0` for `false`, as SQLite stores Booleans.
    public static func bool(_ value: Bool) -> SQLValue {
        .integer(value ? 1 : 0)
    }
}

extension SQLValue: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral
{
    /// Creates NULL.
    public init(nilLiteral: ()) {
        self = .null
    }

    /// Creates an integer.
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }

    /// Creates a real.
    public init(floatLiteral value: Double) {
        self = .real(value)
    }

    /// Creates text.
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}
