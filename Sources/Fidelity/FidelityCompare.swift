public import Foundation
import Runs
public import Storage

/// `agora fidelity compare RUN_DIR…`: fidelity runs of one package side by side, per question and
/// overall, with the bootstrap interval of each run's difference from the first run.
///
/// Every run is resampled with the same seed: runs over the same respondents draw the same
/// respondents in resample b, so their differences are paired; runs over different samples are
/// resampled independently.
public enum FidelityCompare {
    static let overallFigures: [(FigureLayout.OverallFigure, String)] = [
        (.representativeness, "representativeness"), (.simbench, "simbench"), (.accuracy, "accuracy"), (.tvd, "tvd"),
    ]
    static let questionFigures: [(FigureLayout.QuestionFigure, String)] = [
        (.tvd, "tvd"), (.simbench, "simbench"), (.ordinalSimilarity, "ordinalSimilarity"), (.accuracy, "accuracy"),
    ]

    struct Loaded {
        var directory: URL
        var manifest: RunManifest
        var scenario: FidelityScenario
        var table: FidelityTable
    }

    /// Compares the runs in `directories` (at least 2) with `resamples` bootstrap resamples and `seed`.
    ///
    /// - Throws: ``RunError`` (`invalidInput`) when a folder is not a fidelity run or the runs score
    ///   different packages or questions.
    public static func compare(_ directories: [URL], resamples: Int = 1000, seed: UInt64 = 1) async throws -> JSONValue
    {
        guard directories.count >= 2 else {
            throw RunError(.invalidInput, "give at least two fidelity run folders to compare")
        }
        var runs: [Loaded] = []
        for directory in directories {
            let store = try RunStore.open(directory)
            let manifest = try await store.manifest()
            guard manifest.kind == "fidelity" else {
                throw RunError(
                    .invalidInput, "this is a \(manifest.kind) run, not a fidelity run; compare fidelity runs only",
                    file: directory.path)
            }
            let base = manifest.sourceFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            let scenario = try FidelityScenario.parse(
                manifest.document, file: manifest.sourceFile, baseDirectory: base, overrides: JSONObject())
            guard scenario.sampling == "silicon" else {
                throw RunError(
                    .invalidInput, "compare takes silicon-sampling runs (quota runs have no paired respondents)",
                    file: directory.path)
            }
            let data = try await RunData.load(store)
            let (rows, answers, _) = FidelityRunAnalysis.answers(scenario, data: data)
            let conditioning = scenario.conditionOn.compactMap { scenario.survey.questionIndex($0) }
            let subject = FidelitySubject(survey: scenario.survey, respondents: rows, conditioning: conditioning)
            runs.append(
                Loaded(
                    directory: directory, manifest: manifest, scenario: scenario,
                    table: subject.table(.answers(answers))))
        }
        let first = runs[0]
        let questionIDs = first.scenario.survey.questions.map(\.id).filter { !first.scenario.conditionOn.contains($0) }
        for run in runs.dropFirst() {
            let ids = run.scenario.survey.questions.map(\.id).filter { !run.scenario.conditionOn.contains($0) }
            guard run.scenario.survey.id == first.scenario.survey.id, ids == questionIDs else {
                throw RunError(
                    .invalidInput,
                    "this run scores \(run.scenario.survey.id) (\(ids.joined(separator: ", "))), the first scores \(first.scenario.survey.id) (\(questionIDs.joined(separator: ", "))); compare runs of one package and one set of questions",
                    file: run.directory.path)
            }
        }
        // Group cells are not compared: one cell (everyone) keeps the resamples cheap.
        var points: [[Double]] = []
        var samples: [[Double]] = []
        var layout = FigureLayout(questions: questionIDs.count, cells: 1)
        for run in runs {
            var table = run.table
            table.groups = []
            table.attributeCount = 0
            table.cellCount = 1
            let estimates = await FidelityBootstrap.estimate(table, resamples: 0, seed: seed)
            layout = estimates.layout
            points.append(estimates.point)
            samples.append(
                resamples > 0
                    ? await FidelityBootstrap.resampleFigures(
                        [table], layout: layout, resamples: resamples, seed: seed, workers: 2)[0] : [])
        }
        func difference(_ run: Int, _ index: Int) -> JSONValue {
            let value = points[run][index] - points[0][index]
            var diffs: [Double] = []
            for b in 0..<resamples {
                let d = samples[run][b * layout.count + index] - samples[0][b * layout.count + index]
                if !d.isNaN { diffs.append(d) }
            }
            diffs.sort()
            return FigureEstimate(
                value: FidelityJSON.defined(value),
                low: diffs.isEmpty ? nil : FidelityMetrics.quantile(sorted: diffs, 0.025),
                high: diffs.isEmpty ? nil : FidelityMetrics.quantile(sorted: diffs, 0.975),
                n: runs[run].table.respondentCount
            ).json
        }
        var runsJSON: [JSONValue] = []
        for (i, run) in runs.enumerated() {
            var overall = JSONObject()
            var differences = JSONObject()
            for (figure, name) in overallFigures {
                overall[name] = FidelityJSON.number(points[i][layout.index(cell: 0, figure)])
                if i > 0 { differences[name] = difference(i, layout.index(cell: 0, figure)) }
            }
            var o = JSONObject([
                ("run", .string(run.directory.path)), ("runID", .string(run.manifest.runID)),
                ("model", .string(run.manifest.model)), ("persona", .string(run.scenario.persona.rawValue)),
                ("n", .integer(Int64(run.table.respondentCount))), ("overall", .object(overall)),
            ])
            if i > 0 { o["differenceFromFirst"] = .object(differences) }
            runsJSON.append(.object(o))
        }
        var questions: [JSONValue] = []
        for (j, id) in questionIDs.enumerated() {
            var perRun: [JSONValue] = []
            for i in runs.indices {
                var o = JSONObject([("run", .string(runs[i].manifest.runID))])
                for (figure, name) in questionFigures {
                    o[name] = FidelityJSON.number(points[i][layout.index(cell: 0, question: j, figure)])
                    if i > 0 { o["\(name)Difference"] = difference(i, layout.index(cell: 0, question: j, figure)) }
                }
                perRun.append(.object(o))
            }
            questions.append(["id": .string(id), "runs": .array(perRun)])
        }
        return [
            "package": .string(first.scenario.survey.id), "resamples": .integer(Int64(resamples)),
            "seed": .integer(Int64(bitPattern: seed)), "runs": .array(runsJSON), "questions": .array(questions),
        ]
    }

    /// The comparison as a text table: one line per run, differences from the first with intervals.
    public static func table(_ comparison: JSONValue) -> [String] {
        var lines = [
            "run                                 model                    representativeness (Δ [95%])        SimBench (Δ [95%])              accuracy (Δ [95%])"
        ]
        for run in comparison["runs"]?.arrayValue ?? [] {
            func column(_ name: String) -> String {
                var text = run["overall"]?[name]?.doubleValue.map { String(format: "%.3f", $0) } ?? "null"
                if let d = run["differenceFromFirst"]?[name], let v = d["value"]?.doubleValue {
                    text += String(format: " (%+.3f", v)
                    if let lo = d["low"]?.doubleValue, let hi = d["high"]?.doubleValue {
                        text += String(format: " [%+.3f, %+.3f]", lo, hi)
                    }
                    text += ")"
                }
                return text.padding(toLength: 34, withPad: " ", startingAt: 0)
            }
            lines.append(
                (run["runID"]?.stringValue ?? "").padding(toLength: 36, withPad: " ", startingAt: 0)
                    + (run["model"]?.stringValue ?? "").padding(toLength: 25, withPad: " ", startingAt: 0)
                    + column("representativeness") + column("simbench") + column("accuracy"))
        }
        return lines
    }
}
