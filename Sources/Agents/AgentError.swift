/// The one error type of the Agents module: what went wrong while assembling or running an agent's
/// turn, said so that a user can act on it.
///
/// A model that answers badly is not an error: it becomes a failed turn (``AgentTurn/Outcome/failed(_:)``).
/// `AgentError` is for inputs the caller controls (an unknown viewer, a damaged log) and for
/// cancellation.
public struct AgentError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's name.
        public var rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { rawValue }

        /// The agent or its context is inconsistent (an id not in the roster, a bad setting).
        public static let invalidInput = Code(rawValue: "invalidInput")
        /// The log could not be projected for the agent (see the underlying `MemoryError`).
        public static let projection = Code(rawValue: "projection")
        /// An action object does not have the shape of the action protocol.
        public static let invalidAction = Code(rawValue: "invalidAction")
        /// The task was cancelled while the agent waited for its model.
        public static let cancelled = Code(rawValue: "cancelled")
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

    /// `code: message`, then the underlying error when there is one.
    public var description: String {
        var text = "\(code): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
