import Foundation
import Memory
import Runs
import Storage
import Synchronization

/// Reads a domain folder.
struct DomainLoader {
    let directory: URL

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func readJSON(_ name: String) throws -> JSONValue {
        let url = file(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunError(.io, "cannot read \(url.path)", file: name)
        }
        do { return try JSONValue.parse(data) } catch {
            throw RunError(.invalidInput, "not valid JSON: \(error.message)", file: name, path: "line \(error.line)")
        }
    }

    func load() throws -> ToolDomain {
        let manifestJSON = try readJSON("domain.json")
        var manifest = try parseManifest(manifestJSON)
        var tools: [ToolSpec] = []
        if let list = manifestJSON["tools"]?.arrayValue {
            for (i, t) in list.enumerated() {
                tools.append(try parseTool(t, file: "domain.json", path: "$.tools[\(i)]"))
            }
        }
        let toolsDir = file("tools")
        if let names = try? FileManager.default.contentsOfDirectory(atPath: toolsDir.path) {
            for name in names.filter({ $0.hasSuffix(".json") }).sorted() {
                let rel = "tools/" + name
                let json = try readJSON(rel)
                if let list = json["tools"]?.arrayValue {
                    for (i, t) in list.enumerated() { tools.append(try parseTool(t, file: rel, path: "$.tools[\(i)]")) }
                } else {
                    tools.append(try parseTool(json, file: rel, path: "$"))
                }
            }
        }
        var seen = Set<String>()
        for tool in tools {
            guard seen.insert(tool.side.rawValue + ":" + tool.name).inserted else {
                throw RunError(.invalidInput, "tool \(tool.name) is defined twice", file: "tools/")
            }
        }
        if let transfer = manifest.transferTool, !tools.contains(where: { $0.name == transfer }) {
            throw RunError(
                .invalidInput, "transferTool names unknown tool \"\(transfer)\"", file: "domain.json",
                path: "$.transferTool.name")
        }
        manifest.parties = try parseParties(manifestJSON, tools: tools)
        let template = try Connection(.memory)
        try buildState(template, manifest: &manifest)
        let (clock, name) = (manifest.clock, manifest.name)
        func fill(_ text: String) -> String {
            text.replacingOccurrences(of: "{{now}}", with: clock).replacingOccurrences(
                of: "{{domain_name}}", with: name)
        }
        let policy = fill((try? String(contentsOf: file("policy.md"), encoding: .utf8)) ?? "")
        for i in manifest.parties.indices { manifest.parties[i].policy = fill(manifest.parties[i].policy) }
        let tasks = try loadTasks(tools: tools, parties: manifest.parties)
        let splits = try loadSplits(tasks: tasks)
        var personas: PersonaLibrary? = nil
        if FileManager.default.fileExists(atPath: file("personas.json").path) {
            personas = try PersonaLibrary.parse(try readJSON("personas.json"), file: "personas.json")
        }
        return ToolDomain(
            directory: directory, manifest: manifest, policy: policy, tools: tools, tasks: tasks, splits: splits,
            personas: personas, store: StateTemplate(template))
    }

