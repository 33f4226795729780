/// The one error type of the Worlds module: a world that cannot be built (bad options) or cannot go
/// on (no one can speak), with what to do about it.
public struct WorldError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's name.
        public var rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { rawValue }

        /// The world's options or agents are inconsistent (exit 2).
        public static let invalidInput = Code(rawValue: "invalidInput")
        /// A world could not continue (e.g. no one can speak).
        public static let world = Code(rawValue: "world")
    }

    /// The kind of failure.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// The file involved, if any.
    public var file: String?
    /// The JSON path (`$.phases[2].turns`) or line (`line 7`) inside the file, if any.
    public var path: String?
    /// The error underneath, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, file: String? = nil, path: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.file = file
        self.path = path
        self.underlying = underlying
    }

    /// `file: path: message`, leaving out what is unknown.
    public var description: String {
        [file, path, message].compactMap { $0 }.joined(separator: ": ")
    }
}
