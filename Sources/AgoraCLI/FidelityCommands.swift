import Fidelity
import Foundation
import Runs
import Storage

/// `agora fidelity baseline PACKAGE`: the reference points of a reference survey, no model.
enum FidelityBaselineCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["fidelity", "baseline"],
        summary: "Print a reference survey's no-model reference points (uniform, majority, demographic, split-half).",
        positionals: [
            PositionalSpec(name: "PACKAGE", help: "A reference survey folder (survey.json + respondents.csv).")
        ],
        options: [
            .option("--seed", "S", "The seed of the bootstrap, the folds and the splits (default 1)."),
            .option("--resamples", "N", "Bootstrap resamples (default 1000; 0: no intervals)."),
            .flag("--json", "Print the fidelity object as JSON."),
        ],
        discussion: "Validates the package first (bad input exits 2 naming the file and the JSON path or CSV line).")

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        var settings = FidelitySettings()
        if let seed = try arguments.uint64("--seed") { settings.seed = seed }
        if let resamples = try arguments.int("--resamples", range: 0...100_000) { settings.resamples = resamples }
        let fidelity = try await FidelityBaseline.run(package: arguments.positionals[0], settings: settings)
        if arguments.flag("--json") {
            Console.out(fidelity.serialized(pretty: true))
        } else {
            for line in FidelityBaseline.table(fidelity) { Console.out(line) }
        }
        return ExitCode.success
    }
}

/// `agora fidelity run PACKAGE`: silicon sampling of a reference survey, scored against the people.
enum FidelityRunCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["fidelity", "run"],
        summary: "Simulate a reference survey's respondents and score the answers against theirs (docs/fidelity.md).",
        positionals: [
            PositionalSpec(
                name: "PACKAGE", help: "A reference survey folder, or a scenario file with \"kind\": \"fidelity\".",
                required: false)
        ],
        options: ModelOptions.options + [
            .option(
                "--sample", "N", "Respondents sampled without replacement (default: all); quota: the population size."),
            .option(
                "--sampling", "MODE",
                "silicon (default: one persona per respondent) or quota (the reference's marginals)."),
            .option("--seed", "S", "The run seed: sample, option order, bootstrap (default 1)."),
            .option("--condition-on", "IDS", "Comma-separated question ids moved into the persona (not scored)."),
            .option("--persona", "RENDERING", "attributes (default) or first-person."),
            .option("--resamples", "N", "Bootstrap resamples (default 1000)."),
            .option("--out", "DIR", "Where run folders are created (default runs)."),
            .option("--concurrency", "N", "Respondents in flight at once (default: the endpoint's limit)."),
            .option("--cache", "PATH", "The response cache file (default <cache folder>/responses.sqlite)."),
            .option("--resume", "RUN_DIR", "Continue an interrupted run: done respondents are skipped."),
            .flag("--replay-only", "Answer only from the response cache; a miss stops the run (no model call)."),
            .flag("--no-cache", "Neither read nor write the response cache."),
            .option("--timeout", "SECONDS", "The longest one model request may take (default 300 local, 120 remote)."),
            .option("--deadline", "SECONDS", "Stop starting units after this long; what is done is kept (--resume)."),
        ],
        discussion: """
            Writes <out>/<run-id>/run.sqlite, transcripts.jsonl, responses.csv, fidelity.csv, results.json and
            report.html. Exit codes: 0 done, 1 finished with failed answers, 2 bad input (a package that does not
            validate: nothing is written), 3 model endpoint unusable.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let resume = arguments.value("--resume").map { URL(fileURLWithPath: $0) }
        var file: String? = nil
        var document: JSONValue? = nil
        if let path = arguments.positionals.first {
            if path.hasSuffix(".json") { file = path } else { document = FidelityScenario.document(package: path) }
        }
        guard file != nil || document != nil || resume != nil else {
            throw UsageError("give a reference package or a fidelity scenario file; usage: \(spec.usage)")
        }
        var overrides = JSONObject()
        if let seed = try arguments.uint64("--seed") { overrides["seed"] = .integer(Int64(bitPattern: seed)) }
        if let sample = try arguments.int("--sample", range: 1...10_000_000) {
            overrides["sample"] = .integer(Int64(sample))
        }
        if let mode = try arguments.choice("--sampling", ["silicon", "quota"]) {
            overrides["sampling"] = .string(mode)
        }
        if let ids = arguments.value("--condition-on") { overrides["conditionOn"] = .string(ids) }
        if let persona = try arguments.choice("--persona", FidelityScenario.PersonaRendering.allCases.map(\.rawValue)) {
            overrides["persona"] = .string(persona)
        }
        if let resamples = try arguments.int("--resamples", range: 0...100_000) {
            overrides["resamples"] = .integer(Int64(resamples))
        }
        if let model = arguments.value("--model") { overrides["model"] = .string(model) }
        let options = RunOptions(
            outDirectory: URL(fileURLWithPath: arguments.value("--out") ?? "runs"), resume: resume,
            concurrency: try arguments.int("--concurrency", range: 1...4096),
            deadline: try RunLaunch.deadline(arguments))
        return try await RunLaunch.run(
            file: file, document: document, overrides: overrides, options: options, arguments: arguments,
            label: "agora fidelity run")
    }
}

/// `agora fidelity compare RUN_DIR…`: fidelity runs side by side with intervals of the differences.
enum FidelityCompareCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["fidelity", "compare"],
        summary:
            "Compare fidelity runs of one package (models, persona renderings, prompts) with intervals of differences.",
        positionals: [PositionalSpec(name: "RUN_DIR", help: "Two or more fidelity run folders; the first is the base.")]
            + (2...8).map { PositionalSpec(name: "RUN_DIR\($0)", help: "Another run folder.", required: $0 == 2) },
        options: [
            .option("--resamples", "N", "Bootstrap resamples (default 1000)."),
            .option("--seed", "S", "The bootstrap seed (default 1)."),
            .flag("--json", "Print the comparison as JSON."),
        ])

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let comparison = try await FidelityCompare.compare(
            arguments.positionals.map { URL(fileURLWithPath: $0) },
            resamples: try arguments.int("--resamples", range: 0...100_000) ?? 1000,
            seed: try arguments.uint64("--seed") ?? 1)
        if arguments.flag("--json") {
            Console.out(comparison.serialized(pretty: true))
        } else {
            for line in FidelityCompare.table(comparison) { Console.out(line) }
        }
        return ExitCode.success
    }
}
