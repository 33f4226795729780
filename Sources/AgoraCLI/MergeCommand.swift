import Environments
import Foundation
import Runs

/// `agora merge RUN_DIR… --out DIR`: joins the shards of a run into one run folder.
enum MergeCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["merge"],
        summary: "Join the run folders of a sharded run (agora run --shard I/N) into one run folder.",
        positionals: [
            PositionalSpec(
                name: "RUN_DIR…", help: "The run folder of every shard (agora run --shard printed them).",
                variadic: true)
        ],
        options: [.option("--out", "DIR", "The merged run folder to write (required).")],
        discussion: """
            Checks that the folders are shards of one run (same scenario digest, seed and model) and hold
            every unit exactly once, with every unit run; then writes DIR/run.sqlite and the outputs a
            single-process run of the scenario writes (byte-identical). Run it again after an interruption
            to finish. Exit codes: 0 merged, 2 shards missing, doubled, unfinished or from different runs.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        guard let out = arguments.value("--out") else {
            throw UsageError("give the merged run folder: --out DIR; usage: \(spec.usage)")
        }
        let shards = arguments.positionals.map { URL(fileURLWithPath: $0) }
        let summary = try await RunMerge.merge(shards, into: URL(fileURLWithPath: out))
        let outputs = try await RunEngine.rebuild(summary.directory, registry: Launcher.registry)
        Console.err(
            "agora merge: \(summary.shards.count) shards, \(summary.units) units"
                + (summary.reused ? " (the store of an earlier merge was complete; outputs rewritten)" : ""))
        Console.out("run: \(summary.directory.path)")
        for file in outputs { Console.out("wrote \(file.path)") }
        return ExitCode.success
    }
}
