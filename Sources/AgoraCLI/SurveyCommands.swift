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
        Console.err("agora run --estimate: worked out in \(ContinuousClock.now - started); no model was called")
        return ExitCode.success
    }
}
