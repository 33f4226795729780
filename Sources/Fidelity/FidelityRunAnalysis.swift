import Foundation
import Runs
import Storage

/// A finished fidelity run's answers read back from the store and scored.
enum FidelityRunAnalysis {
    /// The survey rows of the run's units (unit order) and their simulated positions, `[unit * Q + j]`
    /// over the scored questions (`-1`: failed, or the unit did not finish), and failures per question.
    static func answers(_ scenario: FidelityScenario, data: RunData) -> (rows: [Int], answers: [Int32], failed: [Int]) {
        let survey = scenario.survey
        let scored = survey.questions.indices.filter { !scenario.conditionOn.contains(survey.questions[$0].id) }
        var rows: [Int] = []
        var answers: [Int32] = []
        var failed = [Int](repeating: 0, count: scored.count)
        for unit in data.units {
            guard let row = unit.spec.input["row"]?.intValue.map(Int.init), row >= 0, row < survey.count else { continue }
            rows.append(row)
            let given = unit.status == .done ? unit.result["answers"]?.objectValue : nil
            for (j, qi) in scored.enumerated() {
                let question = survey.questions[qi]
                if let code = given?[question.id]?.stringValue, let k = question.codes.firstIndex(of: code) {
                    answers.append(Int32(k))
                } else {
                    answers.append(-1)
                    if unit.status != .pending { failed[j] += 1 }
                }
            }
        }
        return (rows, answers, failed)
    }

    /// The `fidelity` object of a run.
    static func analyse(_ scenario: FidelityScenario, data: RunData) async -> JSONValue {
        let (rows, answers, failed) = answers(scenario, data: data)
        let conditioning = scenario.conditionOn.compactMap { scenario.survey.questionIndex($0) }
        let subject = FidelitySubject(survey: scenario.survey, respondents: rows, conditioning: conditioning)
        let settings = FidelitySettings(resamples: scenario.resamples, seed: scenario.seed)
        let table = subject.table(.answers(answers))
        let simulated = await FidelityBootstrap.estimate(
            table, resamples: settings.resamples, seed: settings.seed, workers: settings.workers)
        let pattern = PatternCorrespondence.compute(
            table, resamples: min(settings.resamples, settings.patternResamples), seed: settings.seed)
        let references = await ReferencePoints.all(subject, settings: settings)
        let (_, skipped) = scenario.respondents()
        return FidelityResults.json(
            subject: subject, simulated: simulated, failed: failed, pattern: pattern, references: references,
            settings: settings,
            sampling: [
                "mode": .string(scenario.sampling), "respondents": .integer(Int64(rows.count)),
                "sample": scenario.sample.map { .integer(Int64($0)) } ?? .null,
                "conditionOn": .array(scenario.conditionOn.map { .string($0) }),
                "skippedMissingCondition": .integer(Int64(skipped)),
                "persona": .string(scenario.persona.rawValue),
            ])
    }

    /// The answer-quality flags of the simulated answers.
    static func quality(_ scenario: FidelityScenario, data: RunData) -> JSONValue {
        let survey = scenario.survey
        let scored = survey.questions.indices.filter { !scenario.conditionOn.contains(survey.questions[$0].id) }
        let (_, answers, _) = answers(scenario, data: data)
        let n = answers.count / max(scored.count, 1)
        var items: [AnswerQuality.Item] = []
        for (j, qi) in scored.enumerated() {
            let question = survey.questions[qi]
            var positions: [Int] = []
            var first: [Bool?] = []
            for (u, unit) in data.units.enumerated() where u < n {
                let a = Int(answers[u * scored.count + j])
                positions.append(a)
                let shown = unit.result["firstShown"]?[question.id]?.stringValue
                first.append(a >= 0 && shown != nil ? shown == question.codes[a] : nil)
            }
            items.append(
                AnswerQuality.Item(
                    id: question.id, optionCount: question.optionCount, answers: positions, choseFirstShown: first,
                    scale: question.ordinal))
        }
        return AnswerQuality.report(items, respondents: n)
    }

    /// responses.csv: one row per respondent, the simulated then the real code of every scored question.
    static func responsesCSV(_ scenario: FidelityScenario, data: RunData) -> String {
        let survey = scenario.survey
        let scored = survey.questions.indices.filter { !scenario.conditionOn.contains(survey.questions[$0].id) }
        let (rows, answers, _) = answers(scenario, data: data)
        var header = ["respondent"]
        for qi in scored { header += ["\(survey.questions[qi].id)", "\(survey.questions[qi].id)_human"] }
        var lines = [header.map(RunReport.csvField).joined(separator: ",")]
        let q = survey.questions.count
        for (u, row) in rows.enumerated() {
            var cells = [survey.respondentIDs[row]]
            for (j, qi) in scored.enumerated() {
                let question = survey.questions[qi]
                let a = Int(answers[u * scored.count + j])
                let h = Int(survey.answers[row * q + qi])
                cells.append(a >= 0 ? question.codes[a] : "")
                cells.append(h >= 0 ? question.codes[h] : "")
            }
            lines.append(cells.map(RunReport.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
