public import Foundation
public import Inference
import Population
public import Runs
public import Storage
import Worlds

/// Which agent a tool-task run tests.
public enum ToolTaskAgentChoice: Sendable {
    /// The gold-replay agent.
    case gold
    /// The do-nothing agent.
    case noop
    /// A language model (policy as system prompt, tools as functions).
    case model(any LanguageModel)
    /// An external agent speaking the webhook protocol (docs/agents.md).
    case webhook(URL)

    var label: String {
        switch self {
        case .gold: "gold"
        case .noop: "noop"
        case .model(let m): "model:" + m.identifier
        case .webhook(let url): "http:" + url.absoluteString
        }
    }
}

/// Which simulated user a tool-task run uses.
public enum ToolTaskUserChoice: Sendable {
    /// The scripted user (deterministic).
    case scripted
    /// An LLM user.
    case model(any LanguageModel)

    var label: String {
        switch self {
        case .scripted: "scripted"
        case .model(let m): "model:" + m.identifier
        }
    }
}

/// What to run: a domain, a task selection, an agent, a user, persona policies and trials.
public struct ToolTaskRunConfig: Sendable {
    /// The domain folder.
    public var domain: URL
    /// Task ids to run (nil: the split, else all).
    public var taskIDs: [String]?
    /// A split name.
    public var split: String?
    /// The agent under test.
    public var agent: ToolTaskAgentChoice
    /// The simulated user.
    public var user: ToolTaskUserChoice
    /// Sampled persona policies per task (0: the task's own preset, if any, else none).
    public var personas: Int
    /// Trials per (task, persona).
    public var trials: Int
    /// The run seed (persona sampling).
    public var seed: UInt64
    /// Episode limits (a task's `x_limits` win).
    public var limits: EpisodeLimits
    /// Where run folders are created.
    public var outDirectory: URL
    /// A run folder to resume.
    public var resume: URL?
    /// Units in flight at once.
    public var concurrency: Int
    /// The scenario file this came from, if any.
    public var sourceFile: String?
    /// A model that judges NL assertions (spec §10.8); `nil`: they are reported as needing a judge.
    public var judge: (any LanguageModel)?
    /// Population personas the LLM users carry (spec §10.6), assigned by ``ToolTaskPopulation/assignment(pairs:population:seed:)``.
    public var population: ToolTaskPopulation?
    /// Persona attributes to break results down by (`age_band`), besides the persona-policy levels.
    public var splitBy: [String]

    /// Creates a configuration.
    public init(
        domain: URL, taskIDs: [String]? = nil, split: String? = nil, agent: ToolTaskAgentChoice,
        user: ToolTaskUserChoice = .scripted,
        personas: Int = 0, trials: Int = 1, seed: UInt64 = 1, limits: EpisodeLimits = EpisodeLimits(maxSteps: 200),
        outDirectory: URL, resume: URL? = nil, concurrency: Int = 1, sourceFile: String? = nil,
        judge: (any LanguageModel)? = nil,
        population: ToolTaskPopulation? = nil, splitBy: [String] = []
    ) {
        self.domain = domain
        self.taskIDs = taskIDs
        self.split = split
        self.agent = agent
        self.user = user
        self.personas = personas
        self.trials = trials
        self.seed = seed
        self.limits = limits
        self.outDirectory = outDirectory
        self.resume = resume
        self.concurrency = concurrency
        self.sourceFile = sourceFile
        self.judge = judge
        self.population = population
        self.splitBy = splitBy
    }

    /// The configuration as JSON (part of the run id and the manifest; no wall-clock values).
    public var json: JSONValue {
        var object = JSONObject([
            ("kind", .string(ToolTaskKindLoader.kind)), ("domain", .string(domain.standardizedFileURL.path)),
            ("tasks", taskIDs.map { .array($0.map { .string($0) }) } ?? .null),
            ("split", split.map { .string($0) } ?? .null),
            ("agent", .string(agent.label)), ("user", .string(user.label)), ("personas", .integer(Int64(personas))),
            ("trials", .integer(Int64(trials))), ("seed", .integer(Int64(bitPattern: seed))),
            ("maxSteps", .integer(Int64(limits.maxSteps))), ("maxErrors", .integer(Int64(limits.maxErrors))),
        ])
        // Only when set, so run ids of runs without them stay as they were.
        if let judge { object["judge"] = .string("model:" + judge.identifier) }
        if let population { object["population"] = population.json }
        if !splitBy.isEmpty { object["splitBy"] = .array(splitBy.map { .string($0) }) }
        return .object(object)
    }
}

