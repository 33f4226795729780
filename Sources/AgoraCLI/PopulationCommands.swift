import Foundation
import Inference
import Population
import Runs
import Storage

/// `agora population generate`: sample a population with exact quotas into persona JSONL.
enum PopulationGenerateCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["population", "generate"],
        summary: "Generate personas with exact quotas from a population spec (JSONL, slot order).",
        options: [
            .option("--spec", "POPULATION.json", "The population spec (required; docs/population.md)."),
            .option("--count", "N", "Number of personas (default: the spec's population)."),
            .option("--seed", "S", "Seed (default: the spec's seed)."),
            .option("--out", "PATH", "The JSONL file to write (required)."),
            .option("--workers", "N", "Sampling workers (default 2); the output does not depend on it."),
            .flag("--narratives", "Also write a model narrative per persona (resumable)."),
            .option("--cache", "PATH", "The response cache for narratives (default <cache folder>/responses.sqlite)."),
            .flag("--no-cache", "Do not cache model responses."),
            .option("--timeout", "SECONDS", "The longest one model request may take (default 300 local, 120 remote)."),
        ] + ModelOptions.options,
        discussion: """
            The same spec, count and seed give byte-identical files for any --workers.
            Bad input (taxonomy, spec, rules, CSV, infeasible targets) exits 2 with file, JSON path and reason.
            With --narratives, an interrupted run continues where it stopped when run again.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        guard let specPath = arguments.value("--spec") else {
            throw UsageError("--spec is required; usage: \(spec.usage)")
        }
        guard let out = arguments.value("--out") else { throw UsageError("--out is required; usage: \(spec.usage)") }
        let population = try PopulationSpec.load(file: specPath)
        for warning in population.warnings { Console.err("warning: \(warning)") }
        let count = try arguments.int("--count", range: 0...100_000_000)
        let seed = try arguments.uint64("--seed")
        let workers = try arguments.int("--workers", range: 1...256) ?? 2
        var writer: NarrativeWriter?
        var models: ConnectedModels?
        if arguments.flag("--narratives") {
            // The same model and response-cache wiring as agora run.
            let provider = try RunLaunch.models(arguments, concurrency: population.narrative.concurrency)
            models = provider
            writer = NarrativeWriter(model: try await provider.model(nil))
        }
        defer { models?.close() }
        let summary = try await PersonaFactory.generate(
            spec: population, count: count, seed: seed, out: out, workers: workers, narratives: writer)
        for warning in summary.warnings { Console.err("warning: \(warning)") }
        let rejects = summary.rejects.filter { $0.count > 0 }.map { "\($0.reason) \($0.count)" }
        Console.err(
            "agora population: wrote \(summary.count) personas to \(out) (integerisation: \(summary.plan.method)"
                + (rejects.isEmpty ? "" : "; rejected attempts: \(rejects.joined(separator: ", "))")
                + (writer == nil
                    ? "" : "; narratives \(summary.narratives.written), failed \(summary.narratives.failed)")
                + ")")
        return summary.narratives.failed > 0 ? ExitCode.finishedWithFailures : ExitCode.success
    }
}

/// `agora population report`: quota error, coverage, entropy, uniqueness, text and validity metrics.
enum PopulationReportCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["population", "report"],
        summary: "Report quota error and diversity metrics of a persona JSONL file.",
        positionals: [PositionalSpec(name: "FILE.jsonl", help: "Personas written by `agora population generate`.")],
        options: [
            .option("--spec", "POPULATION.json", "The spec, for quota errors, rules and coverage."),
            .flag("--json", "Print JSON instead of a table."),
            .option("--html", "PATH", "Also write the HTML fragment (target vs realised bars) to PATH."),
        ])

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let population = try arguments.value("--spec").map { try PopulationSpec.load(file: $0) }
        let report = try PopulationReport.load(file: arguments.positionals[0], spec: population)
        if let html = arguments.value("--html") {
            do {
                try report.html.write(toFile: html, atomically: true, encoding: .utf8)
            } catch {
                throw PopulationError(.io, "cannot write the HTML fragment", file: html, underlying: error)
            }
        }
        Console.out(arguments.flag("--json") ? report.json.serialized(pretty: true) : report.table)
        return ExitCode.success
    }
}
