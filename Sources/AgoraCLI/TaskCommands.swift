import Environments
import Foundation
import Inference
import Storage

/// `agora tasks import-tau2 DIR --out DIR`: turns a tau2 domain folder into an Agora domain package.
enum TasksImportCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["tasks", "import-tau2"],
        summary: "Import a tau2 domain folder (db.json, tasks.json, policy.md, tools.schema.json) as a domain package.",
        positionals: [PositionalSpec(name: "DIR", help: "The tau2 domain folder (e.g. /work/shared/data/tau2-airline).")],
        options: [
            .option("--out", "DIR", "Where to write the domain (e.g. Scenarios/domains/tau2-airline)."),
            .option("--name", "NAME", "The domain name (default: the tasks' domain)."),
        ],
        discussion: "Tools are bound to Agora's native ports (the airline port ships). Tasks a no-op agent passes get x_allow_trivial.")

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        guard let out = arguments.value("--out") else { throw UsageError("give --out DIR; usage: \(spec.usage)") }
        let domain = try await TaskImporter.importDomain(
            from: URL(fileURLWithPath: arguments.positionals[0]), to: URL(fileURLWithPath: out), name: arguments.value("--name"))
        Console.out("imported \(domain.tasks.count) tasks, \(domain.tools.count) tools into \(out)")
        Console.out("trivially passable (marked x_allow_trivial): \(domain.tasks.filter(\.allowTrivial).count)")
        return ExitCode.success
    }
}

/// `agora tasks lint DOMAIN`: the five linter rules.
enum TasksLintCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["tasks", "lint"],
        summary: "Lint a tool-task domain: gold replay, no-op check, known info, persona text, policy tools.",
        positionals: [PositionalSpec(name: "DOMAIN", help: "The domain folder.")],
        options: [.flag("--strict", "Unexpected gold-step errors are errors, not warnings."), .flag("--quiet", "Print errors only.")],
        discussion: "Exits 0 when there is no error, 1 when there are errors, 2 when the domain does not load.")

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let domain = try ToolDomain.load(URL(fileURLWithPath: arguments.positionals[0]))
        let findings = await TaskLinter.lint(domain, strict: arguments.flag("--strict"))
        for finding in findings where !arguments.flag("--quiet") || finding.severity == "error" { Console.out(finding.line) }
        let errors = findings.filter { $0.severity == "error" }.count
        Console.err("agora tasks lint: \(domain.tasks.count) tasks, \(errors) errors, \(findings.count - errors) warnings")
        return errors > 0 ? ExitCode.finishedWithFailures : ExitCode.success
    }
}

