import Foundation
import Runs
public import Storage

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
            // Quota respondents stand for nobody in particular: row -1.
            let row = unit.spec.input["row"]?.intValue.map(Int.init) ?? -1
            guard row < survey.count else { continue }
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
        if scenario.sampling == "quota" { return await analyseQuota(scenario, data: data) }
        let (rows, answers, failed) = answers(scenario, data: data)
        let conditioning = scenario.conditionOn.compactMap { scenario.survey.questionIndex($0) }
        let subject = FidelitySubject(survey: scenario.survey, respondents: rows, conditioning: conditioning)
        let (_, skipped) = scenario.respondents()
        return await FidelityScoring.score(
            subject, simulated: answers, failed: failed,
            settings: FidelitySettings(resamples: scenario.resamples, seed: scenario.seed),
            sampling: [
                "mode": .string(scenario.sampling), "respondents": .integer(Int64(rows.count)),
                "sample": scenario.sample.map { .integer(Int64($0)) } ?? .null,
                "conditionOn": .array(scenario.conditionOn.map { .string($0) }),
                "skippedMissingCondition": .integer(Int64(skipped)),
                "persona": .string(scenario.persona.rawValue),
            ])
    }

    /// A quota run: the people (every respondent of the package) and the simulated population are
    /// two strata of one table; only distribution-level figures are defined (accuracy is null).
    static func analyseQuota(_ scenario: FidelityScenario, data: RunData) async -> JSONValue {
        let (_, answers, failed) = answers(scenario, data: data)
        let subject = FidelitySubject(survey: scenario.survey)
        let settings = FidelitySettings(resamples: scenario.resamples, seed: scenario.seed)
        let people = subject.table(.answers([]))
        let q = people.questionCount
        let simulatedCount = answers.count / max(q, 1)
        var table = people
        table.human += [Int32](repeating: -1, count: answers.count)
        table.simulated = .answers([Int32](repeating: -1, count: people.human.count) + answers)
        table.weights += [Double](repeating: 1, count: simulatedCount)
        for unit in data.units.prefix(simulatedCount) {
            let cells = unit.spec.input["cells"]?.arrayValue?.map { Int32($0.intValue ?? -1) } ?? []
            for a in 0..<table.attributeCount { table.groups.append(a < cells.count ? cells[a] : -1) }
        }
        table.strata = [people.respondentCount, simulatedCount]
        let simulated = await FidelityBootstrap.estimate(
            table, resamples: settings.resamples, seed: settings.seed, workers: settings.workers)
        let pattern = await PatternCorrespondence.compute(
            table, resamples: min(settings.resamples, settings.patternResamples), seed: settings.seed,
            workers: settings.workers)
        let references = await ReferencePoints.all(subject, settings: settings)
        return FidelityResults.json(
            subject: subject, simulated: simulated, failed: failed, pattern: pattern, references: references,
            settings: settings,
            sampling: [
                "mode": "quota", "respondents": .integer(Int64(simulatedCount)),
                "people": .integer(Int64(people.respondentCount)), "persona": .string(scenario.persona.rawValue),
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
            var cells = [
                row >= 0 ? survey.respondentIDs[row] : (data.units[u].spec.input["persona"]?.stringValue ?? "")
            ]
            for (j, qi) in scored.enumerated() {
                let question = survey.questions[qi]
                let a = Int(answers[u * scored.count + j])
                let h = row >= 0 ? Int(survey.answers[row * q + qi]) : -1
                cells.append(a >= 0 ? question.codes[a] : "")
                cells.append(h >= 0 ? question.codes[h] : "")
            }
            lines.append(cells.map(RunReport.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Every figure of spec §F.3 for simulated answers of a subject's respondents.
public enum FidelityScoring {
    /// The `fidelity` object: the simulation's figures with intervals, pattern correspondence, the four
    /// reference points and the subgroups. `simulated` is `[respondent * scored + question]`, `-1` for
    /// failed; `failed` counts failures per scored question.
    public static func score(
        _ subject: FidelitySubject, simulated answers: [Int32], failed: [Int], settings: FidelitySettings,
        sampling: JSONObject
    ) async -> JSONValue {
        let table = subject.table(.answers(answers))
        let (simulated, references) = await ReferencePoints.withSimulation(
            answers, subject: subject, settings: settings)
        let pattern = await PatternCorrespondence.compute(
            table, resamples: min(settings.resamples, settings.patternResamples), seed: settings.seed,
            workers: settings.workers)
        return FidelityResults.json(
            subject: subject, simulated: simulated, failed: failed, pattern: pattern, references: references,
            settings: settings, sampling: sampling)
    }
}
