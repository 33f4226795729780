/// A JSON document does not have the shape its reader expects: the file, the JSON path and a message
/// that says what to do.
///
/// ``JSONPathReader`` builds these; each module maps them into its own error in one place (Population
/// into `PopulationError`, the run layer into `RunError`).
public struct JSONPathError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file the document came from, if any.
    public var file: String?
    /// The JSON path of the offending value, e.g. `$.nodes[2].prior`.
    public var path: String
    /// What is wrong and how to fix it, e.g. `missing; add a string "id"`.
    public var message: String

    /// Creates an error.
    public init(file: String?, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    /// `file: path: message`, leaving out an unknown file.
    public var description: String {
        [file, path, message].compactMap { $0 }.joined(separator: ": ")
    }
}
