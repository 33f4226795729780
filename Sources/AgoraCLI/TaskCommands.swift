import Environments
import Foundation
import Inference
import Runs
import Storage
import ToolTasks

/// `agora tasks import-tau2 DIR --out DIR`: turns a tau2 domain folder into an Agora domain package.
enum TasksImportCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["tasks", "import-tau2"],
        summary: "Import a tau2 domain folder (db.json, tasks.json, policy.md, tools.schema.json) as a domain package.",
        positionals: [
            PositionalSpec(name: "DIR", help: "The tau2 domain folder (e.g. /work/shared/data/tau2-airline).")
        ],
        options: [
            .option("--out", "DIR", "Where to write the domain (e.g. Scenarios/domains/tau2-airline)."),
            .option("--name", "NAME", "The domain name (default: the tasks' domain)."),
        ],
        discussion:
            "Tools are bound to Agora's native ports (the airline port ships). Tasks a no-op agent passes get x_allow_trivial."
    )

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        guard let out = arguments.value("--out") else { throw UsageError("give --out DIR; usage: \(spec.usage)") }
        let domain = try await TaskImporter.importDomain(
            from: URL(fileURLWithPath: arguments.positionals[0]), to: URL(fileURLWithPath: out),
            name: arguments.value("--name"))
        Console.out("imported \(domain.tasks.count) tasks, \(domain.tools.count) tools into \(out)")
        Console.out("trivially passable (marked x_allow_trivial): \(domain.tasks.filter(\.allowTrivial).count)")
        return ExitCode.success
    }
}

/// `agora tasks lint DOMAIN`: the five linter rules.
enum TasksLintCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["tasks", "lint"],
        summary: "Lint a tool-task domain: gold replay, no-op check, known info, persona text, policy tools.",
        positionals: [PositionalSpec(name: "DOMAIN", help: "The domain folder.")],
        options: [
            .flag("--strict", "Unexpected gold-step errors are errors, not warnings."),
            .flag("--quiet", "Print errors only."),
        ],
        discussion: "Exits 0 when there is no error, 1 when there are errors, 2 when the domain does not load.")

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let domain = try ToolDomain.load(URL(fileURLWithPath: arguments.positionals[0]))
        let findings = await TaskLinter.lint(domain, strict: arguments.flag("--strict"))
        for finding in findings where !arguments.flag("--quiet") || finding.severity == "error" {
            Console.out(finding.line)
        }
        let errors = findings.filter { $0.severity == "error" }.count
        Console.err(
            "agora tasks lint: \(domain.tasks.count) tasks, \(errors) errors, \(findings.count - errors) warnings")
        return errors > 0 ? ExitCode.finishedWithFailures : ExitCode.success
    }
}

/// `agora tasks run DOMAIN|SCENARIO.json`: runs tool tasks with an agent and a simulated user.
enum TasksRunCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["tasks", "run"],
        summary:
            "Run tool tasks: --agent gold|noop|model[:SPEC]|http:URL, --user scripted|model[:SPEC]; pass^k per persona.",
        positionals: [
            PositionalSpec(
                name: "DOMAIN", help: "A domain folder, or a scenario file with \"kind\": \"tool-tasks\".",
                required: false)
        ],
        options: ModelOptions.options + [
            .option("--tasks", "IDS", "Comma-separated task ids."),
            .option("--split", "NAME", "A split (base, train, test)."),
            .option("--agent", "AGENT", "gold, noop, model[:SPEC] or http:URL (default gold)."),
            .option("--user", "USER", "scripted or model[:SPEC] (default scripted)."),
            .option("--personas", "N", "Sampled persona policies per task (default 0: the task's preset)."),
            .option("--trials", "K", "Trials per task and persona (default 1)."),
            .option("--max-steps", "N", "Step limit per episode (default 200; a task's x_limits win)."),
            .option("--seed", "S", "The run seed (default 1)."),
            .option("--out", "DIR", "Where run folders are created (default runs)."),
            .option("--resume", "RUN_DIR", "Continue an interrupted run."),
            .option("--concurrency", "N", "Episodes in flight at once (default 4)."),
            .option(
                "--judge", "JUDGE",
                "model[:SPEC]: grade NL_ASSERTION with a model judge (default: none, reported as needs-judge)."),
            .option(
                "--population", "FILE", "Population personas for LLM users: a persona JSONL or a POPULATION.json spec."),
            .option(
                "--population-count", "N", "Personas to generate from a POPULATION.json spec (default: the spec's)."),
            .option(
                "--split-by", "ATTRS", "Comma-separated persona attributes to break results down by (e.g. age,region)."),
            .option("--cache", "PATH", "The response cache file (model agents, users and the judge)."),
            .flag("--replay-only", "Answer only from the response cache; a miss stops the run (no model call)."),
            .flag("--no-cache", "Neither read nor write the response cache."),
            .option("--timeout", "SECONDS", "The longest one model request may take (default 300 local, 120 remote)."),
            .option("--deadline", "SECONDS", "Stop starting units after this long; what is done is kept (--resume)."),
            .flag("--json", "Print results.json instead of the table."),
        ],
        discussion: """
            Writes <out>/<run-id>/run.sqlite, transcripts.jsonl, episodes.jsonl (tau2-style), results.json, report.md
            and report.html. A model agent gets the policy as system prompt and the tools as functions; http:URL
            ending in /v1 is an OpenAI-compatible endpoint (--model-name), any other URL the webhook protocol of
            docs/agents.md. Exit 0 when every trial passed, 1 otherwise, 2 for bad input, 3 when a model endpoint
            is unusable (the units not done stay pending: continue with --resume RUN_DIR).
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let resume = arguments.value("--resume").map { URL(fileURLWithPath: $0) }
        var file: String? = nil
        var domainFolder: String? = nil
        if let path = arguments.positionals.first {
            if path.hasSuffix(".json") { file = path } else { domainFolder = path }
        }
        guard file != nil || domainFolder != nil || resume != nil else {
            throw UsageError("give a domain folder or scenario file; usage: \(spec.usage)")
        }
        // The flags are the scenario keys of docs/tool-tasks.md; they win over the file's.
        var overrides = JSONObject()
        for (flag, key) in [
            ("--tasks", "tasks"), ("--split", "split"), ("--agent", "agent"), ("--user", "user"), ("--judge", "judge"),
            ("--population", "population"), ("--split-by", "splitBy"),
        ] {
            if let value = arguments.value(flag) { overrides[key] = .string(value) }
        }
        for (flag, key, range) in [
            ("--personas", "personas", 0...1000), ("--trials", "trials", 1...64),
            ("--max-steps", "maxSteps", 1...10_000),
            ("--concurrency", "concurrency", 1...256), ("--population-count", "populationCount", 1...100_000),
        ] {
            if let value = try arguments.int(flag, range: range) { overrides[key] = .integer(Int64(value)) }
        }
        if let seed = try arguments.uint64("--seed") { overrides["seed"] = .integer(Int64(bitPattern: seed)) }
        // A bare domain folder is a tool-task scenario with only its domain.
        let document = domainFolder.map(ToolTaskKindLoader.document(domain:))
        return try await RunLaunch.run(
            file: file, document: document, overrides: overrides,
            options: RunOptions(
                outDirectory: URL(fileURLWithPath: arguments.value("--out") ?? "runs"), resume: resume,
                concurrency: overrides["concurrency"]?.intValue.map(Int.init),
                deadline: try RunLaunch.deadline(arguments)),
            arguments: arguments, label: "agora tasks run", printJSON: arguments.flag("--json"))
    }
}
