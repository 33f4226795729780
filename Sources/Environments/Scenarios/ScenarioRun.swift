public import Foundation
public import Inference
import Population
import Storage
import Synchronization

/// How `agora run` runs a scenario (the flags, as a value).
public struct RunOptions: Sendable {
    /// The folder run folders are created in (`--out`, default `runs`).
    public var outDirectory: URL
    /// A run folder to continue (`--resume`): done units are skipped.
    public var resume: URL?
    /// Run only the first N units (`--limit`).
    public var limit: Int?
    /// Units in flight at once (`--concurrency`).
    public var concurrency: Int
    /// Overrides the scenario's seed (`--seed`); ignored on resume (the stored seed wins).
    public var seed: UInt64?

    /// Creates options.
    public init(outDirectory: URL, resume: URL? = nil, limit: Int? = nil, concurrency: Int = 1, seed: UInt64? = nil) {
        self.outDirectory = outDirectory
        self.resume = resume
        self.limit = limit
        self.concurrency = concurrency
        self.seed = seed
    }
}

/// Live counters of a run, for the progress display (updated by the units as they go).
public final class RunMonitor: Sendable {
    /// A snapshot of the counters.
    public struct Counts: Sendable, Hashable {
        /// Units to run in this invocation.
        public var unitsTotal = 0
        /// Units finished (done or failed) in this invocation.
        public var unitsFinished = 0
        /// Units that failed as a whole.
        public var unitsFailed = 0
        /// Units skipped because an earlier invocation finished them.
        public var unitsSkipped = 0
        /// Model calls (cached or not).
        public var calls = 0
        /// Calls served from the cache.
        public var cachedCalls = 0
        /// Calls that failed.
        public var failedCalls = 0
        /// Prompt + completion tokens.
        public var tokens = 0
        /// Items or turns recorded as failed inside finished units.
        public var itemFailures = 0
    }

    private let state = Mutex(Counts())
    private let onChange: (@Sendable (Counts) -> Void)?

    /// Creates a monitor; `onChange` is called (on the calling task) after each update.
    public init(onChange: (@Sendable (Counts) -> Void)? = nil) {
        self.onChange = onChange
    }

    /// The current counts.
    public var counts: Counts { state.withLock { $0 } }

    func update(_ body: (inout Counts) -> Void) {
        let snapshot = state.withLock { c in
            body(&c)
            return c
        }
        onChange?(snapshot)
    }

    func record(_ call: StoredModelCall) {
        update { c in
            c.calls += 1
            if call.cached { c.cachedCalls += 1 }
            if call.error != nil { c.failedCalls += 1 }
            c.tokens += call.promptTokens + call.completionTokens
        }
    }
}

/// What a finished `agora run` produced.
public struct RunSummary: Sendable {
    /// The run folder.
    public var directory: URL
    /// The run id.
    public var runID: String
    /// Units in the run (all, not only this invocation's).
    public var unitsTotal: Int
    /// Units done.
    public var unitsDone: Int
    /// Units failed as a whole.
    public var unitsFailed: Int
    /// Items or turns recorded as failed in done units.
    public var itemFailures: Int
    /// The output files written, in order.
    public var outputs: [URL]
}

/// Turns a `POPULATION.json` into personas (the Population module's factory; injected so the scenario
/// layer does not depend on how populations are generated).
public typealias PopulationGenerator =
    @Sendable (_ specPath: String, _ count: Int?, _ seed: UInt64?) async throws -> [ScenarioPersona]

