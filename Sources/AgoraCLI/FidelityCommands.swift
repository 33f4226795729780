import Fidelity
import Foundation
import Storage

/// `agora fidelity baseline PACKAGE`: the reference points of a reference survey, no model.
enum FidelityBaselineCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["fidelity", "baseline"],
        summary: "Print a reference survey's no-model reference points (uniform, majority, demographic, split-half).",
        positionals: [PositionalSpec(name: "PACKAGE", help: "A reference survey folder (survey.json + respondents.csv).")],
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