    func parseManifest(_ json: JSONValue) throws -> DomainManifest {
        func fail(_ p: String, _ m: String) -> RunError { RunError(.invalidInput, m, file: "domain.json", path: p) }
        guard case .object(let o) = json else { throw fail("$", "domain.json must be a JSON object") }
        guard let name = o["name"]?.stringValue else { throw fail("$.name", "missing domain name") }
        var generators: [IDGenerator] = []
        for (key, value) in o["idGenerators"]?.objectValue ?? JSONObject() {
            guard let format = value["format"]?.stringValue else {
                throw fail("$.idGenerators.\(key).format", "missing format (e.g. \"T%05d\")")
            }
            generators.append(IDGenerator(name: key, pattern: format, start: value["start"]?.intValue ?? 1))
        }
        var tables: [StateTable] = []
        if let list = o["stateTables"]?.arrayValue {
            for (i, t) in list.enumerated() {
                guard let tn = t["name"]?.stringValue, let pk = t["primaryKey"]?.arrayValue?.compactMap(\.stringValue),
                    !pk.isEmpty
                else {
                    throw fail(
                        "$.stateTables[\(i)]", "a state table needs \"name\" and a non-empty \"primaryKey\" list")
                }
                tables.append(
                    StateTable(
                        name: tn, primaryKey: pk,
                        jsonColumns: t["jsonColumns"]?.arrayValue?.compactMap(\.stringValue) ?? []))
                if o["seedFormat"]?.stringValue == "tau2-documents", pk == ["key"] {
                    tables[tables.count - 1].trustedCanonical = true
                }
            }
        }
        let seedFormat = o["seedFormat"]?.stringValue ?? "rows"
        guard seedFormat == "rows" || seedFormat == "tau2-documents" else {
            throw fail("$.seedFormat", "must be rows or tau2-documents")
        }
        let behavior = o["transferTool"]?["behavior"]?.stringValue ?? "terminate"
        guard behavior == "terminate" || behavior == "tau2" else {
            throw fail("$.transferTool.behavior", "must be terminate or tau2")
        }
        return DomainManifest(
            name: name, version: o["version"]?.stringValue ?? "1",
            clock: o["clock"]?.stringValue ?? "2024-05-15T15:00:00",
            idGenerators: generators, stateTables: tables, sync: o["sync"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            transferTool: o["transferTool"]?["name"]?.stringValue, transferBehavior: behavior,
            firstAgentMessage: o["firstAgentMessage"]?.stringValue ?? "Hi! How can I help you today?",
            schemaFile: o["schema"]?.stringValue ?? (seedFormat == "rows" ? "schema.sql" : nil),
            seedFile: o["seed"]?.stringValue ?? (seedFormat == "rows" ? "seed.json" : "db.json"), seedFormat: seedFormat
        )
    }

    func parseTool(_ json: JSONValue, file: String, path: String) throws -> ToolSpec {
        func fail(_ p: String, _ m: String) -> RunError { RunError(.invalidInput, m, file: file, path: p) }
        guard case .object(let o) = json else { throw fail(path, "a tool must be a JSON object") }
        guard let name = o["name"]?.stringValue, !name.isEmpty else { throw fail(path + ".name", "missing tool name") }
        guard let kindText = o["kind"]?.stringValue, let kind = ToolKind(rawValue: kindText) else {
            throw fail(path + ".kind", "kind must be one of read, write, think, generic, transfer")
        }
        let side = ToolSide(rawValue: o["side"]?.stringValue ?? "agent")
        guard let side else { throw fail(path + ".side", "side must be agent or user") }
        let parameters =
            o["parameters"] ?? .object(JSONObject([("type", "object"), ("properties", .object(JSONObject()))]))
        if let (p, reason) = SchemaRefs.problems(parameters, path: path + ".parameters").first {
            throw fail(p, "invalid tool schema: \(reason)")
        }
        let implementation: ToolImplementation
        if let native = o["native"]?.stringValue {
            guard NativeTools.function(native) != nil else {
                throw fail(path + ".native", "no native tool named \"\(native)\"")
            }
            implementation = .native(native)
        } else if case .object(let sql) = o["sql"] {
            var pre: [SQLToolTemplate.Precondition] = []
            for (i, p) in (sql["preconditions"]?.arrayValue ?? []).enumerated() {
                guard let q = p["query"]?.stringValue else {
                    throw fail(path + ".sql.preconditions[\(i)].query", "missing query")
                }
                pre.append(.init(query: q, error: p["error"]?.stringValue ?? "precondition failed"))
            }
            implementation = .sql(
                SQLToolTemplate(
                    preconditions: pre, statements: sql["statements"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                    result: sql["result"]?.stringValue, shape: sql["shape"]?.stringValue ?? "rows",
                    message: sql["message"]?.stringValue, notFound: sql["not_found"]?.stringValue))
        } else if kind == .think || kind == .transfer {
            implementation = .native(kind == .think ? "builtin.think" : "builtin.transfer")
        } else {
            throw fail(path, "a tool needs \"native\" (a Swift function name) or \"sql\" (a template)")
        }
        return ToolSpec(
            name: name, description: o["description"]?.stringValue ?? "", parameters: parameters, kind: kind,
            mutatesState: o["mutates_state"]?.boolValue, side: side, implementation: implementation,
            party: o["party"]?.stringValue)
    }

    func buildState(_ connection: Connection, manifest: inout DomainManifest) throws {
        try connection.execute("CREATE TABLE _agora_ids(name TEXT PRIMARY KEY, next INTEGER NOT NULL)")
        // From here on the domain's own SQL runs: a domain package is untrusted input (docs/security.md).
        try connection.sandbox(.schema)
        if let schema = manifest.schemaFile {
            guard let sql = try? String(contentsOf: file(schema), encoding: .utf8) else {
                throw RunError(.io, "cannot read the schema", file: schema)
            }
            do { try connection.execute(sql) } catch {
                throw RunError(.invalidInput, "the schema does not run: \(error.message)", file: schema)
            }
        }
        guard let seedName = manifest.seedFile, FileManager.default.fileExists(atPath: file(seedName).path) else {
            try connection.execute(StateSnapshot.touchTriggers(manifest.stateTables))
            return
        }
        let seed = try readJSON(seedName)
        guard case .object(let tables) = seed else {
            throw RunError(.invalidInput, "the seed must be an object of tables", file: seedName, path: "$")
        }
        let documents = manifest.seedFormat == "tau2-documents"
        let declared = !manifest.stateTables.isEmpty
        try connection.transaction {
            for (table, content) in tables {
                if documents {
                    guard case .object(let docs) = content else {
                        throw RunError(
                            .invalidInput, "a tau2 collection must be an object of documents", file: seedName,
                            path: "$.\(table)")
                    }
                    try connection.execute(
                        "CREATE TABLE IF NOT EXISTS \(StateSnapshot.quoteIdentifier(table))(key TEXT PRIMARY KEY, doc TEXT NOT NULL CHECK(json_valid(doc)))"
                    )
                    let statement = try connection.prepare(
                        "INSERT INTO \(StateSnapshot.quoteIdentifier(table))(key, doc) VALUES(?, ?)")
                    for (key, doc) in docs {
                        guard doc.objectValue != nil else {
                            throw RunError(
                                .invalidInput, "a document must be an object", file: seedName, path: "$.\(table).\(key)"
                            )
                        }
                        try statement.run([.text(key), .text(CanonicalJSON.string(doc))])
                    }
                } else {
                    guard let rows = content.arrayValue else {
                        throw RunError(
                            .invalidInput, "a table's seed must be a list of rows", file: seedName, path: "$.\(table)")
                    }
                    for (i, row) in rows.enumerated() {
                        do { try SeedLoader.insert(row, into: table, connection: connection, replace: false) } catch let
                            e as RunError
                        {
                            throw RunError(
                                .invalidInput, e.message, file: seedName,
                                path: "$.\(table)[\(i)]" + (e.path.map { "." + $0 } ?? ""))
                        }
                    }
                }
            }
        }
        if documents, !declared {
            manifest.stateTables = tables.keys.map {
                StateTable(name: $0, primaryKey: ["key"], jsonColumns: ["doc"], trustedCanonical: true)
            }
        }
        try connection.execute(StateSnapshot.touchTriggers(manifest.stateTables))
        for table in manifest.stateTables {
            guard (try? connection.query("SELECT 1 FROM \(StateSnapshot.quoteIdentifier(table.name)) LIMIT 1")) != nil
            else {
                throw RunError(
                    .invalidInput, "state table \(table.name) does not exist", file: "domain.json",
                    path: "$.stateTables")
            }
        }
    }

    func loadTasks(tools: [ToolSpec], parties: [DomainParty]) throws -> [ToolTask] {
        guard FileManager.default.fileExists(atPath: file("tasks.json").path) else { return [] }
        let json = try readJSON("tasks.json")
        guard let list = json.arrayValue ?? json["tasks"]?.arrayValue else {
            throw RunError(.invalidInput, "tasks.json must be a list of tasks", file: "tasks.json", path: "$")
        }
        var tasks: [ToolTask] = []
        var ids = Set<String>()
        for (i, t) in list.enumerated() {
            let task = try ToolTask.parse(t, file: "tasks.json", path: "$[\(i)]")
            guard ids.insert(task.id).inserted else {
                throw RunError(
                    .invalidInput, "duplicate task id \"\(task.id)\"", file: "tasks.json", path: "$[\(i)].id")
            }
            func check(_ actions: [ToolAction], _ p: String) throws {
                for (j, a) in actions.enumerated()
                where !tools.contains(where: { $0.name == a.name && $0.side == a.requestor }) {
                    throw RunError(
                        .invalidInput, "unknown tool \"\(a.name)\" for the \(a.requestor.rawValue) side",
                        file: "tasks.json", path: "\(p)[\(j)].name")
                }
            }
            try check(task.actions, "$[\(i)].evaluation_criteria.actions")
            for (j, a) in task.actions.enumerated() {
                if let party = a.party, !parties.contains(where: { $0.id.raw == party }) {
                    throw RunError(
                        .invalidInput, "unknown party \"\(party)\"; domain.json declares none by that id",
                        file: "tasks.json", path: "$[\(i)].evaluation_criteria.actions[\(j)].x_party")
                }
            }
            try check(task.initializationActions, "$[\(i)].initial_state.initialization_actions")
            for (g, group) in task.requiredCalls.enumerated() {
                for (j, alt) in group.anyOf.enumerated() where !tools.contains(where: { $0.name == alt.name }) {
                    throw RunError(
                        .invalidInput, "unknown tool \"\(alt.name)\"", file: "tasks.json",
                        path: "$[\(i)].x_required_calls[\(g)].any_of[\(j)].name")
                }
            }
            tasks.append(task)
        }
        return tasks
    }

    func loadSplits(tasks: [ToolTask]) throws -> [(name: String, ids: [String])] {
        let all = tasks.map(\.id)
        guard FileManager.default.fileExists(atPath: file("splits.json").path) else { return [("base", all)] }
        guard case .object(let o) = try readJSON("splits.json") else {
            throw RunError(.invalidInput, "splits.json must be an object of lists", file: "splits.json", path: "$")
        }
        guard o["base"] != nil else {
            throw RunError(.invalidInput, "the base split is required", file: "splits.json", path: "$.base")
        }
        var out: [(name: String, ids: [String])] = []
        let known = Set(all)
        for (name, value) in o {
            let ids = value.arrayValue?.compactMap(\.stringValue) ?? []
            for (i, id) in ids.enumerated() where !known.contains(id) {
                throw RunError(.invalidInput, "unknown task id \"\(id)\"", file: "splits.json", path: "$.\(name)[\(i)]")
            }
            out.append((name, ids))
        }
        out.sort { ($0.name == "base" ? 0 : 1) < ($1.name == "base" ? 0 : 1) }
        return out
    }
}
