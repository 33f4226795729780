import Environments
import Foundation
import Inference
import Runs
import Scenarios
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
            .option(
                "--context", "ecp|concat",
                "Conversation kinds: every agent sees ECP (default) or the naive shared transcript (ablation)."),
            .option("--cache", "PATH", "The response cache file (default <cache folder>/responses.sqlite)."),
            .option("--resume", "RUN_DIR", "Continue an interrupted run: done units are skipped."),
            .option(
                "--shard", "I/N",
                "Run only shard I of N (units whose index mod N is I) into <out>/<run>-shard-I-of-N; auto/N takes I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID. Join the shards with agora merge."
            ),
            .flag("--replay-only", "Answer only from the response cache; a miss stops the run (no model call)."),
            .flag("--no-cache", "Neither read nor write the response cache."),
            .option("--timeout", "SECONDS", "The longest one model request may take (default 300 local, 120 remote)."),
            .option("--deadline", "SECONDS", "Stop starting units after this long; what is done is kept (--resume)."),
            .flag("--estimate", "Print calls, tokens, cost, cache hits and wall time of a survey run; call no model."),
            .option(
                "--prices", "FILE",
                "With --estimate: a price table {\"MODEL\": {\"prompt\": USD_PER_1M, \"completion\": …}}."),
            .flag(
                "--batch",
                "Send the requests the cache misses to the OpenAI Batch API (half price, up to 24 h), then run from the cache."
            ),
            .option("--batch-poll", "SECONDS", "With --batch: the first wait between polls of a batch (default 10)."),
        ],
        discussion: """
            Writes <out>/<run-id>/run.sqlite, transcripts.jsonl, responses.csv (surveys), results.json and report.html.
            Exit codes: 0 done, 1 finished with failures recorded (failed items or units), 2 bad input,
            3 model endpoint unusable, 130 interrupted (resume with --resume RUN_DIR).
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let resume = arguments.value("--resume").map { URL(fileURLWithPath: $0) }
        let scenarioFile = arguments.positionals.first
        guard scenarioFile != nil || resume != nil else {
            throw UsageError("give a scenario file, or --resume RUN_DIR; usage: \(spec.usage)")
        }
        if arguments.flag("--estimate") {
            return try await SurveyEstimateCommand.run(arguments, file: scenarioFile)
        }
        var overrides = JSONObject()
        if let seed = try arguments.uint64("--seed") { overrides["seed"] = .integer(Int64(bitPattern: seed)) }
        // The projection is written into the scenario document, so the stored copy (and the
        // digest, `agora report`, `--resume`) records which one the run used.
        var document: JSONValue?
        if let text = arguments.value("--context") {
            guard let projection = ScenarioContext.Projection(rawValue: text) else {
                throw UsageError("--context takes ecp or concat, not \"\(text)\"")
            }
            guard let scenarioFile else {
                throw UsageError("--resume continues with the run's stored context; drop --context or give the file")
            }
            document = try Scenario.document(
                Launcher.readScenario(file: scenarioFile), projection: projection, file: scenarioFile)
        }
        var options = RunOptions(
            outDirectory: URL(fileURLWithPath: arguments.value("--out") ?? "runs"), resume: resume,
            limit: try arguments.int("--limit", range: 1...Int.max),
            concurrency: try arguments.int("--concurrency", range: 1...4096),
            deadline: try RunLaunch.deadline(arguments))
        options.batch = try RunLaunch.batch(arguments)
        options.shard = try arguments.value("--shard").map {
            try RunShard.resolve($0, environment: ProcessInfo.processInfo.environment)
        }
        return try await RunLaunch.run(
            file: scenarioFile, document: document, overrides: overrides, options: options, arguments: arguments,
            label: "agora run")
    }
}

/// What `agora run` and `agora tasks run` share: the models from the flags, the progress display,
/// the summary lines and the exit code.
enum RunLaunch {
    /// The run's models: `--model`, `--model-name`, and the response cache (`--cache`, `--no-cache`,
    /// `--replay-only`). The cache is opened first: a bad `--cache` path is bad input, found before
    /// any model starts.
    static func models(_ arguments: ParsedArguments, concurrency: Int?) throws -> ConnectedModels {
        let replayOnly = arguments.flag("--replay-only")
        if replayOnly, arguments.flag("--no-cache") {
            throw UsageError("--replay-only needs the cache; drop --no-cache")
        }
        let spec = arguments.value("--model") ?? "local"
        _ = try ModelSpec.parse(spec, modelName: arguments.value("--model-name"))
        let cache =
            arguments.flag("--no-cache")
            ? nil : try ConnectedModels.openCache(arguments.value("--cache") ?? ConnectedModels.defaultCachePath())
        return try ConnectedModels(
            defaultSpec: spec, modelName: arguments.value("--model-name"), cache: cache, replayOnly: replayOnly,
            concurrency: concurrency,
            requestTimeout: try arguments.int("--timeout", range: 1...86_400).map(TimeInterval.init),
            contextWindow: try ModelOptions.contextWindow(arguments),
            structured: try ModelOptions.structured(arguments),
            batch: arguments.flag("--batch"))
    }

    /// `--batch` and `--batch-poll SECONDS`.
    static func batch(_ arguments: ParsedArguments) throws -> BatchOptions? {
        guard arguments.flag("--batch") else {
            if arguments.value("--batch-poll") != nil { throw UsageError("--batch-poll goes with --batch") }
            return nil
        }
        var poll = 10.0
        if let text = arguments.value("--batch-poll") {
            guard let seconds = Double(text), seconds > 0, seconds <= 3600 else {
                throw UsageError("--batch-poll expects seconds between 0 and 3600 (e.g. 30 or 0.5), got \"\(text)\"")
            }
            poll = seconds
        }
        return BatchOptions(pollInterval: poll, log: { Console.err("agora run: \($0)") })
    }

    /// `--deadline SECONDS`.
    static func deadline(_ arguments: ParsedArguments) throws -> Duration? {
        try arguments.int("--deadline", range: 1...31_536_000).map { .seconds($0) }
    }

    /// Runs through the front door with a progress display; prints the summary; returns the exit code.
    static func run(
        file: String?, document: JSONValue? = nil, overrides: JSONObject, options: RunOptions,
        arguments: ParsedArguments, label: String, printJSON: Bool = false
    ) async throws -> Int32 {
        let models = try models(arguments, concurrency: options.concurrency)
        defer { models.close() }
        var fleetOptions = options
        if case .fleet = try ModelOptions.spec(arguments) {
            // With a fleet --concurrency is each endpoint's limit; the run keeps all their slots busy.
            fleetOptions.concurrency = nil
        }
        let options = fleetOptions
        let progress = ProgressDisplay(label: label)
        let monitor = RunMonitor(onChange: { progress.update($0) })
        let summary: RunSummary
        do {
            // A tick every 5 s redraws the line even while nothing finishes, so stalled requests show.
            summary = try await withThrowingTaskGroup(of: RunSummary?.self) { group in
                group.addTask {
                    try await Launcher.run(
                        file: file, document: document, overrides: overrides, options: options, models: models,
                        monitor: monitor)
                }
                group.addTask {
                    while (try? await Task.sleep(for: .seconds(5))) != nil, !Task.isCancelled {
                        progress.update(monitor.counts)
                    }
                    return nil
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let result { return result }
                }
                throw CancellationError()
            }
        } catch {
            // A run that stopped after some units shows where it got to; one that never started, nothing.
            if monitor.counts.unitsFinished > 0 { progress.finish(monitor.counts) } else { progress.abandon() }
            if let directory = monitor.runDirectory {
                // The run folder exists: say where it is and how to continue once the cause is fixed.
                Console.out("run: \(directory.path)")
                Console.err(
                    "\(label): stopped; the units done are kept: continue with \(label) --resume \(directory.path)")
            }
            throw error
        }
        progress.finish(monitor.counts)
        if printJSON {
            Console.out(summary.results.serialized(pretty: true))
        } else {
            for line in summary.lines { Console.out(line) }
        }
        Console.out("run: \(summary.directory.path)")
        for file in summary.outputs { Console.out("wrote \(file.path)") }
        if summary.deadlineReached {
            Console.err("\(label): the --deadline passed; units not started then are left for --resume")
        }
        Console.err(
            "\(label): \(summary.unitsDone) of \(summary.unitsTotal) units done, \(summary.unitsFailed) failed, \(summary.itemFailures) items failed"
                + (summary.unitsPending > 0
                    ? ", \(summary.unitsPending) not run (continue with --resume \(summary.directory.path))" : ""))
        // A scenario with an `evaluation` section is judged now (evaluation.md; `agora evaluate`).
        let evaluated = try await EvaluateCommand.inline(summary.directory, models: models)
        return summary.hasFailures || evaluated == ExitCode.finishedWithFailures
            ? ExitCode.finishedWithFailures : ExitCode.success
    }
}

/// `agora report RUN_DIR`: rebuilds a run's outputs from its store and prints the report.
enum ReportCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["report"],
        summary: "Rebuild a run's outputs from its run store and print its report (html, json or md).",
        positionals: [PositionalSpec(name: "RUN_DIR", help: "A run folder written by agora run.")],
        options: [.option("--format", "FORMAT", "html (default), json (results.json) or md.")],
        discussion:
            "Rewrites transcripts.jsonl, responses.csv, results.json and report.html in RUN_DIR too (tool-task runs: also episodes.jsonl and report.md)."
    )

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let format =
            ReportFormat(rawValue: try arguments.choice("--format", ReportFormat.allCases.map(\.rawValue)) ?? "html")
            ?? .html
        let text = try await Launcher.report(URL(fileURLWithPath: arguments.positionals[0]), format: format)
        FileHandle.standardOutput.write(Data(text.utf8))
        return ExitCode.success
    }
}
