import Foundation
import Inference
import Population
public import Runs
public import Storage

/// Reads a tool-task scenario (`kind: "tool-tasks"`, docs/tool-tasks.md) — a scenario file, the
/// configuration a run stored in its manifest, or `agora tasks run`'s flags given as overrides — into
/// a ``ToolTaskRunKind``.
public enum ToolTaskKindLoader: RunKindLoader {
    /// The kind's name in scenario files and manifests: the one place it is written.
    public static let kind = "tool-tasks"

    /// `tool-tasks`.
    public static var names: [String] { [kind] }

    /// A tool-task scenario with only its domain folder (`agora tasks run DOMAIN`).
    public static func document(domain: String) -> JSONValue {
        .object(JSONObject([("kind", .string(kind)), ("domain", .string(domain))]))
    }

    /// The keys a tool-task scenario may hold.
    static let keys = [
        "$schema", "kind", "name", "description", "domain", "tasks", "split", "agent", "user", "personas", "trials",
        "seed", "maxSteps", "maxErrors", "concurrency", "judge", "population", "splitBy",
    ]

    /// Builds the kind; settings in `source.overrides` (the command line's) win over the document's.
    public static func load(_ source: RunSource) async throws -> any RunKind {
        if source.purpose == .report {
            return ToolTaskStoredRun(
                document: source.document, sourceFile: source.file,
                seed: source.document["seed"]?.intValue.map { UInt64(bitPattern: $0) } ?? 1,
                modelLabel: source.document["agent"]?.stringValue ?? "")
        }
        return try await ToolTaskRunKind(config(source))
    }

