import Foundation
public import Storage

/// Builds a ``RunKind`` from a scenario document: the registration side of a kind.
public protocol RunKindLoader: Sendable {
    /// The `kind` values of scenario files and manifests this loader reads (`survey`, `interview`…).
    static var names: [String] { get }

    /// Builds the kind from a scenario document (a new run, or the manifest's copy on resume and
    /// `agora report`).
    ///
    /// - Throws: ``RunError`` with code `invalidInput`, naming the file and JSON path, for a
    ///   document that does not describe a valid run of this kind.
    static func load(_ source: RunSource) async throws -> any RunKind
}

/// Everything a loader is given.
public struct RunSource: Sendable {
    /// Why the kind is being loaded.
    public enum Purpose: Sendable, Hashable {
        /// A new run.
        case newRun
        /// `--resume`: the manifest's document; referenced files may have moved, and settings given
        /// again on the command line win over the stored ones.
        case resume
        /// `agora report`: only the outputs are rebuilt (no model is needed).
        case report
    }

    /// The scenario document.
    public var document: JSONValue
    /// The file it came from, if any.
    public var file: String?
    /// Why it is loaded.
    public var purpose: Purpose
    /// Settings from the command line that override the document's (`seed`, `agent`, `trials`…).
    public var overrides: JSONObject
    /// The models the run may call.
    public var models: any ModelProvider

    /// Creates a source.
    public init(
        document: JSONValue, file: String? = nil, purpose: Purpose = .newRun, overrides: JSONObject = JSONObject(),
        models: any ModelProvider = NoModels()
    ) {
        self.document = document
        self.file = file
        self.purpose = purpose
        self.overrides = overrides
        self.models = models
    }

    /// The folder relative paths resolve against: the file's folder, else the working directory.
    public var baseDirectory: String? {
        file.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
    }

    /// Whether referenced files must exist now (false when re-reading a stored document).
    public var checksFiles: Bool { purpose == .newRun }
}

/// The kinds a build of Agora knows, by name.
public struct RunKindRegistry: Sendable {
    private var loaders: [(name: String, loader: any RunKindLoader.Type)] = []

    /// An empty registry.
    public init() {}

    /// Creates a registry of `loaders` (a later loader's names override an earlier one's).
    public init(_ loaders: [any RunKindLoader.Type]) {
        for loader in loaders { register(loader) }
    }

    /// Adds a loader under each of its names.
    public mutating func register(_ loader: any RunKindLoader.Type) {
        for name in loader.names {
            loaders.removeAll { $0.name == name }
            loaders.append((name, loader))
        }
    }

    /// A copy with `loader` added.
    public func adding(_ loader: any RunKindLoader.Type) -> RunKindRegistry {
        var copy = self
        copy.register(loader)
        return copy
    }

    /// Every registered name, in registration order.
    public var names: [String] { loaders.map(\.name) }

    /// The loader of `name`, if any.
    public func loader(_ name: String) -> (any RunKindLoader.Type)? {
        loaders.first { $0.name == name }?.loader
    }

    /// Loads the kind named by the document's `kind`.
    ///
    /// - Throws: ``RunError`` (`invalidInput`, at `$.kind`) when the kind is missing or unknown.
    public func load(_ source: RunSource) async throws -> any RunKind {
        guard let name = source.document["kind"]?.stringValue else {
            throw RunError(
                .invalidInput, "missing \"kind\"; use one of \(names.joined(separator: ", "))", file: source.file,
                path: "$.kind")
        }
        guard let loader = loader(name) else {
            throw RunError(
                .invalidInput, "unknown kind \"\(name)\"; use one of \(names.joined(separator: ", "))",
                file: source.file, path: "$.kind")
        }
        return try await loader.load(source)
    }
}