/// The run kind of tool tasks (`kind: "tool-tasks"`): units are (task, persona policy, population
/// persona, trial); each episode is graded on the domain's database state (spec §10.7).
public struct ToolTaskRunKind: RunKind {
    /// What to run.
    public let config: ToolTaskRunConfig
    let domain: ToolDomain
    let tasks: [ToolTask]
    let library: PersonaLibrary
    let sampled: [PersonaPolicy]
    /// The selected tasks and the sampled policies by id (built once; every unit looks one up).
    let tasksByID: [String: ToolTask]
    let policiesByID: [String: PersonaPolicy]
    /// One HTTP client for every webhook turn of the run (its limiter spans the run).
    let webhookClient: JSONHTTPClient

    /// Loads the domain and selects the tasks.
    ///
    /// - Throws: ``RunError`` for a domain that does not load or an unknown task id or split.
    public init(_ config: ToolTaskRunConfig) throws {
        self.config = config
        let domain = try ToolDomain.load(config.domain)
        self.domain = domain
        var tasks = domain.tasks
        if let ids = config.taskIDs {
            tasks = try ids.map { id in
                guard let task = domain.task(id) else {
                    throw RunError(.invalidInput, "unknown task id \"\(id)\"", file: config.sourceFile, path: "tasks")
                }
                return task
            }
        } else if let split = config.split {
            guard let ids = domain.split(split) else {
                throw RunError(
                    .invalidInput,
                    "unknown split \"\(split)\"; the domain has \(domain.splits.map(\.name).joined(separator: ", "))",
                    file: config.sourceFile, path: "split")
            }
            tasks = ids.compactMap(domain.task)
        }
        self.tasks = tasks
        let library = domain.personas ?? PersonaLibrary.standard
        self.library = library
        let sampled = config.personas > 0 ? library.sample(count: config.personas, seed: config.seed) : []
        self.sampled = sampled
        tasksByID = Dictionary(tasks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        policiesByID = Dictionary(sampled.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        webhookClient = JSONHTTPClient(maxConnections: max(1, config.concurrency), requestTimeout: 120)
    }

    /// `tool-tasks`.
    public var name: String { ToolTaskReport.kind }
    /// The configuration as JSON.
    public var document: JSONValue { config.json }
    /// The scenario file, if any.
    public var sourceFile: String? { config.sourceFile }
    /// The run seed.
    public var seed: UInt64 { config.seed }
    /// The agent under test.
    public var modelLabel: String { config.agent.label }
    /// The configuration's `concurrency` (default 4).
    public var defaultConcurrency: Int? { max(1, config.concurrency) }
    /// `tasks-<domain>-<8 hex digits of the configuration>`: the same configuration is the same run.
    public var folder: RunFolder {
        .exact("tasks-" + domain.manifest.name + "-" + String(SHA256.hex(CanonicalJSON.string(document)).prefix(8)))
    }

    /// One unit per (task, persona policy, trial); population personas assigned by a seeded, balanced permutation.
    public func plan() async throws -> RunPlan {
        let people = try await config.population?.resolve() ?? []
        // A breakdown by an attribute no persona has would put every trial under "(missing)".
        for (index, attribute) in config.splitBy.enumerated()
        where !people.contains(where: { $0.attributes[attribute] != nil }) {
            let known = people.flatMap(\.attributes.keys).reduce(into: [String]()) {
                if !$0.contains($1) { $0.append($1) }
            }
            throw RunError(
                .invalidInput,
                people.isEmpty
                    ? "splitBy \"\(attribute)\" needs population personas (add \"population\" or --population)"
                    : "no population persona has the attribute \"\(attribute)\"; the attributes are \(known.prefix(20).joined(separator: ", "))",
                file: config.sourceFile, path: "$.splitBy[\(index)]")
        }
        let assigned = ToolTaskPopulation.assignment(pairs: people.count, population: people.count, seed: config.seed)
        var pairs = 0
        var units: [UnitSpec] = []
        for task in tasks {
            var personas: [PersonaPolicy?] = sampled.map { $0 }
            if personas.isEmpty {
                let preset = task.personaPolicyRef.flatMap { $0.split(separator: "#").last.map(String.init) }.flatMap(
                    library.preset)
                personas = [preset]
            }
            for persona in personas {
                let person = people.isEmpty ? nil : people[assigned[pairs % people.count]]
                pairs += 1
                for trial in 0..<max(1, config.trials) {
                    var input = JSONObject([
                        ("task", .string(task.id)), ("trial", .integer(Int64(trial))),
                        (
                            "persona",
                            persona.map {
                                .object(
                                    JSONObject([
                                        ("id", .string($0.id)), ("levels", .array($0.levels.map { .string($0) })),
                                    ]))
                            } ?? .null
                        ),
                    ])
                    if let person { input["population"] = person.participantJSON }
                    let id =
                        "\(task.id)/\(persona?.id ?? "default")/" + (person.map { $0.id + "/" } ?? "") + "t\(trial)"
                    units.append(UnitSpec(index: units.count, id: id, kind: "tool-task", input: .object(input)))
                }
            }
        }
        let stored =
            sampled.map { StoredPersona(id: $0.id, json: ToolTaskRunner.personaJSON($0)) }
            + people.filter { p in !sampled.contains { $0.id == p.id } }.map {
                StoredPersona(id: $0.id, json: $0.participantJSON)
            }
        return RunPlan(personas: stored, units: units)
    }

    /// Runs and grades one episode.
    public func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        try await ToolTaskRunner.runUnit(
            unit, domain: domain, tasks: tasksByID, personas: policiesByID, library: library, config: config,
            context: context, webhookClient: webhookClient)
    }

    /// A trial that did not pass counts as one failure.
    public func failures(in unit: UnitRecord) -> Int { unit.result["passed"]?.boolValue == true ? 0 : 1 }

    /// `{kind, runID, domain, config, unitsTotal, unitsDone, summary, trials}` (spec §10.8), and
    /// `consistency` once `agora evaluate` judged the run.
    public func results(_ data: RunData) async throws -> JSONValue { ToolTaskReport.results(data) }

    /// `transcripts.jsonl`, `episodes.jsonl` (tau2-style), `consistency-lines.jsonl` (an evaluated
    /// run), `results.json`, `report.md`, `report.html`.
    public func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] {
        ToolTaskReport.outputs(data, results: results)
    }

