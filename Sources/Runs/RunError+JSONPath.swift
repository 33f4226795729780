public import Storage

/// The run layer reads scenario, domain and task files through Storage's `JSONPathReader`; this is
/// where its errors become run errors.
extension RunError {
    /// The reader's error as an `invalidInput` run error at the same file and path.
    public init(_ error: JSONPathError) {
        self.init(.invalidInput, error.message, file: error.file, path: error.path)
    }
}

extension JSONPathReader where Failure == RunError {
    /// A reader whose errors are `invalidInput` run errors.
    public init(_ value: JSONValue, file: String?, path: String = "$") {
        self.init(value, file: file, path: path) { RunError($0) }
    }
}
