import Experiments
import Fidelity
public import Foundation
public import Runs
import Scenarios
public import Storage
import ToolTasks

/// The front door: maps a scenario file to its run kind and hands it to the run engine.
///
/// `agora run`, `agora tasks run` and `agora report` are one call each into this type. The kinds a
/// build knows are ``registry``; a library user adds their own with `Launcher.registry.adding(MyKind.self)`.
public enum Launcher {
    /// Every kind this build of Agora runs: the scenario kinds (survey, interview, focus group,
    /// brainstorm) and tool tasks. Adding a kind is one line here.
    public static let registry = RunKindRegistry([
        ScenarioKindLoader.self,
        ToolTaskKindLoader.self,
        ExperimentKindLoader.self,
        FidelityKindLoader.self,
    ])

    /// Reads a scenario file as JSON.
    ///
    /// - Throws: ``RunError`` (`io` when unreadable, `invalidInput` with line and column when not JSON).
    public static func readScenario(file: String) throws(RunError) -> JSONValue {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw RunError(.io, "cannot read the scenario file; check the path", file: file, underlying: error)
        }
        do {
            return try JSONValue.parse(data)
        } catch {
            throw RunError(
                .invalidInput, "not valid JSON: \(error.message)", file: file,
                path: "line \(error.line), column \(error.column)")
        }
    }

    /// Runs a scenario file (or a `document` given directly), or continues the run in
    /// `options.resume` (a file given with `--resume` must be the one the run started with).
    ///
    /// - Parameters:
    ///   - file: the scenario file (`nil` with `--resume`: the run's stored copy).
    ///   - document: the scenario itself, when it is not read from `file` (relative paths then
    ///     resolve against `file`'s folder if given, else the working directory).
    ///   - overrides: settings from the command line that win over the file's (`seed`, `agent`…).
    ///   - models: how the models the kind names are reached.
    ///   - registry: the kinds to accept.
    public static func run(
        file: String?, document given: JSONValue? = nil, overrides: JSONObject = JSONObject(), options: RunOptions,
        models: any ModelProvider, registry: RunKindRegistry = Launcher.registry, monitor: RunMonitor = RunMonitor()
    ) async throws -> RunSummary {
        var document = given
        if document == nil, let file { document = try readScenario(file: file) }
        if let resume = options.resume {
            return try await RunEngine.resume(
                resume, registry: registry, models: models, given: document, overrides: overrides, options: options,
                monitor: monitor)
        }
        guard let document else {
            throw RunError(.invalidInput, "give a scenario file, or --resume RUN_DIR")
        }
        let kind = try await registry.load(
            RunSource(document: document, file: file, purpose: .newRun, overrides: overrides, models: models))
        var options = options
        if options.concurrency == nil, kind.defaultConcurrency == nil {
            options.concurrency = models.defaultConcurrency
        }
        options.models = options.models ?? models
        return try await RunEngine.start(kind, options: options, monitor: monitor)
    }

    /// Rewrites every output of a run folder from its store and returns its report in `format`.
    public static func report(
        _ directory: URL, format: ReportFormat, registry: RunKindRegistry = Launcher.registry
    ) async throws -> String {
        try await RunEngine.report(directory, registry: registry, format: format)
    }
}