    /// The run configuration of a source, with its models connected.
    public static func config(_ source: RunSource) async throws -> ToolTaskRunConfig {
        guard let document = source.document.objectValue else {
            throw RunError(.invalidInput, "a tool-task scenario is a JSON object", file: source.file, path: "$")
        }
        for key in document.keys where !keys.contains(key) {
            throw RunError(
                .invalidInput,
                "unknown key \"\(key)\"; a tool-task scenario has \(keys.dropFirst().joined(separator: ", "))",
                file: source.file, path: "$.\(key)")
        }
        var settings = document
        for (key, value) in source.overrides { settings[key] = value }
        let setting = Setting(settings: settings, overrides: source.overrides, file: source.file)
        let base = source.baseDirectory.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: ".")
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
        }
        guard let domain = try setting.string("domain") else {
            throw RunError(.invalidInput, "missing \"domain\": the domain folder", file: source.file, path: "$.domain")
        }
        let isResume = source.purpose == .resume
        let judgeText = try setting.string("judge")
        if let judgeText {
            // Checked before any model is connected, so a typo fails fast with the setting's name.
            guard judgeText == "model" || judgeText.hasPrefix("model:") else {
                throw setting.fail(
                    "judge",
                    "\(judgeText): use model or model:SPEC (SPEC: local, openai:MODEL, azure:DEPLOYMENT or an http(s)://…/v1 URL)"
                )
            }
            if isResume, source.overrides["judge"] == nil, judgeText.hasPrefix("model:"),
                (try? ModelSpec.parse(String(judgeText.dropFirst("model:".count)))) == nil
            {
                throw RunError(
                    .invalidInput,
                    "this run was judged by \(judgeText); pass the judge again on --resume, e.g. --judge model:local")
            }
        }
        // Everything that can be checked is checked before any model is connected.
        let splitBy = try setting.list("splitBy") ?? []
        let population = try population(setting, resolve: resolve)
        func model(_ text: String, _ key: String) async throws -> any LanguageModel {
            let spec = text.contains(":") ? String(text.split(separator: ":", maxSplits: 1)[1]) : nil
            do {
                return try await source.models.model(spec)
            } catch let error as InferenceError where error.code == .invalidConfiguration {
                let hint = isResume && source.overrides[key] == nil ? " (pass --\(key) again on --resume)" : ""
                let reason = error.message.replacingOccurrences(of: "--model \(spec ?? ""): ", with: "")
                throw setting.fail(key, "\(text): \(reason)\(hint)")
            }
        }
        let agentText = try setting.string("agent") ?? "gold"
        let agent: ToolTaskAgentChoice
        switch agentText {
        case "gold": agent = .gold
        case "noop": agent = .noop
        case let t where t == "model" || t.hasPrefix("model:"):
            agent = .model(try await model(t, "agent"))
        case let t where t.hasPrefix("http:") || t.hasPrefix("https:"):
            let urlText = t.hasPrefix("http:http") ? String(t.dropFirst(5)) : t
            guard let url = URL(string: urlText), url.host != nil else {
                throw setting.fail("agent", "\(t): not a URL")
            }
            if url.path.hasSuffix("/v1") {
                agent = .model(try await model("model:" + urlText, "agent"))
            } else {
                agent = .webhook(url)
            }
        default:
            throw setting.fail("agent", "\(agentText): use gold, noop, model[:SPEC] or http:URL")
        }
        let userText = try setting.string("user") ?? "scripted"
        let user: ToolTaskUserChoice
        switch userText {
        case "scripted": user = .scripted
        case let t where t == "model" || t.hasPrefix("model:"):
            user = .model(try await model(t, "user"))
        default:
            throw setting.fail("user", "\(userText): use scripted or model[:SPEC]")
        }
        var judge: (any LanguageModel)? = nil
        if let judgeText { judge = try await model(judgeText, "judge") }
        return ToolTaskRunConfig(
            domain: URL(fileURLWithPath: resolve(domain)), taskIDs: try setting.list("tasks"),
            split: try setting.string("split"), agent: agent, user: user,
            personas: try setting.int("personas", 0...1000) ?? 0, trials: try setting.int("trials", 1...64) ?? 1,
            seed: try setting.int("seed", Int.min...Int.max).map { UInt64(bitPattern: Int64($0)) } ?? 1,
            limits: EpisodeLimits(
                maxSteps: try setting.int("maxSteps", 1...10_000) ?? 200,
                maxErrors: try setting.int("maxErrors", 1...10_000) ?? EpisodeLimits(maxSteps: 1).maxErrors),
            outDirectory: URL(fileURLWithPath: "runs"), concurrency: try setting.int("concurrency", 1...256) ?? 4,
            sourceFile: source.file, judge: judge,
            population: population, splitBy: splitBy)
    }

    /// `population`: a path, `{"personas": FILE.jsonl}` or `{"spec": POPULATION.json, "count": N, "seed": S}`
    /// (paths relative to the scenario); `populationCount` (from `--population-count`) sets a spec's count.
    static func population(_ setting: Setting, resolve: (String) -> String) throws(RunError) -> ToolTaskPopulation? {
        let count = try setting.int("populationCount", 1...100_000)
        guard let value = setting.settings["population"], !value.isNull else {
            if count != nil {
                throw RunError(.invalidInput, "--population-count needs --population POPULATION.json")
            }
            return nil
        }
        if let path = value.stringValue {
            guard FileManager.default.fileExists(atPath: resolve(path)) else {
                throw setting.fail("population", "\(path): no such file")
            }
            return ToolTaskPopulation(file: resolve(path), count: count)
        }
        if let path = value["personas"]?.stringValue { return .personas(path: resolve(path)) }
        if let path = value["spec"]?.stringValue {
            return .spec(
                path: resolve(path), count: count ?? value["count"]?.intValue.map(Int.init),
                seed: value["seed"]?.intValue.map { UInt64(bitPattern: $0) })
        }
        if let inline = value["inline"]?.arrayValue {
            var personas: [Persona] = []
            for (index, item) in inline.enumerated() {
                do {
                    personas.append(try Persona(json: item, file: setting.file, path: "$.population.inline[\(index)]"))
                } catch {
                    throw RunError(error)
                }
            }
            return .inline(personas)
        }
        throw setting.fail(
            "population",
            "must be a file path, {\"personas\": FILE.jsonl} or {\"spec\": POPULATION.json, \"count\": N}")
    }

    /// Typed reads of one setting, with errors that name where it came from: the command-line flag
    /// (`--split-by: …`) or the file and JSON path (`scenario.json: $.splitBy: …`).
    struct Setting {
        let settings: JSONObject
        let overrides: JSONObject
        let file: String?

        /// The flag of a key (`splitBy` → `--split-by`).
        static func flag(_ key: String) -> String {
            "--" + key.reduce(into: "") { out, c in out += c.isUppercase ? "-" + c.lowercased() : String(c) }
        }

        /// An error about `key`: `--flag message` for a flag, else at the key's JSON path.
        func fail(_ key: String, _ message: String) -> RunError {
            let separator = message.hasPrefix(":") ? "" : " "
            if overrides[key] != nil { return RunError(.invalidInput, Self.flag(key) + separator + message) }
            return RunError(.invalidInput, key + separator + message, file: file, path: "$.\(key)")
        }

        func string(_ key: String) throws(RunError) -> String? {
            guard let value = settings[key], !value.isNull else { return nil }
            guard let text = value.stringValue else { throw fail(key, "must be a string") }
            return text
        }

        func int(_ key: String, _ range: ClosedRange<Int>) throws(RunError) -> Int? {
            guard let value = settings[key], !value.isNull else { return nil }
            guard let n = value.intValue.map(Int.init) ?? value.stringValue.flatMap({ Int($0) }), range.contains(n)
            else {
                throw fail(key, "must be a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return n
        }

        /// A list of strings, or one comma-separated string.
        func list(_ key: String) throws(RunError) -> [String]? {
            guard let value = settings[key], !value.isNull else { return nil }
            let items: [String]
            if let array = value.arrayValue {
                items = array.compactMap(\.stringValue)
                guard items.count == array.count else { throw fail(key, "must list strings") }
            } else if let text = value.stringValue {
                items = text.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            } else {
                throw fail(key, "must be a list or a comma-separated string")
            }
            guard items.allSatisfy({ !$0.isEmpty }) else {
                throw fail(key, ": give attribute names separated by commas, e.g. age,region")
            }
            return items
        }
    }
}