/// Runs scenarios: builds the units, runs them in a bounded task group, commits each to the run
/// store, and writes the outputs.
public enum ScenarioRunner {
    /// Runs (or resumes) `scenario` with `model` (already wrapped in the response cache).
    ///
    /// Units run `options.concurrency` at a time (a sliding window); each commits its events,
    /// calls and result with its done mark in one transaction. Outputs depend only on the stored
    /// units in index order, so they are byte-identical at any concurrency.
    ///
    /// - Throws: `EnvironmentError` for bad input or a damaged store; the model's error when the
    ///   endpoint is unusable or a replay-only call misses the cache (the run stops; resume later).
    public static func run(
        scenario given: Scenario?, model: any LanguageModel, options: RunOptions,
        populationGenerator: PopulationGenerator? = ScenarioRunner.populationFactory, monitor: RunMonitor = RunMonitor()
    ) async throws -> RunSummary {
        let store: RunStore
        let scenario: Scenario
        let seed: UInt64
        if let resume = options.resume {
            store = try RunStore.open(resume)
            let manifest = try await store.manifest()
            let base = manifest.sourceFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            scenario = try Scenario.parse(
                manifest.document, file: manifest.sourceFile, baseDirectory: base, checkFiles: false)
            if let given, given.digest != manifest.digest {
                throw EnvironmentError(
                    .runStore,
                    "the scenario file changed since this run started (digest \(manifest.digest.prefix(12))… vs \(given.digest.prefix(12))…); start a new run instead of --resume",
                    file: resume.path)
            }
            seed = manifest.seed
        } else {
            guard let given else { throw EnvironmentError(.invalidInput, "no scenario given") }
            scenario = given
            seed = options.seed ?? given.seed
            let personas = try await resolvePopulation(scenario, generator: populationGenerator)
            let units = try buildUnits(scenario, personas: personas)
            let directory = freshDirectory(options.outDirectory, base: "\(scenario.id)-s\(seed)")
            let manifest = RunManifest(
                runID: directory.lastPathComponent, kind: scenario.kind.rawValue, document: scenario.document,
                sourceFile: scenario.file.map { URL(fileURLWithPath: $0).standardized.path }, seed: seed,
                model: model.identifier)
            store = try await RunStore.create(
                at: directory, manifest: manifest, personas: personas.map { ($0.id, $0.json) }, units: units)
        }
        let personas = try await storedPersonas(store)
        let units = try await store.units()
        let limit = options.limit ?? Int.max
        let todo = units.filter { $0.spec.index < limit && $0.status != .done }
        monitor.update { c in
            c.unitsTotal = todo.count
            c.unitsSkipped = units.filter { $0.spec.index < limit && $0.status == .done }.count
        }
        let context = UnitContext(scenario: scenario, seed: seed, personas: personas)
        let width = max(1, options.concurrency)
        // A sliding window of units; each child returns its outcome and the parent commits it (one
        // transaction per unit) after topping the window up, so commits never hold a unit's slot.
        try await withThrowingTaskGroup(of: UnitOutcome.self) { group in
            var next = 0
            func add() {
                let unit = todo[next].spec
                next += 1
                group.addTask {
                    let recorder = UnitModel(base: model, observer: { monitor.record($0) })
                    return try await context.run(unit, model: recorder)
                }
            }
            while next < min(width, todo.count) { add() }
            while let outcome = try await group.next() {
                if next < todo.count { add() }
                try await store.commit(outcome)
                monitor.update { c in
                    c.unitsFinished += 1
                    if outcome.status == .failed { c.unitsFailed += 1 }
                    c.itemFailures += outcome.result["failures"]?.arrayValue?.count ?? 0
                }
            }
        }
        let outputs = try await RunReport.writeOutputs(store: store)
        let final = try await store.units()
        return RunSummary(
            directory: store.directory, runID: store.directory.lastPathComponent, unitsTotal: final.count,
            unitsDone: final.filter { $0.status == .done }.count,
            unitsFailed: final.filter { $0.status == .failed }.count,
            itemFailures: final.reduce(0) {
                $0 + ($1.status == .done ? $1.result["failures"]?.arrayValue?.count ?? 0 : 0)
            },
            outputs: outputs)
    }

    /// Population's persona factory: loads the `POPULATION.json`, generates `count` personas with
    /// exact quotas from `seed` (the spec's own when `nil`), in slot order.
    public static let populationFactory: PopulationGenerator = { path, count, seed in
        let spec = try PopulationSpec.load(file: path)
        let (personas, _) = try await PersonaFactory.personas(spec: spec, count: count, seed: seed)
        return personas.map { ScenarioPersona(id: $0.id, attributes: $0.attributes, narrative: $0.narrative) }
    }

    /// The people of a scenario, in population order.
    public static func resolvePopulation(_ scenario: Scenario, generator: PopulationGenerator?) async throws
        -> [ScenarioPersona]
    {
        var personas: [ScenarioPersona] = []
        switch scenario.population.base {
        case nil:
            break
        case .personas(let path):
            personas = try readPersonas(file: path)
        case .spec(let path, let count, let seed):
            guard let generator else {
                throw EnvironmentError(
                    .invalidInput,
                    "this build cannot generate a population from a spec; run `agora population generate --spec \(path) --out personas.jsonl` and use \"personas\": \"personas.jsonl\"",
                    file: scenario.file, path: "$.population.spec")
            }
            personas = try await generator(path, count, seed)
            guard !personas.isEmpty else {
                throw EnvironmentError(.invalidInput, "the population is empty", file: path)
            }
        }
        for (index, extra) in scenario.population.inline.enumerated() {
            if personas.contains(where: { $0.id == extra.id }) {
                throw EnvironmentError(
                    .invalidInput,
                    "the inline persona \"\(extra.id)\" has the id of a persona from the file; rename it",
                    file: scenario.file, path: "$.population.inline[\(index)].id")
            }
            personas.append(extra)
        }
        return personas
    }

