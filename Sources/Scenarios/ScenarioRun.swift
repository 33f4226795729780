import Evaluation
import Foundation
public import Inference
public import Population
public import Runs
public import Storage

/// The run kinds of scenario files: `survey`, `interview`, `focus-group` and `brainstorm`.
public struct ScenarioRunKind: RunKind {
    /// The scenario.
    public let scenario: Scenario
    /// The model every call goes to (already wrapped in the response cache); `nil` for `agora report`.
    public let model: (any LanguageModel)?
    /// How a population spec becomes personas.
    public let populationGenerator: PopulationGenerator?
    /// The run seed (the scenario's, or `--seed`).
    public let seed: UInt64

    /// Creates the kind.
    public init(
        _ scenario: Scenario, model: (any LanguageModel)?, seed: UInt64? = nil,
        populationGenerator: PopulationGenerator? = PersonaFactory.generator
    ) {
        self.scenario = scenario
        self.model = model
        self.seed = seed ?? scenario.seed
        self.populationGenerator = populationGenerator
    }

    /// The scenario's kind (`survey`…).
    public var name: String { scenario.kind.rawValue }
    /// The scenario document.
    public var document: JSONValue { scenario.document }
    /// The scenario file.
    public var sourceFile: String? { scenario.file }
    /// The model's identifier.
    public var modelLabel: String { model?.identifier ?? "" }
    /// `<id>-s<seed>`, numbered when taken.
    public var folder: RunFolder { .numbered("\(scenario.id)-s\(seed)") }

    /// The population (files, a generated spec, inline personas) and one unit per respondent or session.
    public func plan() async throws -> RunPlan {
        let personas = try await ScenarioRunner.resolvePopulation(scenario, generator: populationGenerator)
        try Self.checkSplits(scenario, personas: personas)
        try Self.checkPersonaReferences(scenario, personas: personas)
        let units = try ScenarioRunner.buildUnits(scenario, personas: personas, seed: seed)
        return RunPlan(personas: personas.map { StoredPersona(id: $0.id, json: $0.participantJSON) }, units: units)
    }

    /// Every `splitBy` attribute must be an attribute of some persona (a typo would silently split
    /// everyone into "(missing)").
    static func checkSplits(_ scenario: Scenario, personas: [Persona]) throws(RunError) {
        try checkSplits(scenario, attributes: attributeKeys(personas))
    }

    /// ``checkSplits(_:personas:)`` given the population's attributes, first seen first.
    static func checkSplits(_ scenario: Scenario, attributes known: [String]) throws(RunError) {
        for (index, attribute) in scenario.splitBy.enumerated() where !known.contains(attribute) {
            let hint = Spelling.closest(to: attribute, in: known).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw RunError(
                .invalidInput,
                "no persona has the attribute \"\(attribute)\"\(hint); the attributes are \(known.prefix(20).joined(separator: ", "))",
                file: scenario.file, path: "$.splitBy[\(index)]")
        }
    }

    /// Runs one respondent or session.
    public func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        guard let model else { throw RunError(.invalidInput, "no model to run \(scenario.id) with") }
        let recorder = context.recording(model)
        return try await ScenarioUnitContext(scenario: scenario, run: context).run(unit, model: recorder)
    }

    /// Per-item distributions with intervals and splits (surveys), extractions and conversation
    /// metrics (conversations), terminations, usage.
    public func results(_ data: RunData) async throws -> JSONValue {
        ConsistencyReport.adding(to: ScenarioReport.results(try ScenarioRunData(data, scenario: scenario)), data)
    }

    /// `transcripts.jsonl`, `responses.csv` (surveys), `results.json`, `report.html`.
    public func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] {
        let view = try ScenarioRunData(data, scenario: scenario)
        // The texts are independent pure functions of `data`: transcripts (the largest) and the CSV
        // are built beside the report, on both cores.
        async let transcriptsText = RunReport.transcripts(data) { ScenarioReport.role(of: $0, in: view) }
        async let csvText = ScenarioReport.responsesCSV(view)
        let resultsText = results.serialized(pretty: true) + "\n"
        let html = ScenarioReport.html(view, results: results)
        var files = [RunOutput("transcripts.jsonl", await transcriptsText)]
        if let csv = await csvText { files.append(RunOutput("responses.csv", csv)) }
        if let lines = ConsistencyReport.linesOutput(data) { files.append(lines) }
        files.append(RunOutput("results.json", resultsText))
        files.append(RunOutput("report.html", html))
        return files
    }

    /// The HTML page or the Markdown summary.
    public func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String {
        let view = try ScenarioRunData(data, scenario: scenario)
        switch format {
        case .html: return ScenarioReport.html(view, results: results)
        case .json: return results.serialized(pretty: true) + "\n"
        case .md: return ScenarioReport.markdown(view, results: results)
        }
    }
}

/// Registers the scenario kinds: reads a scenario document (docs/scenarios.md).
public enum ScenarioKindLoader: RunKindLoader {
    /// `survey`, `interview`, `focus-group`, `brainstorm`.
    public static var names: [String] { Scenario.Kind.allCases.map(\.rawValue) }

    /// Parses the scenario and asks for the run's default model.
    public static func load(_ source: RunSource) async throws -> any RunKind {
        let scenario = try Scenario.parse(
            source.document, file: source.file, baseDirectory: source.baseDirectory, checkFiles: source.checksFiles)
        let seed = source.overrides["seed"]?.intValue.map { UInt64(bitPattern: $0) }
        let model = source.purpose == .report ? nil : try await source.models.model(nil)
        return ScenarioRunKind(scenario, model: model, seed: seed)
    }
}

