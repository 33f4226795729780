import Environments
import Foundation
import Inference
import Storage

/// `agora run SCENARIO.json`: runs (or resumes) a scenario and writes its outputs.
enum RunCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["run"],
        summary:
            "Run a scenario (survey, interview, focus group, brainstorm, tool tasks) and write its outputs and report.",
        positionals: [
            PositionalSpec(name: "SCENARIO.json", help: "The scenario file (docs/scenarios.md).", required: false)
        ],
        options: ModelOptions.options + [
            .option("--out", "DIR", "Where run folders are created (default runs)."),
            .option("--limit", "N", "Run only the first N units (to try a scenario)."),
            .option("--concurrency", "N", "Units in flight at once (default: the endpoint's limit)."),
            .option("--seed", "S", "Override the scenario's seed."),
            .option("--cache", "PATH", "The response cache file (default <cache folder>/responses.sqlite)."),
            .option("--resume", "RUN_DIR", "Continue an interrupted run: done units are skipped."),
            .flag("--replay-only", "Answer only from the response cache; a miss stops the run (no model call)."),
            .flag("--no-cache", "Neither read nor write the response cache."),
        ],
        discussion: """
            Writes <out>/<run-id>/run.sqlite, transcripts.jsonl, responses.csv (surveys), results.json and report.html.
            Exit codes: 0 done, 1 finished with failures recorded (failed items or units), 2 bad input,
            3 model endpoint unusable, 130 interrupted (resume with --resume RUN_DIR).
            """)

    /// Whether `file` is a scenario with `"kind": "tool-tasks"` (those run on the tool-task runner).
    static func isToolTaskScenario(_ file: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: file), let value = try? JSONValue.parse(data) else {
            return false
        }
        return value["kind"]?.stringValue == "tool-tasks"
    }

    /// Hands a tool-task scenario to `agora tasks run` with the options both commands share.
    static func runToolTasks(_ file: String, _ arguments: ParsedArguments) async throws -> Int32 {
        for flag in ["--limit", "--replay-only", "--no-cache"]
        where arguments.value(flag) != nil || arguments.flag(flag) {
            throw UsageError("\(flag) is not available for tool-task scenarios; see `agora tasks run --help`")
        }
        var words = [file]
        for option in ["--model", "--model-name", "--out", "--concurrency", "--seed", "--cache", "--resume"] {
            if let value = arguments.value(option) { words += [option, value] }
        }
        return try await TasksRunCommand.run(try ParsedArguments.parse(words, spec: TasksRunCommand.spec))
    }

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let resume = arguments.value("--resume").map { URL(fileURLWithPath: $0) }
        let scenarioFile = arguments.positionals.first
        guard scenarioFile != nil || resume != nil else {
            throw UsageError("give a scenario file, or --resume RUN_DIR; usage: \(spec.usage)")
        }
        if let scenarioFile, isToolTaskScenario(scenarioFile) {
            return try await runToolTasks(scenarioFile, arguments)
        }
        let scenario = try scenarioFile.map { try Scenario.load(file: $0) }
        let limit = try arguments.int("--limit", range: 1...Int.max)
        let concurrency = try arguments.int("--concurrency", range: 1...4096)
        let seed = try arguments.uint64("--seed")
        let replayOnly = arguments.flag("--replay-only")
        if replayOnly, arguments.flag("--no-cache") {
            throw UsageError("--replay-only needs the cache; drop --no-cache")
        }
        let modelSpec = try ModelOptions.spec(arguments)

        // The cache first: a bad --cache path is bad input, found before the model starts.
        var cache: ResponseCache?
        if !arguments.flag("--no-cache") {
            let path =
                arguments.value("--cache")
                ?? LocalModel().cacheDirectory.appendingPathComponent("responses.sqlite").path
            try? FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            cache = try ResponseCache(.file(path))
        }

        let base: any LanguageModel
        var connected: ConnectedModel?
        if replayOnly, case .local = modelSpec {
            base = UnreachableModel(identifier: LocalModel.identifier)  // replay never starts the local server
        } else {
            let model = try await ConnectedModel.connect(modelSpec, concurrency: concurrency)
            connected = model
            base = model.client
        }
        defer { connected?.close() }
        let width = concurrency ?? connected?.client.endpoint.limits.maxInFlight ?? 1
        let ledger = Ledger()
        let model = CachedModel(base: base, cache: cache, mode: replayOnly ? .replayOnly : .readWrite, ledger: ledger)

        let progress = ProgressDisplay()
        let monitor = RunMonitor(onChange: { progress.update($0) })
        let options = RunOptions(
            outDirectory: URL(fileURLWithPath: arguments.value("--out") ?? "runs"), resume: resume, limit: limit,
            concurrency: width, seed: seed)
        let summary: RunSummary
        do {
            summary = try await ScenarioRunner.run(scenario: scenario, model: model, options: options, monitor: monitor)
        } catch {
            progress.finish(monitor.counts)
            throw error
        }
        progress.finish(monitor.counts)
        Console.out("run: \(summary.directory.path)")
        for file in summary.outputs { Console.out("wrote \(file.path)") }
        let pending = summary.unitsTotal - summary.unitsDone - summary.unitsFailed
        Console.err(
            "agora run: \(summary.unitsDone) of \(summary.unitsTotal) units done, \(summary.unitsFailed) failed, \(summary.itemFailures) items failed"
                + (pending > 0 ? ", \(pending) not run (continue with --resume \(summary.directory.path))" : ""))
        return summary.unitsFailed > 0 || summary.itemFailures > 0 ? ExitCode.finishedWithFailures : ExitCode.success
    }
}

/// `agora report RUN_DIR`: rebuilds a run's outputs from its store and prints the report.
enum ReportCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["report"],
        summary: "Rebuild a run's outputs from its run store and print its report (html, json or md).",
        positionals: [PositionalSpec(name: "RUN_DIR", help: "A run folder written by agora run.")],
        options: [.option("--format", "FORMAT", "html (default), json (results.json) or md.")],
        discussion: "Rewrites transcripts.jsonl, responses.csv, results.json and report.html in RUN_DIR too (tool-task runs: also episodes.jsonl and report.md).")

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let format =
            RunReport.Format(
                rawValue: try arguments.choice("--format", RunReport.Format.allCases.map(\.rawValue)) ?? "html")
            ?? .html
        let text = try await RunReport.rebuild(URL(fileURLWithPath: arguments.positionals[0]), format: format)
        FileHandle.standardOutput.write(Data(text.utf8))
        return ExitCode.success
    }
}

/// The model behind `--replay-only` with the local model: never called (the cache answers or the
/// run stops with a cache miss before reaching it).
struct UnreachableModel: LanguageModel {
    let identifier: String

    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        throw InferenceError(.cacheMiss, "replay-only: the request is not in the cache", model: identifier)
    }
}
