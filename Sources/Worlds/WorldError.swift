/// The one error type of the Worlds module: a world that cannot be built (inconsistent options or
/// agents) or cannot go on (no one can speak). Worlds read no files, so there is no file or path:
/// the caller that read the scenario names those.
public struct WorldError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable, CustomStringConvertible {
        /// The world's options or agents are inconsistent (exit 2).
        case invalidInput
        /// A world could not continue (e.g. no one can speak).
        case world

        /// The code's name.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// The error underneath, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The message (what went wrong and what to do).
    public var description: String { message }
}