/// Library entry points of scenario runs.
public enum ScenarioRunner {
    /// Runs `scenario` with `model` (already wrapped in the response cache) on the run engine: a
    /// convenience for callers that hold a parsed scenario and one model (tests, the benchmarks).
    public static func run(
        scenario: Scenario, model: any LanguageModel, options: RunOptions, seed: UInt64? = nil,
        populationGenerator: PopulationGenerator? = PersonaFactory.generator, monitor: RunMonitor = RunMonitor()
    ) async throws -> RunSummary {
        let kind = ScenarioRunKind(scenario, model: model, seed: seed, populationGenerator: populationGenerator)
        if let resume = options.resume {
            return try await RunEngine.resume(
                resume, registry: RunKindRegistry([ScenarioKindLoader.self]), models: FixedModels(model),
                given: scenario.document, options: options, monitor: monitor)
        }
        return try await RunEngine.start(kind, options: options, monitor: monitor)
    }

    /// The people of a scenario, in population order.
    public static func resolvePopulation(_ scenario: Scenario, generator: PopulationGenerator?) async throws
        -> [Persona]
    {
        var personas: [Persona] = []
        switch scenario.population.base {
        case nil:
            break
        case .personas(let path):
            do {
                personas = try Persona.readJSONL(file: path)
            } catch {
                throw RunError(error)
            }
            guard !personas.isEmpty else { throw RunError(.invalidInput, "the persona file is empty", file: path) }
        case .spec(let path, let count, let seed):
            guard let generator else {
                throw RunError(
                    .invalidInput,
                    "this build cannot generate a population from a spec; run `agora population generate --spec \(path) --out personas.jsonl` and use \"personas\": \"personas.jsonl\"",
                    file: scenario.file, path: "$.population.spec")
            }
            personas = try await generator(path, count, seed)
            guard !personas.isEmpty else {
                throw RunError(.invalidInput, "the population is empty", file: path)
            }
        }
        for (index, extra) in scenario.population.inline.enumerated() {
            if personas.contains(where: { $0.id == extra.id }) {
                throw RunError(
                    .invalidInput,
                    "the inline persona \"\(extra.id)\" has the id of a persona from the file; rename it",
                    file: scenario.file, path: "$.population.inline[\(index)].id")
            }
            personas.append(extra)
        }
        return personas
    }

    /// The units of a scenario: one per respondent (survey, interview) or per session.
    package static func buildUnits(_ scenario: Scenario, personas: [Persona], seed: UInt64? = nil) throws(RunError)
        -> [UnitSpec]
    {
        switch scenario.kind {
        case .survey, .interview:
            let interviewer = scenario.interview?.interviewerPersona
            if let interviewer, !personas.contains(where: { $0.id == interviewer }) {
                throw RunError(
                    .invalidInput, "no persona \"\(interviewer)\" in the population", file: scenario.file,
                    path: "$.interview.interviewer.persona")
            }
            let kind = scenario.kind == .survey ? "survey-respondent" : "interview"
            let respondents = personas.filter { $0.id != interviewer }
            let stimuli = scenario.survey?.stimuli.map {
                SurveyStimuliPlan.assign($0, respondents: respondents.map(\.id), seed: seed ?? scenario.seed)
            }
            return respondents.enumerated().map { index, persona in
                var input = JSONObject([("persona", .string(persona.id))])
                if let stimuli {
                    if scenario.survey?.stimuli?.design == .within {
                        input["stimuli"] = .array(stimuli[index].map { .string($0) })
                    } else {
                        input["stimulus"] = .string(stimuli[index].first ?? "")
                    }
                }
                return UnitSpec(index: index, id: persona.id, kind: kind, input: .object(input))
            }
        case .focusGroup, .brainstorm:
            guard let session = scenario.session else { return [] }
            for (index, id) in session.participants.enumerated() where !personas.contains(where: { $0.id == id }) {
                throw RunError(
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

}

extension RunError {
    /// A Population error (a persona that does not decode) as a run error: same message, file and
    /// path; the Population error underneath.
    init(_ error: PopulationError, code: Code = .invalidInput) {
        self.init(code, error.message, file: error.file, path: error.path, underlying: error)
    }
}

/// What every unit of a scenario run shares (immutable).
struct ScenarioUnitContext: Sendable {
    let scenario: Scenario
    let run: UnitContext

    var seed: UInt64 { run.seed }

    func persona(_ id: String) throws(RunError) -> Persona {
        guard let stored = run.persona(id) else {
            throw RunError(.runStore, "the run has no persona \"\(id)\"")
        }
        do {
            return try Persona(json: stored.json, path: "personas[\(id)]")
        } catch {
            throw RunError(error, code: .runStore)
        }
    }
    /// Runs one unit. Errors that make the whole run pointless (endpoint unusable, replay-only cache
    /// miss, cancellation) are thrown; anything else marks the unit failed.
    func run(_ unit: UnitSpec, model: UnitModel) async throws -> UnitOutcome {
        do {
            switch scenario.kind {
            case .survey:
                guard let survey = scenario.survey else { throw RunError(.invalidInput, "no survey section") }
                let persona = try persona(unit.input["persona"]?.stringValue ?? "")
                var respondent = SurveyRespondent(scenario: scenario, survey: survey, persona: persona, seed: seed)
                respondent.stimuli = try SurveyStimuliPlan.rows(survey, input: unit.input)
                let (events, result, _) = try await respondent.run(model: model)
                return UnitOutcome(
                    index: unit.index, status: .done, result: result, events: events, modelCalls: model.calls)
            case .interview, .focusGroup, .brainstorm:
                let (events, result, memory) = try await ConversationUnit(context: self, unit: unit).run(model: model)
                return UnitOutcome(
                    index: unit.index, status: .done, result: result, events: events, modelCalls: model.calls,
                    memoryOperations: memory)
            }
        } catch let error as InferenceError where error.stopsRun {
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
