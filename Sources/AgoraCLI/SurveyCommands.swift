import Foundation
import Inference
import Runs
import Scenarios
import Storage

/// `agora run SCENARIO --estimate`: the calls, tokens, cost, cache hits and wall time of a survey
/// run, worked out without calling a model.
enum SurveyEstimateCommand {
    static func run(_ arguments: ParsedArguments, file: String?) async throws -> Int32 {
        guard let file else {
            throw UsageError("--estimate needs a scenario file; usage: agora run SCENARIO.json --estimate")
        }
        if arguments.value("--resume") != nil { throw UsageError("--estimate plans a new run; drop --resume") }
        let specText = arguments.value("--model") ?? "local"
        let spec = try ModelSpec.parse(specText, modelName: arguments.value("--model-name"))
        var local = false
        if case .local = spec { local = true }
        let concurrency = try arguments.int("--concurrency", range: 1...4096) ?? (local ? 1 : 16)
        var prices = SurveyEstimate.defaultPrices
        if let path = arguments.value("--prices") {
            let table = try PriceTable.load(URL(fileURLWithPath: path))
            for (model, price) in table.prices { prices.prices[model] = price }
        }
        var cache: ResponseCache?
        if !arguments.flag("--no-cache") {
            let path = arguments.value("--cache") ?? ConnectedModels.defaultCachePath()
            // An estimate never creates a cache: only an existing one is read.
            if FileManager.default.fileExists(atPath: path) { cache = try ConnectedModels.openCache(path) }
        }
        let started = ContinuousClock.now
        let estimate = try await SurveyEstimate.estimate(
            file: file, limit: try arguments.int("--limit", range: 1...Int.max), seed: try arguments.uint64("--seed"),
            settings: .init(model: spec.identifier(), concurrency: concurrency, prices: prices), cache: cache)
        for line in estimate.lines { Console.out(line) }
        if arguments.flag("--batch") {
            let cost = estimate.cost.map { String(format: "%.4f", $0 * BatchAPIClient.priceFactor) } ?? "unknown"
            Console.out("with --batch: cost \(cost) (the Batch API's half price on the calls not in the cache)")
            Console.out(
                "with --batch: wall time up to 24 h a wave (the completion window; often minutes), plus a wave for answers that unlock later calls"
            )
        }
        Console.err("agora run --estimate: worked out in \(ContinuousClock.now - started); no model was called")
        return ExitCode.success
    }
}

/// `agora survey import FILE.qsf`: a Qualtrics survey export as an Agora survey scenario.
enum SurveyImportCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["survey", "import"],
        summary: "Convert a Qualtrics survey export (.qsf) into an Agora survey scenario; name what did not convert.",
        positionals: [
            PositionalSpec(name: "FILE.qsf", help: "A Qualtrics survey export (Tools → Import/Export → Export Survey).")
        ],
        options: [
            .option("--out", "SCENARIO.json", "Write the scenario here (default: print it)."),
            .option("--id", "ID", "The scenario id (default: the file name)."),
            .option(
                "--personas", "FILE.jsonl", "The population: a persona file (default people.jsonl, to be created)."),
        ],
        discussion: """
            Converts the common question types, display logic that maps to the flow language, skip logic to
            the end of the survey or to a later question, and piped text. Everything not converted is listed
            on stderr, one line each ("not converted: …"). Exit 0 when everything converted, 1 when something
            was listed, 2 when the file is not a survey export.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let path = arguments.positionals[0]
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RunError(.io, "cannot read the file; check the path", file: path, underlying: error)
        }
        let qsf: JSONValue
        do {
            qsf = try JSONValue.parse(data)
        } catch {
            throw RunError(
                .invalidInput, "not valid JSON: \(error.message)", file: path,
                path: "line \(error.line), column \(error.column)")
        }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let id =
            arguments.value("--id")
            ?? String(stem.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" })
        let imported = try SurveyQSF.importSurvey(
            qsf, file: path, id: id.isEmpty ? "imported-survey" : id,
            population: ["personas": .string(arguments.value("--personas") ?? "people.jsonl")])
        let text = imported.document.serialized(pretty: true) + "\n"
        if let out = arguments.value("--out") {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                throw RunError(.io, "cannot write the scenario", file: out, underlying: error)
            }
            Console.out("wrote \(out)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        for note in imported.notConverted { Console.err("not converted: \(note)") }
        return imported.notConverted.isEmpty ? ExitCode.success : ExitCode.finishedWithFailures
    }
}

/// `agora survey export SCENARIO.json --qsf OUT.qsf`: a survey scenario as a Qualtrics survey.
enum SurveyExportCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["survey", "export"],
        summary: "Write a survey scenario as a Qualtrics survey (.qsf) to field it to real respondents.",
        positionals: [PositionalSpec(name: "SCENARIO.json", help: "A survey scenario (docs/scenarios.md).")],
        options: [.option("--qsf", "OUT.qsf", "Where to write the Qualtrics survey (required).")],
        discussion: """
            Item ids become the questions' export tags, so Qualtrics' response export has the same columns as
            responses.csv. What Qualtrics cannot express is listed on stderr ("not converted: …"); exit 1 then.
            """)

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        guard let out = arguments.value("--qsf") else {
            throw UsageError("--qsf OUT.qsf is required; usage: \(spec.usage)")
        }
        let scenario = try Scenario.load(file: arguments.positionals[0])
        let exported = try SurveyQSF.export(scenario)
        do {
            try Data((exported.qsf.serialized(pretty: true) + "\n").utf8).write(to: URL(fileURLWithPath: out))
        } catch {
            throw RunError(.io, "cannot write the survey", file: out, underlying: error)
        }
        Console.out("wrote \(out)")
        for note in exported.notConverted { Console.err("not converted: \(note)") }
        return exported.notConverted.isEmpty ? ExitCode.success : ExitCode.finishedWithFailures
    }
}