    /// The HTML page or `report.md`.
    public func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String {
        ToolTaskReport.report(data, results: results, format: format)
    }

    /// The per-task table and the pass^k curve.
    public func summaryLines(_ data: RunData, results: JSONValue) -> [String] { [ToolTaskRunner.table(results)] }
}

/// Library entry points of tool-task runs.
public enum ToolTaskRunner {
    /// Runs (or, with `config.resume`, continues) tool tasks on the run engine and writes the outputs.
    public static func run(_ config: ToolTaskRunConfig, monitor: RunMonitor = RunMonitor()) async throws -> RunSummary {
        let kind = try ToolTaskRunKind(config)
        let options = RunOptions(outDirectory: config.outDirectory)
        if let resume = config.resume {
            return try await RunEngine.resume(kind, directory: resume, options: options, monitor: monitor)
        }
        return try await RunEngine.start(kind, options: options, monitor: monitor)
    }

    static func personaJSON(_ p: PersonaPolicy) -> JSONValue {
        .object(
            JSONObject([
                ("id", .string(p.id)), ("levels", .array(p.levels.map { .string($0) })), ("text", .string(p.text)),
            ]))
    }

    static func runUnit(
        _ spec: UnitSpec, domain: ToolDomain, tasks: [String: ToolTask], personas: [String: PersonaPolicy],
        library: PersonaLibrary,
        config: ToolTaskRunConfig, context: UnitContext, webhookClient: JSONHTTPClient
    ) async throws -> UnitOutcome {
        let taskID = spec.input["task"]?.stringValue ?? ""
        guard let task = tasks[taskID] ?? domain.task(taskID) else {
            return UnitOutcome(index: spec.index, status: .failed, result: .null, error: "unknown task \(taskID)")
        }
        var persona: PersonaPolicy? = nil
        if let id = spec.input["persona"]?["id"]?.stringValue {
            persona =
                personas[id]
                ?? library.policy(spec.input["persona"]?["levels"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        let population = spec.input["population"].flatMap {
            try? Persona(json: $0, path: "population")
        }
        var recorded: [UnitModel] = []
        let agent: any ToolTaskAgent
        switch config.agent {
        case .gold: agent = GoldReplayAgent()
        case .noop: agent = NoOpAgent()
        case .model(let m):
            let wrapped = context.recording(m)
            recorded.append(wrapped)
            agent = ModelToolAgent(model: wrapped)
        case .webhook(let url): agent = WebhookAgent(url: url, client: webhookClient)
        }
        let user: any UserSimulator
        switch config.user {
        case .scripted: user = ScriptedUser()
        case .model(let m):
            let wrapped = context.recording(m)
            recorded.append(wrapped)
            user = LLMUser(model: wrapped, population: population)
        }
        var judge: (any Judge)? = nil
        if let m = config.judge {
            let wrapped = context.recording(m)
            recorded.append(wrapped)
            judge = ModelJudge(model: wrapped)
        }
        do {
            let environment = try ToolEnvironment(domain: domain, task: task)
            let steps = task.maxSteps ?? config.limits.maxSteps
            let unitID = spec.id
            let outcome = try await Episode.run(
                task: task, environment: environment, agent: agent, user: user, persona: persona, limits: config.limits,
                onTurn: { p in
                    context.report(
                        "\(unitID): move \(p.totalTurns) of at most \(steps) (\(p.speaker))",
                        fraction: Double(p.totalTurns) / Double(max(steps, 1)))
                })
            let (target, _) = try Grader.target(domain: domain, task: task)
            let graded = try await Grader.grade(
                task: task, outcome: outcome, final: environment, target: target, judge: judge)
            let splits = domain.splits.filter { $0.ids.contains(task.id) }.map(\.name)
            let calls = outcome.transcript.reduce(0) { $0 + $1.toolCalls.count }
            let result = JSONValue.object(
                JSONObject([
                    ("unit", .string(spec.id)), ("task", .string(task.id)),
                    ("trial", spec.input["trial"] ?? .integer(0)),
                    ("persona", persona.map { .string($0.id) } ?? .null),
                    ("levels", .array((persona?.levels ?? []).map { .string($0) })),
                    ("splits", .array(splits.map { .string($0) })),
                    ("termination", .string(outcome.termination.rawValue)),
                    ("reward", .number(graded.reward)), ("passed", .bool(graded.passed && !graded.needsJudge)),
                    ("toolCalls", .integer(Int64(calls))), ("toolErrors", .integer(Int64(outcome.errors))),
                    ("failure", outcome.failure.map { .string($0) } ?? .null), ("eval", graded.json),
                ]))
            let events = outcome.log.runEvents()
            var modelCalls: [StoredModelCall] = []
            for model in recorded { modelCalls += model.calls }
            for i in modelCalls.indices { modelCalls[i].seq = i }
            let infra =
                outcome.failure != nil && (outcome.termination == .agentError || outcome.termination == .userError)
                && outcome.failure?.contains("endpoint") == true
            // A judge whose endpoint is gone leaves the unit ungraded: failed, so --resume runs it again.
            let judgeDown = graded.judgeUnavailable
            let error =
                infra
                ? outcome.failure
                : judgeDown ? "judge: " + (graded.nl?.first { $0.infrastructure }?.error ?? "unavailable") : nil
            return UnitOutcome(
                index: spec.index, status: infra || judgeDown ? .failed : .done,
                result: withUserPersona(result, population), error: error,
                events: events, modelCalls: modelCalls)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error where Episode.stopsRun(error) {
            throw error  // the run stops (exit 3 for an unusable endpoint); the unit stays pending
        } catch {
            return UnitOutcome(index: spec.index, status: .failed, result: .null, error: "\(error)")
        }
    }

    /// A terminal table: one row per task (trials passed, mean reward, terminations), then pass^k.
    public static func table(_ results: JSONValue) -> String {
        var order: [String] = []
        var rows: [String: (n: Int, c: Int, reward: Double, terms: [String])] = [:]
        for t in results["trials"]?.arrayValue ?? [] {
            let id = t["task"]?.stringValue ?? ""
            if rows[id] == nil { order.append(id) }
            var row = rows[id] ?? (0, 0, 0, [])
            row.n += 1
            row.reward += t["reward"]?.doubleValue ?? 0
            if t["passed"]?.boolValue == true { row.c += 1 }
            let term = t["termination"]?.stringValue ?? ""
            if !row.terms.contains(term) { row.terms.append(term) }
            rows[id] = row
        }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("task", 14) + pad("passed", 9) + pad("reward", 9) + "termination"]
        for id in order {
            let r = rows[id] ?? (0, 0, 0, [])
            lines.append(
                pad(id, 14) + pad("\(r.c)/\(r.n)", 9)
                    + pad(String(format: "%.2f", r.n == 0 ? 0 : r.reward / Double(r.n)), 9)
                    + r.terms.joined(separator: ","))
        }
        let curve = (results["summary"]?["passHat"]?.arrayValue ?? []).enumerated().map {
            "pass^\($0.offset + 1) \(String(format: "%.3f", $0.element.doubleValue ?? 0))"
        }
        lines.append(
            "avg reward \(String(format: "%.3f", results["summary"]?["avgReward"]?.doubleValue ?? 0)) · "
                + curve.joined(separator: " · "))
        return lines.joined(separator: "\n")
    }

    /// `report.md`: pass^k table and curve, per-persona pass rates, failing trials with their state diff.
    public static func report(_ results: JSONValue) -> String { ToolTaskReport.markdown(results) }
}
