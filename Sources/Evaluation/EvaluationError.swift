/// The error of the Evaluation module: what went wrong, where, and what to do about it.
///
/// `agora` maps it to exit 2 (bad input); an unusable model endpoint surfaces as the `Inference`
/// error underneath it is not wrapped in, so it keeps exit 3.
public struct EvaluationError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// A setting is malformed (a judge spec, a metric list, a speaker name, `--sample`).
        case invalidInput
        /// The run cannot be evaluated (not a conversation run, nothing done, damaged events).
        case invalidRun
    }

    /// The kind of failure.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String
    /// The file or folder involved, if any.
    public var file: String?
    /// The JSON path inside the file, if any.
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
