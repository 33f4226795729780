import Foundation
import Inference
public import Runs
public import Storage
import Synchronization

/// What a native tool may use while it runs (spec §10.2).
public struct ToolContext {
    /// The episode database (inside the call's savepoint).
    public let connection: Connection
    /// The domain's fixed clock (ISO timestamp).
    public let clock: String
    /// Who called.
    public let side: ToolSide
    let generators: [IDGenerator]

    /// The next id of a named generator (stored in the episode DB, so it rolls back with the call).
    public func nextID(_ generator: String) throws -> String {
        guard let spec = generators.first(where: { $0.name == generator }) else {
            throw RunError(.tool, "unknown id generator \(generator)")
        }
        let row = try connection.queryOne("SELECT next FROM _agora_ids WHERE name = ?", [.text(generator)])
        let next = row.flatMap { try? $0.int("next") } ?? spec.start
        try connection.run(
            "INSERT INTO _agora_ids(name, next) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET next = excluded.next",
            [.text(generator), .integer(next + 1)])
        return spec.format(next)
    }

    /// Throws a tool error with `message` (what the agent sees after "Error: ").
    public func fail(_ message: String) -> RunError { RunError(.tool, message) }
}

/// A named deterministic id sequence (`{"format": "T%05d", "start": 10001}`).
public struct IDGenerator: Sendable, Hashable {
    /// The generator's name.
    public var name: String
    /// A format with one `%d` or `%0Nd`.
    public var pattern: String
    /// The first number.
    public var start: Int64

    /// The id for `number`.
    public func format(_ number: Int64) -> String {
        guard let range = pattern.range(of: "%") else { return pattern + String(number) }
        var rest = pattern[range.upperBound...]
        var width = 0
        var zero = false
        if rest.first == "0" {
            zero = true
            rest = rest.dropFirst()
        }
        while let c = rest.first, let d = c.wholeNumberValue {
            width = width * 10 + d
            rest = rest.dropFirst()
        }
        guard rest.first == "d" else { return pattern + String(number) }
        rest = rest.dropFirst()
        var digits = String(number)
        if digits.count < width { digits = String(repeating: zero ? "0" : " ", count: width - digits.count) + digits }
        return String(pattern[..<range.lowerBound]) + digits + String(rest)
    }
}

/// The outcome of one tool call as the caller sees it.
public struct ToolResult: Sendable, Hashable, Codable {
    /// The text returned to the caller (`"Error: …"` on failure).
    public var content: String
    /// Whether the call failed (it counts toward `maxErrors`; its changes were rolled back).
    public var error: Bool
}

/// A native tool: a Swift function over the arguments and the context.
public typealias NativeToolFunction = @Sendable (JSONObject, ToolContext) throws -> JSONValue

/// One episode's live state: a SQLite database cloned from the domain's pristine template, and the tools.
///
/// Synchronous; every method holds the environment's lock, so the world running the episode (its
/// tool executor) and the caller who grades the final state can share it. Episode databases are
/// small and in memory: a call takes microseconds to a few milliseconds and never awaits.
///
/// `@unchecked Sendable`: it wraps a SQLite connection (a C handle, single-threaded) and the call
/// counter, and guards both with `lock` (recursive: `digest()` reads `touched()` under the same lock).
public final class ToolEnvironment: @unchecked Sendable {
    /// The domain.
    public let domain: ToolDomain
    /// The episode database (use it only through the environment's methods, which hold the lock).
    let connection: Connection
    private let lock = NSRecursiveLock()
    private var recordedTransfers: [String] = []
    private var calls = 0

    /// Transfer summaries recorded by transfer tools, in order.
    public var transfers: [String] { lock.withLock { recordedTransfers } }

