import Foundation
import Inference
import Storage

/// Flags shared by every command that talks to a model.
enum ModelOptions {
    static let options: [OptionSpec] = [
        .option(
            "--model", "SPEC",
            "local (default), openai:MODEL, azure:DEPLOYMENT, an http(s)://…/v1 URL, or a fleet: URL,URL,… or @FILE."),
        .option("--model-name", "NAME", "The model name to send to a URL endpoint."),
        .option("--context-window", "N", "The model's context window in tokens (default: learned from the server)."),
        .option(
            "--structured", "MODE",
            "Structured output: json-schema, grammar, json-object or text (default: chosen for the server)."),
    ]

    static func spec(_ arguments: ParsedArguments) throws -> ModelSpec {
        try ModelSpec.parse(arguments.value("--model") ?? "local", modelName: arguments.value("--model-name"))
    }

    /// `--context-window N`.
    static func contextWindow(_ arguments: ParsedArguments) throws -> Int? {
        try arguments.int("--context-window", range: 256...100_000_000)
    }

    /// `--structured MODE`.
    static func structured(_ arguments: ParsedArguments) throws -> StructuredOutputMode? {
        try arguments.choice("--structured", StructuredOutputMode.flagNames).flatMap(StructuredOutputMode.init(flag:))
    }
}

/// `agora model check`: is the endpoint usable?
enum ModelCheckCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["model", "check"],
        summary: "Probe a model endpoint: reachable, answers, JSON-schema support, latency.",
        options: ModelOptions.options + [
            .option("--timeout", "SECONDS", "Give up on one request after this long (default 120)."),
            .flag("--json", "Print the report as JSON."),
        ],
        discussion: "Exits 0 when the model answers, 3 when the endpoint is unusable.")

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let spec = try ModelOptions.spec(arguments)
        let timeout = try arguments.int("--timeout", range: 1...3600) ?? 120
        let connected = try await ConnectedModel.connect(
            spec, concurrency: 1, retry: RetryPolicy(maxAttempts: 2), requestTimeout: TimeInterval(timeout),
            contextWindow: try ModelOptions.contextWindow(arguments), structured: try ModelOptions.structured(arguments)
        )
        defer { connected.close() }
        // A fleet is checked endpoint by endpoint: one that does not answer is named.
        let clients = connected.fleet?.members ?? [connected.client]
        var reports: [ModelProbeReport] = []
        for client in clients { reports.append(await ModelProbe.run(client, endpoint: client.endpoint.displayURL)) }
        if arguments.flag("--json") {
            let json = reports.count == 1 ? reports[0].json() : .array(reports.map { $0.json() })
            Console.out(json.serialized(pretty: true))
        } else {
            Console.out(reports.map { $0.table() }.joined(separator: "\n\n"))
        }
        var usable = true
        for report in reports where !report.usable {
            usable = false
            Console.err(
                "agora: the model endpoint \(report.endpoint) is unusable: \(report.checks.first { $0.name == "chat" }?.detail ?? "no answer")"
            )
        }
        return usable ? ExitCode.success : ExitCode.endpointUnusable
    }
}

/// `agora model setup`: build the local model cache now.
enum ModelSetupCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["model", "setup"],
        summary: "Build (once) the local llama.cpp model into the cache folder, or show where it is.",
        options: [
            .option(
                "--model", "SPEC",
                "local (default) or local:NAME: "
                    + LocalModelChoice.all.map { "local:\($0.name)" }.joined(separator: ", ") + "."),
            .flag("--print", "Print the build script instead of running it."),
            .flag("--rebuild", "Delete the cached venv and model first, then build."),
        ],
        discussion: """
            The cache is $AGORA_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/agora. The first build takes about
            8 minutes on 2 cores; later calls return at once.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        guard case .local(let choice) = try ModelSpec.parse(arguments.value("--model") ?? "local") else {
            throw UsageError("agora model setup builds a built-in model: --model local or local:NAME")
        }
        if arguments.flag("--print") {
            Console.out(LocalModel.setupScript(for: choice))
            return ExitCode.success
        }
        let local = LocalModel(choice: choice)
        if arguments.flag("--rebuild") {
            for name in ["venv", "venv.ready", "models"] {
                try? FileManager.default.removeItem(at: local.cacheDirectory.appendingPathComponent(name))
            }
        }
        try await local.ensureBuilt()
        Console.out(local.modelFile.path)
        return ExitCode.success
    }
}
