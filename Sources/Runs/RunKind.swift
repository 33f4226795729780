import Foundation
public import Inference
public import Storage

/// A kind of run (a survey, a focus group, a set of tool tasks…): what its units are, how one unit
/// runs, its part of `results.json` and its report.
///
/// The engine (``RunEngine``) owns everything else: the run store, resume, the response cache,
/// concurrency, progress, exit codes and writing the outputs. A kind is a value built from a
/// scenario document by its ``RunKindLoader``; adding a kind is one conforming type plus one line in
/// a ``RunKindRegistry``.
public protocol RunKind: Sendable {
    /// The manifest's `kind`, e.g. `survey` or `tool-tasks` (one of the loader's ``RunKindLoader/names``).
    var name: String { get }
    /// The document stored in the run's manifest; resume and `agora report` load the kind from it.
    var document: JSONValue { get }
    /// The file the document came from, if any (relative paths inside it resolve against its folder).
    var sourceFile: String? { get }
    /// The run seed.
    var seed: UInt64 { get }
    /// What the manifest records as the run's model (an identifier, never a key).
    var modelLabel: String { get }
    /// Where a new run's folder goes under `--out`.
    var folder: RunFolder { get }
    /// Units in flight when `--concurrency` is not given (`nil`: the model endpoint's limit).
    var defaultConcurrency: Int? { get }

    /// The people and units of a new run (not called on resume: they are read back from the store).
    func plan() async throws -> RunPlan

    /// Runs one unit. Errors that make the whole run pointless (an unusable endpoint, a replay-only
    /// cache miss, cancellation) are thrown; anything else is returned as a failed outcome.
    func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome

    /// The ids of the personas running `unit` needs, when the kind knows them: the engine then reads
    /// only those, one window of units at a time; `nil` (the default): any persona of the run.
    func personaIDs(for unit: UnitSpec) -> [String]?

    /// How many failures a finished unit recorded (failed items, failed turns, a failed trial); they
    /// make `agora` exit 1.
    func failures(in unit: UnitRecord) -> Int

    /// The kind's `results.json`: a pure function of the stored data.
    func results(_ data: RunData) async throws -> JSONValue

    /// The output files of a run (`results` is ``results(_:)`` of the same data), each a pure
    /// function of the stored data, in the order written.
    func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput]

    /// `agora report --format html|md`: the report (`results` is ``results(_:)`` of the same data).
    func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String

    /// Lines printed to stdout after a run (a results table); empty by default.
    func summaryLines(_ data: RunData, results: JSONValue) -> [String]
}

extension RunKind {
    /// The model endpoint's limit.
    public var defaultConcurrency: Int? { nil }

    /// No summary lines.
    public func summaryLines(_ data: RunData, results: JSONValue) -> [String] { [] }

    /// The whole population: the engine reads every persona once.
    public func personaIDs(for unit: UnitSpec) -> [String]? { nil }

    /// The `failures` array of the unit's result.
    public func failures(in unit: UnitRecord) -> Int { unit.result["failures"]?.arrayValue?.count ?? 0 }
}

/// How a new run's folder is named under `--out`.
public enum RunFolder: Sendable, Hashable {
    /// `<out>/<base>`, or `<base>-2`, `-3`… when taken (scenario runs: `quick-survey-s7`).
    case numbered(String)
    /// Exactly `<out>/<name>`; a second run with the same name is refused with a hint to resume it
    /// (tool-task runs, whose name is a hash of their configuration).
    case exact(String)
}

/// The people and the units of a new run.
public struct RunPlan: Sendable {
    /// The personas, in population order: an id and the JSON stored for it.
    public var personas: [StoredPersona]
    /// The units, indexed from 0.
    public var units: [UnitSpec]

    /// Creates a plan.
    public init(personas: [StoredPersona], units: [UnitSpec]) {
        self.personas = personas
        self.units = units
    }
}

/// One persona as a run store keeps it.
public struct StoredPersona: Sendable, Hashable {
    /// The persona id.
    public var id: String
    /// The persona as JSON.
    public var json: JSONValue

    /// Creates a stored persona.
    public init(id: String, json: JSONValue) {
        self.id = id
        self.json = json
    }
}

/// What one unit is given by the engine.
public struct UnitContext: Sendable {
    /// The run seed.
    public var seed: UInt64
    /// The stored personas, in population order.
    public let personas: [StoredPersona]
    private let index: [String: Int]
    let observer: (@Sendable (StoredModelCall) -> Void)?
    let monitor: RunMonitor?

    /// Creates a context (the engine makes one per run; tests may make their own).
    public init(seed: UInt64, personas: [StoredPersona], observer: (@Sendable (StoredModelCall) -> Void)? = nil) {
        self.init(seed: seed, personas: personas, monitor: nil, observer: observer)
    }

    init(
        seed: UInt64, personas: [StoredPersona], monitor: RunMonitor?,
        observer: (@Sendable (StoredModelCall) -> Void)? = nil
    ) {
        self.monitor = monitor
        self.seed = seed
        self.personas = personas
        var index: [String: Int] = [:]
        for (position, persona) in personas.enumerated() where index[persona.id] == nil { index[persona.id] = position }
        self.index = index
        self.observer = observer
    }

    /// The stored persona with this id, if any (a lookup, not a scan).
    public func persona(_ id: String) -> StoredPersona? { index[id].map { personas[$0] } }

    /// Tells the progress display what this unit is doing now (a phase, a turn, a speaker) and,
    /// when known, how far along it is (0…1: turns done of the budget), which gives an ETA before
    /// the first unit finishes.
    public func report(_ activity: String, fraction: Double? = nil) {
        monitor?.note(activity, fraction: fraction)
    }

    /// `model` as this unit sees it: every call recorded for the unit's commit and counted by the
    /// progress display. Make one per model per unit.
    public func recording(_ model: any LanguageModel) -> UnitModel {
        UnitModel(base: model, observer: observer, tracker: monitor)
    }
}

/// One output file of a run.
public struct RunOutput: Sendable, Hashable {
    /// The file name inside the run folder (`results.json`).
    public var name: String
    /// The content.
    public var text: String

    /// Creates an output.
    public init(_ name: String, _ text: String) {
        self.name = name
        self.text = text
    }
}

/// A format of `agora report`.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// The self-contained HTML page.
    case html
    /// `results.json`.
    case json
    /// A Markdown summary.
    case md
}