    /// A fresh environment: the pristine state, then the task's initial state (data patches, then actions).
    public init(domain: ToolDomain, task: ToolTask? = nil) throws {
        self.domain = domain
        self.connection = try domain.makeConnection()
        if let task {
            if let data = task.initializationData { try applyInitializationData(data) }
            for action in task.initializationActions {
                let result = call(action.name, arguments: action.arguments, side: action.requestor)
                if result.error {
                    throw RunError(
                        .invalidInput,
                        "initialization action \(action.actionID) (\(action.name)) failed: \(result.content)",
                        file: "tasks.json", path: "task \(task.id)")
                }
            }
        }
    }

    /// Calls a tool with arguments given as JSON text (as models send them).
    public func call(_ name: String, argumentsText: String, side: ToolSide) -> ToolResult {
        lock.lock()
        defer { lock.unlock() }
        let trimmed = argumentsText.trimmingCharacters(in: .whitespacesAndNewlines)
        let parsed: JSONValue
        if trimmed.isEmpty {
            parsed = .object(JSONObject())
        } else {
            guard let value = try? JSONValue.parse(trimmed) else {
                calls += 1
                return ToolResult(content: "Error: invalid arguments: not valid JSON", error: true)
            }
            parsed = value
        }
        return call(name, arguments: parsed, side: side)
    }

    /// Calls a tool: validates the arguments against its schema, runs it in `SAVEPOINT call_<n>`,
    /// rolls back on error. Unknown tools, wrong sides and invalid arguments are errors with no state change.
    public func call(_ name: String, arguments: JSONValue, side: ToolSide) -> ToolResult {
        lock.lock()
        defer { lock.unlock() }
        calls += 1
        guard let tool = domain.tool(named: name, side: side) else {
            return ToolResult(content: "Error: Tool '\(name)' not found.", error: true)
        }
        guard case .object(let args) = arguments else {
            return ToolResult(content: "Error: invalid arguments: expected a JSON object", error: true)
        }
        let problems = SchemaValidator.validate(arguments, against: domain.validationSchema(for: tool))
        if !problems.isEmpty {
            return ToolResult(content: "Error: invalid arguments: " + problems.joined(separator: "; "), error: true)
        }
        let context = ToolContext(
            connection: connection, clock: domain.manifest.clock, side: side, generators: domain.manifest.idGenerators)
        do {
            let output = try connection.savepoint("call_\(calls)") { () throws -> JSONValue in
                switch tool.kind {
                case .think: return .string("")
                case .transfer where tool.implementation == .native("builtin.transfer"):
                    return .string("Transfer successful")
                default: break
                }
                switch tool.implementation {
                case .native(let function):
                    guard let body = NativeTools.function(function) else {
                        throw RunError(.tool, "tool \(name) has no implementation")
                    }
                    return try body(args, context)
                case .sql(let template):
                    return try SQLToolRunner.run(template, arguments: args, context: context)
                }
            }
            if tool.kind == .transfer {
                recordedTransfers.append(args["summary"]?.stringValue ?? args.values.first?.stringValue ?? "")
            }
            if !domain.manifest.sync.isEmpty { try? connection.execute(domain.manifest.sync.joined(separator: ";\n")) }
            return ToolResult(content: Self.text(output), error: false)
        } catch let error as RunError {
            return ToolResult(content: "Error: " + error.message, error: true)
        } catch let error as StorageError {
            return ToolResult(content: "Error: " + error.message, error: true)
        } catch {
            return ToolResult(content: "Error: \(error)", error: true)
        }
    }

    /// The text of a tool output: strings as they are, everything else as compact JSON.
    public static func text(_ output: JSONValue) -> String {
        if case .string(let s) = output { return s }
        return output.serialized()
    }

    /// The canonical digest of the state tables (spec §10.3), cached per distinct state.
    public func digest() throws -> StateDigest {
        lock.lock()
        defer { lock.unlock() }
        let key = try fingerprint()
        if let cached = domain.cachedDigest(key) { return cached }
        let digest = try StateSnapshot.digest(connection, tables: domain.manifest.stateTables)
        domain.cacheDigest(key, digest)
        return digest
    }