    /// Reads a persona JSONL file (Population's format: `id`, `attributes`, `narrative`? a line).
    public static func readPersonas(file: String) throws(EnvironmentError) -> [ScenarioPersona] {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw EnvironmentError(.io, "cannot read the persona file", file: file, underlying: error)
        }
        var personas: [ScenarioPersona] = []
        var seen = Set<String>()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let value: JSONValue
            do {
                value = try JSONValue.parse(String(line))
            } catch {
                throw EnvironmentError(
                    .invalidInput, "not valid JSON: \(error.message)", file: file, path: "line \(number + 1)")
            }
            let persona = try ScenarioPersona(json: value, file: file, path: "line \(number + 1)")
            guard seen.insert(persona.id).inserted else {
                throw EnvironmentError(
                    .invalidInput, "duplicate persona id \"\(persona.id)\"", file: file, path: "line \(number + 1)")
            }
            personas.append(persona)
        }
        guard !personas.isEmpty else { throw EnvironmentError(.invalidInput, "the persona file is empty", file: file) }
        return personas
    }

    /// The units of a scenario: one per respondent (survey, interview) or per session.
    static func buildUnits(_ scenario: Scenario, personas: [ScenarioPersona]) throws(EnvironmentError) -> [UnitSpec] {
        switch scenario.kind {
        case .survey, .interview:
            let interviewer = scenario.interview?.interviewerPersona
            if let interviewer, !personas.contains(where: { $0.id == interviewer }) {
                throw EnvironmentError(
                    .invalidInput, "no persona \"\(interviewer)\" in the population", file: scenario.file,
                    path: "$.interview.interviewer.persona")
            }
            let kind = scenario.kind == .survey ? "survey-respondent" : "interview"
            return personas.filter { $0.id != interviewer }.enumerated().map { index, persona in
                UnitSpec(index: index, id: persona.id, kind: kind, input: ["persona": .string(persona.id)])
            }
        case .focusGroup, .brainstorm:
            guard let session = scenario.session else { return [] }
            for (index, id) in session.participants.enumerated() where !personas.contains(where: { $0.id == id }) {
                throw EnvironmentError(
                    .invalidInput, "no persona \"\(id)\" in the population", file: scenario.file,
                    path: "$.session.participants[\(index)]")
            }
            return (0..<session.sessions).map { index in
                UnitSpec(
                    index: index, id: "session-\(index + 1)", kind: "session",
                    input: ["participants": .array(session.participants.map { .string($0) })])
            }
        }
    }

    static func storedPersonas(_ store: RunStore) async throws -> [ScenarioPersona] {
        var result: [ScenarioPersona] = []
        for (index, (_, json)) in try await store.personas().enumerated() {
            result.append(try ScenarioPersona(json: json, file: store.directory.path, path: "personas[\(index)]"))
        }
        return result
    }

    /// `<out>/<base>`, or `<out>/<base>-2`, `-3`… when taken.
    static func freshDirectory(_ out: URL, base: String) -> URL {
        var candidate = out.appendingPathComponent(base)
        var n = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = out.appendingPathComponent("\(base)-\(n)")
            n += 1
        }
        return candidate
    }
}

/// What every unit of a run shares (immutable).
struct UnitContext: Sendable {
    let scenario: Scenario
    let seed: UInt64
    let personas: [ScenarioPersona]
    /// Persona positions by id (lookups only).
    let index: [String: Int]

    init(scenario: Scenario, seed: UInt64, personas: [ScenarioPersona]) {
        self.scenario = scenario
        self.seed = seed
        self.personas = personas
        var index: [String: Int] = [:]
        for (position, persona) in personas.enumerated() { index[persona.id] = position }
        self.index = index
    }

    func persona(_ id: String) throws(EnvironmentError) -> ScenarioPersona {
        guard let persona = index[id].map({ personas[$0] }) else {
            throw EnvironmentError(.runStore, "the run has no persona \"\(id)\"")
        }
        return persona
    }

    /// Runs one unit. Errors that make the whole run pointless (endpoint unusable, replay-only cache
    /// miss, cancellation) are thrown; anything else marks the unit failed.
    func run(_ unit: UnitSpec, model: UnitModel) async throws -> UnitOutcome {
        do {
            switch scenario.kind {
            case .survey:
                guard let survey = scenario.survey else { throw EnvironmentError(.invalidInput, "no survey section") }
                let persona = try persona(unit.input["persona"]?.stringValue ?? "")
                let respondent = SurveyRespondent(scenario: scenario, survey: survey, persona: persona, seed: seed)
                let (events, result, _) = try await respondent.run(model: model)
                return UnitOutcome(
                    index: unit.index, status: .done, result: result, events: events, modelCalls: model.calls)
            case .interview, .focusGroup, .brainstorm:
                let (events, result) = try await ConversationUnit(context: self, unit: unit).run(model: model)
                return UnitOutcome(
                    index: unit.index, status: .done, result: result, events: events, modelCalls: model.calls)
            }
        } catch let error as InferenceError
            where error.isEndpointUnusable || error.code == .cacheMiss || error.code == .cancelled
        {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return UnitOutcome(
                index: unit.index, status: .failed, result: ["failures": [], "termination": "failed"],
                error: String(describing: error), modelCalls: model.calls)
        }
    }
}
