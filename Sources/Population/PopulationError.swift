import Storage

/// The one error type of the Population module.
///
/// Every error names what went wrong (`code`), where (the file and the JSON path when the error comes from
/// a file) and what to do about it (`message`), and keeps the error that caused it, if any (`underlying`).
public struct PopulationError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; extensible, compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code, e.g. `"infeasibleTargets"`.
        public let name: String
        /// Creates a code from its stable name.
        public init(_ name: String) { self.name = name }
        /// The stable name.
        public var description: String { name }

        /// The quota targets cannot all be met (they demand people in impossible cells, or disagree).
        public static let infeasibleTargets = Code("infeasibleTargets")
        /// A quota cell has fewer distinct feasible personas than slots.
        public static let cellExhausted = Code("cellExhausted")
        /// The taxonomy file is malformed (unknown id, cycle, bad type or literal).
        public static let invalidTaxonomy = Code("invalidTaxonomy")
        /// The population spec is malformed.
        public static let invalidSpec = Code("invalidSpec")
        /// A rule does not parse or does not type-check against the taxonomy.
        public static let invalidRule = Code("invalidRule")
        /// A CSV table is malformed (missing cell, bad number, unknown value).
        public static let invalidCSV = Code("invalidCSV")
        /// A persona file (JSONL or TinyTroupe) is malformed.
        public static let invalidPersona = Code("invalidPersona")
        /// Reading or writing a file failed.
        public static let io = Code("io")
        /// The language model failed while writing narratives.
        public static let narrative = Code("narrative")
        /// The cell space is too large.
        public static let tooManyCells = Code("tooManyCells")
    }

    /// What kind of failure this is.
    public let code: Code
    /// A human message: the file, the JSON path, the reason and the fix.
    public let message: String
    /// The file the error is about, if any.
    public let file: String?
    /// The JSON path (`$.nodes[2].prior`) or CSV location inside `file`, if any.
    public let path: String?
    /// The error that caused this one, if any.
    public let underlying: (any Error & Sendable)?

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

    /// `code: file: path: message (underlying)`.
    public var description: String {
        var text = "\(code.name): "
        if let file { text += "\(file): " }
        if let path { text += "\(path): " }
        text += message
        if let underlying { text += " (\(underlying))" }
        return text
    }
}

/// Population's loaders read JSON through Storage's `JSONPathReader`; this is where its errors become
/// population errors (the reader's file and path, the loader's code).
extension PopulationError {
    /// The reader's error as a population error with `code`.
    init(_ code: Code, _ error: JSONPathError) {
        self.init(code, error.message, file: error.file, path: error.path)
    }
}

extension JSONPathReader where Failure == PopulationError {
    /// A reader whose errors are population errors with `code`.
    init(_ value: JSONValue, file: String?, path: String = "$", code: PopulationError.Code) {
        self.init(value, file: file, path: path) { PopulationError(code, $0) }
    }

    /// The same value, its errors with another `code` (rules inside a taxonomy are `invalidRule`).
    func coded(_ code: PopulationError.Code) -> Self {
        mappingErrors { PopulationError(code, $0) }
    }

    /// Rejects unknown keys; keys starting with `_` and `description` are comments in population files.
    func checkKeys(_ allowed: [String]) throws(PopulationError) {
        try allowOnly(allowed) { $0.hasPrefix("_") || $0 == "description" }
    }
}
