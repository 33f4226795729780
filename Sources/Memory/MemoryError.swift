/// The one error type of the Memory module: a code, a message that says what to do, and the
/// underlying error when there is one.
public struct MemoryError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases, suitable for `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The short machine name of the code.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// An event or roster names a participant that is not in the roster.
        public static let unknownParticipant = Code("unknownParticipant")
        /// Event sequence numbers are not strictly increasing (or, for appends, not dense).
        public static let nonMonotonicSequence = Code("nonMonotonicSequence")
        /// A tool result does not directly follow its tool call.
        public static let orphanToolResult = Code("orphanToolResult")
        /// An event or participant is malformed (missing field, bad id, bad membership).
        public static let invalidEvent = Code("invalidEvent")
        /// A roster is malformed (duplicate id, reserved or invalid display name).
        public static let invalidRoster = Code("invalidRoster")
        /// A file could not be parsed (JSON Lines log, schema, tree, ops).
        public static let parseFailure = Code("parseFailure")
        /// A file could not be read or written.
        public static let fileAccess = Code("fileAccess")
        /// A tree path or PersonaTree schema is malformed.
        public static let invalidTree = Code("invalidTree")
        /// SQLite persistence failed.
        public static let storage = Code("storage")
        /// A model call failed.
        public static let model = Code("model")
    }

    /// The kind of failure.
    public var code: Code
    /// A human message naming what went wrong, where (file, line) and how to fix it.
    public var message: String
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The message, followed by the underlying error except for file access and parse failures,
    /// whose messages already name the file, line and column (the underlying text would repeat it).
    public var description: String {
        if let underlying, code != .fileAccess, code != .parseFailure { return "\(message) (\(underlying))" }
        return message
    }
}
