public import Foundation
import Memory
public import Runs
public import Storage
import Synchronization

/// `domain.json`: what a domain package declares (spec §10.2).
public struct DomainManifest: Sendable, Hashable {
    /// The domain name.
    public var name: String
    /// Its version.
    public var version: String
    /// The fixed clock returned by `now()` and substituted for `{{now}}` in the policy.
    public var clock: String
    /// Named id sequences.
    public var idGenerators: [IDGenerator]
    /// The tables included in the digest.
    public var stateTables: [StateTable]
    /// SQL run after each successful tool call (declarative sync rules).
    public var sync: [String]
    /// The transfer tool's name and behaviour (`terminate` or `tau2`).
    public var transferTool: String?
    /// `terminate` (the episode ends after the transfer's result) or `tau2` (it goes on until the user leaves).
    public var transferBehavior: String
    /// The agent's fixed first message.
    public var firstAgentMessage: String
    /// The schema file (relational domains).
    public var schemaFile: String?
    /// The seed file.
    public var seedFile: String?
    /// `rows` (`{"table": [rows]}`) or `tau2-documents` (an imported tau2 `db.json`).
    public var seedFormat: String
    /// Parties on the agent's side besides the agent under test, who join when a tool brings them
    /// in (`parties`; empty for two-party domains).
    public var parties: [DomainParty] = []
}

/// A loaded domain package: manifest, policy, tools, tasks, splits, persona library, and a pristine state template.
public final class ToolDomain: Sendable {
    /// The folder it was loaded from.
    public let directory: URL
    /// The manifest.
    public let manifest: DomainManifest
    /// The policy with `{{now}}` and `{{domain_name}}` filled in.
    public let policy: String
    /// Every tool, in file order.
    public let tools: [ToolSpec]
    /// Every task, in file order.
    public let tasks: [ToolTask]
    /// Named splits (`base` first), in file order.
    public let splits: [(name: String, ids: [String])]
    /// `personas.json`, if present.
    public let personas: PersonaLibrary?
    private let validationSchemas: [String: JSONValue]
    /// Digests of states already seen, keyed by the fingerprint of their changed rows (states cloned from
    /// one template with the same changed rows are the same state).
    func cachedDigest(_ key: String) -> StateDigest? { store.digestCache.withLock { $0[key] } }
    func cacheDigest(_ key: String, _ digest: StateDigest) { store.digestCache.withLock { $0[key] = digest } }
    private let store: StateTemplate

    /// The tool a side may call under `name`, if any.
    public func tool(named name: String, side: ToolSide) -> ToolSpec? {
        tools.first { $0.name == name && $0.side == side }
    }

    /// The tools of one side that its main party may call (not those reserved for a domain party), in file order.
    public func tools(for side: ToolSide) -> [ToolSpec] { tools(for: side, party: nil) }

    /// The tools of one side that `party` may call: the side's shared tools and the party's own, in file order.
    public func tools(for side: ToolSide, party: String?) -> [ToolSpec] {
        tools.filter { $0.side == side && ($0.party == nil || $0.party == party) }
    }

    /// The task with this id.
    public func task(_ id: String) -> ToolTask? { tasks.first { $0.id == id } }

    /// The ids of a split, if it exists.
    public func split(_ name: String) -> [String]? { splits.first { $0.name == name }?.ids }

    func validationSchema(for tool: ToolSpec) -> JSONValue {
        validationSchemas[tool.side.rawValue + ":" + tool.name] ?? tool.resolvedParameters
    }

    /// A new in-memory database holding the pristine state (SQLite backup API), sandboxed for data
    /// only: tool SQL, assertions and sync statements can read and write rows, never attach another
    /// database, change the schema or call a function outside ``SQLSandbox/allowedFunctions``.
    public func makeConnection() throws -> Connection {
        let connection = try Connection(.memory)
        try store.connection.withLock { (source: inout Connection) throws in try source.backup(to: connection) }
        try connection.sandbox(.data)
        return connection
    }

    init(
        directory: URL, manifest: DomainManifest, policy: String, tools: [ToolSpec], tasks: [ToolTask],
        splits: [(name: String, ids: [String])], personas: PersonaLibrary?, store: StateTemplate
    ) {
        self.directory = directory
        self.manifest = manifest
        self.policy = policy
        self.tools = tools
        self.tasks = tasks
        self.splits = splits
        self.personas = personas
        var schemas: [String: JSONValue] = [:]
        for tool in tools { schemas[tool.side.rawValue + ":" + tool.name] = tool.resolvedParameters }
        self.validationSchemas = schemas
        self.store = store
    }

    /// The same domain (sharing its pristine state) with other tasks.
    public func replacingTasks(_ tasks: [ToolTask]) -> ToolDomain {
        ToolDomain(
            directory: directory, manifest: manifest, policy: policy, tools: tools, tasks: tasks, splits: splits,
            personas: personas, store: store)
    }

    /// Loads a domain package from a folder; every problem names the file and the JSON path.
    public static func load(_ directory: URL) throws(RunError) -> ToolDomain {
        do {
            return try DomainLoader(directory: directory).load()
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError(.io, "cannot load the domain at \(directory.path): \(error)", underlying: error)
        }
    }
}

/// The pristine state of a domain; episodes clone it with the SQLite backup API. The lock serialises
/// backups (a `Connection` is single-threaded).
final class StateTemplate: Sendable {
    let connection: Mutex<Connection>
    /// Digests of states already seen, keyed by the fingerprint of their changed rows.
    let digestCache = Mutex<[String: StateDigest]>([:])

    init(_ connection: consuming sending Connection) { self.connection = Mutex(connection) }
}
