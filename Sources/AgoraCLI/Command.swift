import Foundation
import Inference
import Population

/// A subcommand of `agora`: a spec (which parses and documents it) and a run function that
/// turns the parsed flags into a configuration and calls one library function.
protocol AgoraCommand {
    static var spec: CommandSpec { get }
    /// Runs the command; returns the exit code.
    static func run(_ arguments: ParsedArguments) async throws -> Int32
}

/// Every command of `agora`, in the order `agora --help` lists them.
enum CommandTable {
    static var all: [any AgoraCommand.Type] {
        [
            ModelCheckCommand.self,
            ModelSetupCommand.self,
            MemoryProjectCommand.self, MemoryTreeApplyCommand.self,
            PopulationGenerateCommand.self, PopulationReportCommand.self,
            BenchCommand.self,
            RunCommand.self,
            ReportCommand.self,
            TasksImportCommand.self, TasksLintCommand.self, TasksRunCommand.self,
            FidelityRunCommand.self, FidelityBaselineCommand.self, FidelityCompareCommand.self,
            SurveyImportCommand.self, SurveyExportCommand.self,
            EvaluateCommand.self, EvaluateExportItemsCommand.self, EvaluateAgreementCommand.self,
            CompareCommand.self,
            MergeCommand.self,
        ]
    }
}

/// Exit codes of `agora` (DESIGN.md).
enum ExitCode {
    static let success: Int32 = 0
    static let finishedWithFailures: Int32 = 1
    static let badInput: Int32 = 2
    static let endpointUnusable: Int32 = 3
    static let interrupted: Int32 = 130
}

/// Writes results to stdout (flushed per line: stdout is fully buffered when piped) and
/// diagnostics to stderr.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Whether stderr is a terminal (progress redraws in place there).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

/// Runs `agora` with `arguments` (without the program name); returns the exit code.
enum AgoraMain {
    static func run(_ arguments: [String]) async -> Int32 {
        if arguments.isEmpty || arguments == ["--help"] || arguments == ["-h"] || arguments == ["help"] {
            Console.out(overview)
            return arguments.isEmpty ? ExitCode.badInput : ExitCode.success
        }
        if arguments == ["--version"] {
            Console.out("agora \(version)")
            return ExitCode.success
        }
        // The longest command path that prefixes the arguments.
        let match = CommandTable.all
            .filter { arguments.starts(with: $0.spec.path) }
            .max { $0.spec.path.count < $1.spec.path.count }
        guard let command = match else {
            let groups = CommandTable.all.filter { $0.spec.path.first == arguments[0] }
            if !groups.isEmpty {
                if arguments.count == 1 || arguments[1] == "--help" {
                    Console.out(groupHelp(arguments[0], groups))
                    return arguments.count == 1 ? ExitCode.badInput : ExitCode.success
                }
                Console.err(
                    "agora: unknown command `\(arguments[0]) \(arguments[1])`; see `agora \(arguments[0]) --help`")
            } else {
                Console.err("agora: unknown command `\(arguments[0])`; see `agora --help`")
            }
            return ExitCode.badInput
        }
        let rest = Array(arguments.dropFirst(command.spec.path.count))
        if rest.contains("--help") || rest.contains("-h") {
            Console.out(command.spec.help)
            return ExitCode.success
        }
        do {
            let parsed = try ParsedArguments.parse(rest, spec: command.spec)
            return try await command.run(parsed)
        } catch {
            return report(error)
        }
    }

    /// Prints an error in one line (or a few) and returns its exit code.
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let usage as UsageError:
            Console.err("agora: \(usage.message)")
            return ExitCode.badInput
        case let inference as InferenceError:
            if inference.code == .cancelled {
                Console.err("agora: interrupted")
                return ExitCode.interrupted
            }
            Console.err("agora: \(inference)")
            return inference.isEndpointUnusable ? ExitCode.endpointUnusable : ExitCode.badInput
        case is CancellationError:
            Console.err("agora: interrupted")
            return ExitCode.interrupted
        case let population as PopulationError
        where (population.underlying as? InferenceError)?.isEndpointUnusable == true:
            Console.err("agora: \(population)")
            return ExitCode.endpointUnusable
        case let described as any CustomStringConvertible:
            Console.err("agora: \(described.description)")
            return ExitCode.badInput
        default:
            Console.err("agora: \(error)")
            return ExitCode.badInput
        }
    }

    static let version = "0.1.0"

    static var overview: String {
        var lines = [
            "agora — simulate populations of people with language models.",
            "",
            "Usage: agora COMMAND [OPTIONS]   (agora COMMAND --help for details)",
            "",
            "Commands:",
        ]
        for command in CommandTable.all {
            let name = command.spec.path.joined(separator: " ")
            lines.append("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(command.spec.summary)")
        }
        lines += [
            "",
            "Models (--model): local (default; a tiny llama.cpp model built into ~/.cache/agora), openai:MODEL,",
            "azure:DEPLOYMENT, or an http(s)://…/v1 URL with --model-name. Keys come from the environment only:",
            "OPENAI_API_KEY, AZURE_OPENAI_API_KEY (+ AZURE_OPENAI_ENDPOINT), AGORA_API_KEY.",
            "Exit codes: 0 success, 1 finished with failures, 2 bad input, 3 model endpoint unusable, 130 interrupted.",
        ]
        return lines.joined(separator: "\n")
    }

    static func groupHelp(_ group: String, _ commands: [any AgoraCommand.Type]) -> String {
        var lines = ["Usage: agora \(group) SUBCOMMAND [OPTIONS]", "", "Subcommands:"]
        for command in commands {
            let name = command.spec.path.joined(separator: " ")
            lines.append("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(command.spec.summary)")
        }
        return lines.joined(separator: "\n")
    }
}
