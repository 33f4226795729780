import Evaluation
import Foundation
import Runs
import Storage

/// `agora compare RUN_DIR…`: conversation runs of one scenario (or an experiment's arms) side by
/// side, with the bootstrap interval of each difference from the first (docs/ablations.md).
enum CompareCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["compare"],
        summary:
            "Compare conversation runs of one scenario (or an ablation's arms): consistency, echo, role confusion, failures, tokens, cost.",
        positionals: [
            PositionalSpec(
                name: "RUN_DIR", help: "A run folder (the first column; an experiment run gives one column per arm).")
        ] + (2...8).map { PositionalSpec(name: "RUN_DIR\($0)", help: "Another run folder.", required: false) },
        options: [
            .option("--html", "FILE", "Also write the comparison as an HTML page."),
            .option("--resamples", "N", "Bootstrap resamples (default 2000; 0: no intervals)."),
            .option("--seed", "S", "The bootstrap seed (default 1)."),
            .flag("--json", "Print the comparison as JSON instead of Markdown."),
        ],
        discussion: """
            Runs must be of one scenario: they may differ in seed, model and context projection
            (agora run … --context ecp|concat), or be the arms of one experiment run. Consistency
            figures appear after `agora evaluate RUN_DIR --judge …`. Exit 2 for runs of different scenarios.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let comparison = try await RunComparison.compare(
            arguments.positionals.map { URL(fileURLWithPath: $0) },
            resamples: try arguments.int("--resamples", range: 0...100_000) ?? 2000,
            seed: try arguments.uint64("--seed") ?? 1)
        if let html = arguments.value("--html") {
            do {
                try Data(RunComparison.html(comparison).utf8).write(to: URL(fileURLWithPath: html))
            } catch {
                throw RunError(
                    .io, "cannot write the page: \(error.localizedDescription); check the folder", file: html)
            }
        }
        if arguments.flag("--json") {
            Console.out(comparison.serialized(pretty: true))
        } else {
            Console.out(String(RunComparison.markdown(comparison).dropLast()))
        }
        if let html = arguments.value("--html") { Console.err("wrote \(html)") }
        return ExitCode.success
    }
}
