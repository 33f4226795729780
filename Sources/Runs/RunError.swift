/// The error of the run layer (Runs and the kinds built on it: Scenarios, ToolTasks, Environments):
/// what went wrong, where (file and JSON path when it came from a file), and what to do about it.
///
/// The kinds share it so a unit's error reaches the engine typed and `agora` maps it to exit 2.
public struct RunError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's name.
        public var rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { rawValue }

        /// A scenario, domain, task or persona file is malformed or inconsistent (exit 2).
        public static let invalidInput = Code(rawValue: "invalidInput")
        /// A file could not be read or written.
        public static let io = Code(rawValue: "io")
        /// The run store is damaged, locked, or belongs to another scenario.
        public static let runStore = Code(rawValue: "runStore")
        /// A world could not continue (e.g. no one can speak).
        public static let world = Code(rawValue: "world")
        /// A tool call failed in a way the agent should see (rolled back).
        public static let tool = Code(rawValue: "tool")
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