/// `agora tasks run DOMAIN|SCENARIO.json`: runs tool tasks with an agent and a simulated user.
enum TasksRunCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["tasks", "run"],
        summary: "Run tool tasks: --agent gold|noop|model[:SPEC]|http:URL, --user scripted|model[:SPEC]; pass^k per persona.",
        positionals: [PositionalSpec(name: "DOMAIN", help: "A domain folder, or a scenario file with \"kind\": \"tool-tasks\".", required: false)],
        options: ModelOptions.options + [
            .option("--tasks", "IDS", "Comma-separated task ids."),
            .option("--split", "NAME", "A split (base, train, test)."),
            .option("--agent", "AGENT", "gold, noop, model[:SPEC] or http:URL (default gold)."),
            .option("--user", "USER", "scripted or model[:SPEC] (default scripted)."),
            .option("--personas", "N", "Sampled persona policies per task (default 0: the task's preset)."),
            .option("--trials", "K", "Trials per task and persona (default 1)."),
            .option("--max-steps", "N", "Step limit per episode (default 200; a task's x_limits win)."),
            .option("--seed", "S", "The run seed (default 1)."),
            .option("--out", "DIR", "Where run folders are created (default runs)."),
            .option("--resume", "RUN_DIR", "Continue an interrupted run."),
            .option("--concurrency", "N", "Episodes in flight at once (default 4)."),
            .option("--judge", "JUDGE", "model[:SPEC]: grade NL_ASSERTION with a model judge (default: none, reported as needs-judge)."),
            .option("--population", "FILE", "Population personas for LLM users: a persona JSONL or a POPULATION.json spec."),
            .option("--population-count", "N", "Personas to generate from a POPULATION.json spec (default: the spec's)."),
            .option("--split-by", "ATTRS", "Comma-separated persona attributes to break results down by (e.g. age,region)."),
            .option("--cache", "PATH", "The response cache file (model agents, users and the judge)."),
            .flag("--json", "Print results.json instead of the table."),
        ],
        discussion: """
            Writes <out>/<run-id>/run.sqlite, transcripts.jsonl, episodes.jsonl (tau2-style), results.json, report.md
            and report.html. A model agent gets the policy as system prompt and the tools as functions; http:URL
            ending in /v1 is an OpenAI-compatible endpoint (--model-name), any other URL the webhook protocol of
            docs/agents.md. Exit 0 when every trial passed, 1 otherwise.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        var settings = JSONObject()
        var domainPath = arguments.positionals.first
        var sourceFile: String? = nil
        if let path = domainPath, path.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: path) else { throw EnvironmentError(.io, "cannot read the scenario", file: path) }
            let scenario: JSONValue
            do { scenario = try JSONValue.parse(data) } catch {
                throw EnvironmentError(.invalidInput, "not valid JSON: \(error.message)", file: path, path: "line \(error.line)")
            }
            guard scenario["kind"]?.stringValue == "tool-tasks" else {
                throw EnvironmentError(.invalidInput, "a tool-task scenario needs \"kind\": \"tool-tasks\"", file: path, path: "$.kind")
            }
            guard let domain = scenario["domain"]?.stringValue else { throw EnvironmentError(.invalidInput, "missing domain folder", file: path, path: "$.domain") }
            settings = scenario.objectValue ?? JSONObject()
            let base = URL(fileURLWithPath: path).deletingLastPathComponent()
            domainPath = domain.hasPrefix("/") ? domain : base.appendingPathComponent(domain).path
            sourceFile = path
        }
        let resume = arguments.value("--resume").map { URL(fileURLWithPath: $0) }
        if domainPath == nil, let resume {
            // Resume from the run's own manifest: same domain, selection, agent, user, personas, trials, seed.
            let document = try await RunStore.open(resume).manifest().document
            settings = document.objectValue ?? JSONObject()
            domainPath = settings["domain"]?.stringValue
            sourceFile = nil
        }
        guard let domainPath else { throw UsageError("give a domain folder or scenario file; usage: \(spec.usage)") }
        func setting(_ flag: String, _ key: String) -> String? {
            arguments.value(flag) ?? settings[key].flatMap { $0.stringValue ?? ($0.intValue.map { String($0) }) }
        }
        let judgeText = setting("--judge", "judge")
        if let judgeText {
            // Checked before any model is connected, so a typo fails fast with the flag's name.
            guard judgeText == "model" || judgeText.hasPrefix("model:") else {
                throw UsageError("--judge \(judgeText): use model or model:SPEC (SPEC: local, openai:MODEL, azure:DEPLOYMENT or an http(s)://…/v1 URL)")
            }
            if judgeText.hasPrefix("model:") {
                if resume != nil, arguments.value("--judge") == nil, (try? ModelSpec.parse(String(judgeText.dropFirst("model:".count)))) == nil {
                    throw UsageError("this run was judged by \(judgeText); pass the judge again on --resume, e.g. --judge model:local")
                }
                do { _ = try ModelSpec.parse(String(judgeText.dropFirst("model:".count)), modelName: arguments.value("--model-name")) } catch {
                    throw UsageError("--judge \(judgeText): " + error.message.replacingOccurrences(of: "--model \(judgeText.dropFirst("model:".count)): ", with: ""))
                }
            }
        }
        let splitBy = try splitAttributes(arguments.value("--split-by"), settings["splitBy"])
        let population = try populationSource(arguments, settings: settings, sourceFile: sourceFile)
        let agentText = setting("--agent", "agent") ?? "gold"
        let userText = setting("--user", "user") ?? "scripted"
        let concurrency = try arguments.int("--concurrency", range: 1...256) ?? Int(settings["concurrency"]?.intValue ?? 4)
        var connected: [ConnectedModel] = []
        defer { for c in connected { c.close() } }
        var cache: ResponseCache? = nil
        var models: [String: any LanguageModel] = [:]
        func model(_ text: String) async throws -> any LanguageModel {
            let specText = text.contains(":") ? String(text.split(separator: ":", maxSplits: 1)[1]) : (arguments.value("--model") ?? "local")
            if let existing = models[specText] { return existing }  // one server/client per spec (agent and user may share)
            let spec = try ModelSpec.parse(specText, modelName: arguments.value("--model-name"))
            let c = try await ConnectedModel.connect(spec, concurrency: concurrency)
            connected.append(c)
            if cache == nil {
                let path = arguments.value("--cache") ?? LocalModel().cacheDirectory.appendingPathComponent("responses.sqlite").path
                try? FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
                cache = try ResponseCache(.file(path))
            }
            let cached = CachedModel(base: c.client, cache: cache, mode: .readWrite, ledger: Ledger())
            models[specText] = cached
            return cached
        }
        let agent: ToolTaskAgentChoice
        switch agentText {
        case "gold": agent = .gold
        case "noop": agent = .noop
        case let t where t == "model" || t.hasPrefix("model:"): agent = .model(try await model(t))
        case let t where t.hasPrefix("http:") || t.hasPrefix("https:"):
            let urlText = t.hasPrefix("http:http") ? String(t.dropFirst(5)) : t
            guard let url = URL(string: urlText) else { throw UsageError("--agent \(t): not a URL") }
            if url.path.hasSuffix("/v1") { agent = .model(try await model("model:" + urlText)) } else { agent = .webhook(url) }
        default: throw UsageError("--agent must be gold, noop, model[:SPEC] or http:URL")
        }
        let user: ToolTaskUserChoice
        switch userText {
        case "scripted": user = .scripted
        case let t where t == "model" || t.hasPrefix("model:"): user = .model(try await model(t))
        default: throw UsageError("--user must be scripted or model[:SPEC]")
        }
        if population != nil, case .scripted = user {
            Console.err("agora tasks run: note: population personas shape model users only; the scripted user ignores them")
        }
        var judge: (any LanguageModel)? = nil
        if let judgeText { judge = try await model(judgeText) }
        let maxSteps = try arguments.int("--max-steps", range: 1...10_000) ?? Int(settings["maxSteps"]?.intValue ?? 200)
        let config = ToolTaskRunConfig(
            domain: URL(fileURLWithPath: domainPath),
            taskIDs: (arguments.value("--tasks")?.split(separator: ",").map(String.init)) ?? settings["tasks"]?.arrayValue?.compactMap(\.stringValue),
            split: arguments.value("--split") ?? settings["split"]?.stringValue, agent: agent, user: user,
            personas: try arguments.int("--personas", range: 0...1000) ?? Int(settings["personas"]?.intValue ?? 0),
            trials: try arguments.int("--trials", range: 1...64) ?? Int(settings["trials"]?.intValue ?? 1),
            seed: try arguments.uint64("--seed") ?? settings["seed"]?.intValue.map { UInt64(bitPattern: $0) } ?? 1,
            limits: EpisodeLimits(maxSteps: maxSteps), outDirectory: URL(fileURLWithPath: arguments.value("--out") ?? "runs"),
            resume: resume, concurrency: concurrency, sourceFile: sourceFile, judge: judge, population: population, splitBy: splitBy)
        let summary = try await ToolTaskRunner.run(config)
        if arguments.flag("--json") { Console.out(summary.results.serialized(pretty: true)) } else { Console.out(summary.table) }
        Console.out("run: \(summary.directory.path)")
        for file in summary.outputs { Console.out("wrote \(file.path)") }
        let passedAll = (summary.results["trials"]?.arrayValue ?? []).allSatisfy { $0["passed"]?.boolValue == true }
        return passedAll && summary.unitsFailed == 0 && summary.unitsDone == summary.unitsTotal ? ExitCode.success : ExitCode.finishedWithFailures
    }

    /// `--split-by a,b` or the scenario's `"splitBy"` (a list or a comma-separated string).
    static func splitAttributes(_ flag: String?, _ setting: JSONValue?) throws(UsageError) -> [String] {
        let items: [String]
        if let flag {
            items = flag.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        } else if let list = setting?.arrayValue {
            items = list.compactMap(\.stringValue)
        } else {
            items = setting?.stringValue?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        }
        guard items.allSatisfy({ !$0.isEmpty }) else { throw UsageError("--split-by: give attribute names separated by commas, e.g. age,region") }
        return items
    }

    /// `--population FILE [--population-count N]`, or the scenario's `"population"`: a path, or
    /// `{"personas": FILE.jsonl}` / `{"spec": POPULATION.json, "count": N, "seed": S}` (paths relative to the scenario).
    static func populationSource(_ arguments: ParsedArguments, settings: JSONObject, sourceFile: String?) throws -> ToolTaskPopulation? {
        let count = try arguments.int("--population-count", range: 1...100_000)
        if let file = arguments.value("--population") {
            guard FileManager.default.fileExists(atPath: file) else { throw UsageError("--population \(file): no such file") }
            return ToolTaskPopulation(file: file, count: count)
        }
        if count != nil { throw UsageError("--population-count needs --population POPULATION.json") }
        guard let value = settings["population"], !value.isNull else { return nil }
        let base = sourceFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent() } ?? URL(fileURLWithPath: ".")
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardizedFileURL.path }
        if let path = value.stringValue { return ToolTaskPopulation(file: resolve(path)) }
        if let path = value["personas"]?.stringValue { return .personas(path: resolve(path)) }
        if let path = value["spec"]?.stringValue {
            return .spec(path: resolve(path), count: value["count"]?.intValue.map(Int.init), seed: value["seed"]?.intValue.map { UInt64(bitPattern: $0) })
        }
        throw EnvironmentError(
            .invalidInput, "population must be a file path, {\"personas\": FILE.jsonl} or {\"spec\": POPULATION.json, \"count\": N}",
            file: sourceFile, path: "$.population")
    }
}
