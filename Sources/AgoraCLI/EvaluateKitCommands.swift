import Evaluation
import Foundation
import Runs
import Storage

/// `agora evaluate export-items RUN_DIR`: rating items for human raters (the validation kit).
enum EvaluateExportItemsCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["evaluate", "export-items"],
        summary:
            "Write a conversation run's lines as rating items (persona, prior lines, the line, 1–6) for human raters.",
        positionals: [PositionalSpec(name: "RUN_DIR", help: "A conversation run folder.")],
        options: [
            .option("--out", "FILE", "Write the CSV here (default: stdout)."),
            .option("--sample", "N", "Export N items drawn at random (seeded) instead of all."),
            .option("--seed", "S", "The seed of --sample (default 1)."),
        ],
        discussion: """
            One row per line: item (<unit>#<seq>, the id the judge's verdicts use), unit, speaker,
            persona, prior_lines, line, instruction and an empty rating column. After
            `agora evaluate RUN_DIR --judge …` the items are the lines the judge rated; before, every
            line of a simulated speaker. docs/ablations.md describes the ratings file.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let directory = URL(fileURLWithPath: arguments.positionals[0])
        var items = try await RatingItems.items(directory)
        if let count = try arguments.int("--sample", range: 1...1_000_000) {
            items = RatingItems.sample(items, count: count, seed: try arguments.uint64("--seed") ?? 1)
        }
        let csv = RatingItems.csv(items)
        if let out = arguments.value("--out") {
            do {
                try Data(csv.utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                throw RunError(
                    .io, "cannot write the items: \(error.localizedDescription); check the folder", file: out)
            }
            Console.err("wrote \(items.count) items to \(out)")
        } else {
            Console.out(String(csv.dropLast()))
        }
        return ExitCode.success
    }
}

/// `agora evaluate agreement RUN_DIR RATINGS.csv`: human ratings against the judge's verdicts.
enum EvaluateAgreementCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["evaluate", "agreement"],
        summary:
            "Agreement of human ratings with the judge's prompt-to-line verdicts: Cohen's κ, Fleiss' κ, agreement.",
        positionals: [
            PositionalSpec(name: "RUN_DIR", help: "The run the items came from (after agora evaluate)."),
            PositionalSpec(name: "RATINGS.csv", help: "Columns item, rater, rating (1–6), one rating a row."),
        ],
        options: [.flag("--json", "Print the statistics as JSON.")],
        discussion: """
            Ratings of 4 or more count as consistent. Prints linear-weighted Cohen's κ and percent
            agreement of the judge with each rater, and Fleiss' κ and percent agreement among the
            raters, each with its n. Exit 2 when the run has no consistency-lines.jsonl yet.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let directory = URL(fileURLWithPath: arguments.positionals[0])
        let path = arguments.positionals[1]
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RunError(.io, "cannot read the ratings: \(error.localizedDescription); check the path", file: path)
        }
        let ratings = try Agreement.parseRatings(text, file: path)
        let report = try Agreement.report(directory, ratings: ratings)
        if arguments.flag("--json") {
            Console.out(report.serialized(pretty: true))
        } else {
            Console.out(String(Agreement.markdown(report).dropLast()))
        }
        return ExitCode.success
    }
}