    /// The keys of every state row changed since the pristine template, per table (SQL literals).
    public func touched() throws -> [String: [String]] {
        lock.lock()
        defer { lock.unlock() }
        var out: [String: [String]] = [:]
        for row in try connection.query("SELECT tbl, key FROM _agora_touched ORDER BY tbl, key") {
            out[try row.string("tbl"), default: []].append(try row.string("key"))
        }
        return out
    }

    /// A fingerprint of the changed rows' current content: equal fingerprints mean equal states.
    func fingerprint() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let touched = try touched()
        var hasher = SHA256()
        for table in domain.manifest.stateTables.sorted(by: { $0.name < $1.name }) {
            guard let keys = touched[table.name], !keys.isEmpty else { continue }
            hasher.update(table.name + "\n")
            for key in keys.sorted() {
                let texts = try StateSnapshot.rowTexts(connection, table, filter: StateSnapshot.keyFilter(table, [key]))
                hasher.update(key + "\t" + (texts.first ?? "-") + "\n")
            }
        }
        return SHA256.hex(hasher.finalize())
    }

    /// Whether this state equals another environment's of the same domain (compares only changed rows).
    public func sameState(as other: ToolEnvironment) throws -> Bool {
        try diff(from: other).isEmpty
    }

    /// The row-level differences from `other` (e.g. the gold target) to this state.
    public func diff(from other: ToolEnvironment) throws -> [RowChange] {
        lock.lock()
        defer { lock.unlock() }
        other.lock.lock()
        defer { other.lock.unlock() }
        var keys = try touched()
        for (table, list) in try other.touched() {
            keys[table] = Array(Set((keys[table] ?? []) + list)).sorted()
        }
        return try StateSnapshot.diff(
            before: other.connection, after: connection, tables: domain.manifest.stateTables, touched: keys)
    }

    /// Runs an assertion against the current state; returns whether it holds.
    public func check(_ assertion: EnvAssertion) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if let sql = assertion.sql {
            guard let row = try? connection.queryOne(sql), let first = row.values.first else {
                return assertion.expect == .null || assertion.expect == .bool(false)
            }
            var value = StateSnapshot.canonicalValue(first, json: false)
            if case .bool = assertion.expect, case .integer(let i) = value { value = .bool(i != 0) }
            return CanonicalJSON.string(value) == CanonicalJSON.string(assertion.expect)
        }
        if let function = assertion.function, let body = NativeTools.assertion(function) {
            let context = ToolContext(
                connection: connection, clock: domain.manifest.clock, side: .agent,
                generators: domain.manifest.idGenerators)
            guard let value = try? body(assertion.arguments.objectValue ?? JSONObject(), context) else { return false }
            return CanonicalJSON.string(value) == CanonicalJSON.string(assertion.expect)
        }
        return false
    }

    /// Applies tau2 `initialization_data` (`{"agent_data": {table: {key: partial document}}}`) or
    /// relational rows (`{"agent_data": {table: [rows]}}`).
    func applyInitializationData(_ data: JSONValue) throws {
        lock.lock()
        defer { lock.unlock() }
        let agentData = data["agent_data"] ?? data
        guard case .object(let tables) = agentData else { return }
        for (table, content) in tables {
            if let rows = content.arrayValue {
                for row in rows { try SeedLoader.insert(row, into: table, connection: connection, replace: true) }
            } else if case .object(let docs) = content {
                for (key, patch) in docs {
                    let existing = try connection.queryOne(
                        "SELECT doc FROM \(StateSnapshot.quoteIdentifier(table)) WHERE key = ?", [.text(key)])
                    let base = try existing.map { try JSONValue.parse(try $0.string("doc")) } ?? .object(JSONObject())
                    let merged = DocumentStore.merge(base, patch)
                    try connection.run(
                        "INSERT INTO \(StateSnapshot.quoteIdentifier(table))(key, doc) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET doc = excluded.doc",
                        [.text(key), .text(CanonicalJSON.string(merged))])
                }
            }
        }
    }
}
