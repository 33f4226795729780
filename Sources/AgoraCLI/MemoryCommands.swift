import Foundation
import Memory
import Storage

/// `agora memory project`: one viewer's projection of a JSON Lines transcript.
enum MemoryProjectCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["memory", "project"],
        summary: "Print one participant's projection of a transcript as chat messages (JSON).",
        positionals: [PositionalSpec(name: "LOG.jsonl", help: "A transcript in JSON Lines (docs/transcript.md).")],
        options: [
            .option("--viewer", "ID", "The participant whose view to print (required)."),
            .option("--system", "TEXT", "A system message to put first."),
            .option("--label-others", "POLICY", "always, when-multi-party (default) or never."),
            .option("--backlog", "POLICY", "What late joiners see: from-join (default) or full."),
            .option("--kickoff", "POLICY", "always (default) or when-needed."),
            .option("--mode", "MODE", "egocentric (default), concat or fixed-roles (ablation baselines)."),
        ],
        discussion: """
            Prints a JSON array of {"role", "content", "tool_calls"?, "tool_call_id"?}.
            A malformed log is reported with its line number and exits 2.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        guard let viewer = arguments.value("--viewer") else {
            throw UsageError("--viewer ID is required; usage: \(spec.usage)")
        }
        var config = ProjectionConfig()
        switch try arguments.choice("--label-others", ["always", "when-multi-party", "never"]) {
        case "always": config.labelOthers = .always
        case "never": config.labelOthers = .never
        default: config.labelOthers = .whenMultiParty
        }
        config.backlog = try arguments.choice("--backlog", ["from-join", "full"]) == "full" ? .full : .fromJoin
        config.kickoff =
            try arguments.choice("--kickoff", ["always", "when-needed"]) == "when-needed" ? .whenNeeded : .always
        switch try arguments.choice("--mode", ["egocentric", "concat", "fixed-roles"]) {
        case "concat": config.mode = .concatTranscript
        case "fixed-roles": config.mode = .fixedRoles
        default: config.mode = .egocentric
        }
        let input = ProjectionCommandInput(
            logPath: arguments.positionals[0], viewer: viewer, system: arguments.value("--system"), config: config)
        Console.out(try input.run())
        return ExitCode.success
    }
}

/// `agora memory tree apply`: apply PersonaTree operations to a tree file.
enum MemoryTreeApplyCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["memory", "tree", "apply"],
        summary: "Apply PersonaTree operations to a tree or schema file; print each outcome and the tree.",
        positionals: [PositionalSpec(name: "TREE.json", help: "A PersonaTree schema or saved tree (docs/memory.md).")],
        options: [
            .option(
                "--ops", "OPS", "Operations: {\"ops\": [...]} JSON, or one ADD(path, \"value\") per line (required)."),
            .option("--seq", "N", "The log seq stamped on written leaves (default 0)."),
            .option("--format", "FORMAT", "How to print the tree: json (default) or outline."),
            .option("--out", "PATH", "Also write the updated tree to PATH."),
        ],
        discussion: """
            Exits 0 when every line was an operation, 1 when some were not (they are listed),
            2 when a file cannot be read or parsed (the message names the line).
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        guard let ops = arguments.value("--ops") else {
            throw UsageError("--ops OPS is required; usage: \(spec.usage)")
        }
        let seq = try arguments.int("--seq", range: 0...Int.max) ?? 0
        let format: TreeRenderFormat =
            try arguments.choice("--format", ["json", "outline"]) == "outline" ? .outline : .json
        let report = try TreeApplyReport.apply(treePath: arguments.positionals[0], opsPath: ops, seq: seq)
        Console.out(report.text(format: format))
        if let out = arguments.value("--out") {
            do {
                try (report.tree.jsonValue.serialized(pretty: true) + "\n").write(
                    toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw MemoryError(
                    .fileAccess, "\(out): cannot write the tree; check the folder exists", underlying: error)
            }
        }
        return report.parseErrors.isEmpty ? ExitCode.success : ExitCode.finishedWithFailures
    }
}
