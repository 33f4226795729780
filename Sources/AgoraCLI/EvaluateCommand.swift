import Environments
import Evaluation
import Foundation
import Inference
import Runs
import Storage

/// `agora evaluate RUN_DIR --judge SPEC`: judges the persona consistency of a finished
/// conversation run (evaluation.md §C.2) and adds it to the run's outputs.
enum EvaluateCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["evaluate"],
        summary: "Judge persona consistency (prompt-to-line, line-to-line, Q&A) of a finished conversation run.",
        positionals: [
            PositionalSpec(
                name: "RUN_DIR", help: "A run folder of an interview, focus group, brainstorm or tool tasks.")
        ],
        options: [
            .option(
                "--judge", "SPEC", "The judge model: local, openai:MODEL, azure:DEPLOYMENT or an http(s)://…/v1 URL."),
            .option("--metrics", "LIST", "Comma-separated: p2l, l2l, qa (default all three)."),
            .option("--speakers", "LIST", "Judge only these simulated speakers (comma-separated ids or names)."),
            .option("--sample", "N", "Judge a seeded sample of N conversations (default all)."),
            .option("--context", "K", "Prompt-to-line also sees the last K transcript lines (default none)."),
            .flag("--majority", "Ask three verdicts (temperatures 0, 0.3, 0.3) and keep the majority."),
        ] + ModelOptions.options + [
            .option("--concurrency", "N", "Conversations judged at once (default 4)."),
            .option("--cache", "PATH", "The response cache file (default <cache folder>/responses.sqlite)."),
            .flag("--replay-only", "Answer only from the response cache; a miss stops (no model call)."),
            .flag("--no-cache", "Neither read nor write the response cache."),
            .option("--timeout", "SECONDS", "The longest one model request may take."),
        ],
        discussion: """
            --model names the model the run's people spoke with: Q&A probes ask it (default local).
            Judgments are stored in RUN_DIR/run.sqlite as they finish: running the command again judges only
            what is missing. Writes results.json ("consistency"), consistency-lines.jsonl and report.html.
            Exit codes: 0 done, 1 some judgments failed, 2 bad input, 3 model endpoint unusable.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let directory = URL(fileURLWithPath: arguments.positionals[0])
        let settings = try settings(arguments)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunStore.fileName).path) else {
            throw UsageError(
                "\(directory.path): no run here (run.sqlite is missing); give the run folder that agora run printed")
        }
        let models = try RunLaunch.models(arguments, concurrency: nil)
        defer { models.close() }
        let outcome = try await ConsistencyEvaluation.evaluate(
            directory, registry: Launcher.registry, models: models, settings: settings)
        return report(outcome, directory: directory, label: "agora evaluate")
    }

    /// The flags as settings; a bad judge spec, metric list or count is a usage error (exit 2).
    static func settings(_ arguments: ParsedArguments) throws -> EvaluationSettings {
        guard let judge = arguments.value("--judge") else {
            throw UsageError("give the judge model with --judge SPEC (e.g. --judge local); usage: \(spec.usage)")
        }
        do {
            _ = try ModelSpec.parse(judge, modelName: arguments.value("--model-name"))
        } catch {
            throw UsageError(
                "--judge \(judge): \(error); use local, openai:MODEL, azure:DEPLOYMENT or an http(s)://…/v1 URL")
        }
        var settings = EvaluationSettings(judge: judge)
        if let list = arguments.value("--metrics") {
            do {
                settings.metrics = try ConsistencyMetric.parseList(list)
            } catch {
                throw UsageError("--metrics: \(error)")
            }
        }
        if let list = arguments.value("--speakers") {
            let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            guard !names.isEmpty else { throw UsageError("--speakers: give comma-separated speaker ids or names") }
            settings.speakers = names
        }
        settings.sample = try arguments.int("--sample", range: 1...Int.max)
        settings.contextLines = try arguments.int("--context", range: 1...1000)
        settings.majority = arguments.flag("--majority")
        settings.concurrency = try arguments.int("--concurrency", range: 1...256) ?? 4
        return settings
    }

    /// Prints the per-condition table and what was written; returns the exit code.
    static func report(_ outcome: ConsistencyOutcome, directory: URL, label: String) -> Int32 {
        let metrics = (outcome.summary["metrics"]?.arrayValue ?? []).compactMap(\.stringValue)
        for condition in outcome.summary["conditions"]?.arrayValue ?? [] {
            var line = "consistency \(condition["condition"]?.stringValue ?? ""):"
            for metric in metrics {
                let a = condition[metric]
                let mean = a?["mean"]?.doubleValue.map { String(describing: $0) } ?? "n/a"
                let sd = a?["sd"]?.doubleValue.map { " ± \($0)" } ?? ""
                line += " \(metric) \(mean)\(sd) (n = \(a?["n"]?.intValue ?? 0))"
            }
            Console.out(line)
        }
        for name in ["results.json", "consistency-lines.jsonl", "report.html"] {
            Console.out("wrote \(directory.appendingPathComponent(name).path)")
        }
        Console.err(
            "\(label): \(outcome.calls) model calls (\(outcome.cachedCalls) from the cache), \(outcome.reused) stored groups reused, \(outcome.failures) judgments failed"
        )
        return outcome.failures > 0 ? ExitCode.finishedWithFailures : ExitCode.success
    }

    /// A finished run whose scenario has an `evaluation` section is judged right after it, with the
    /// run's models (the judge by its spec, the people by the run's default model).
    static func inline(_ directory: URL, models: any ModelProvider) async throws -> Int32? {
        let store = try RunStore.open(directory)
        let manifest = try await store.manifest()
        let kind = try await Launcher.registry.load(
            RunSource(document: manifest.document, file: manifest.sourceFile, purpose: .report))
        guard let settings = (kind as? any ConversationSource)?.evaluation else { return nil }
        let outcome = try await ConsistencyEvaluation.evaluate(
            directory, registry: Launcher.registry, models: models, settings: settings)
        return report(outcome, directory: directory, label: "evaluation")
    }
}
