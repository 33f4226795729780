import Foundation
import Population
import Runs
import Storage

/// A scenario run's stored data, with the scenario re-read from the manifest and the personas decoded.
struct ScenarioRunData: Sendable {
    /// The run's stored data.
    let run: RunData
    /// The scenario.
    let scenario: Scenario
    /// The personas, in population order.
    let personas: [Persona]
    /// Persona positions by id (lookups only).
    private let index: [String: Int]

    init(_ run: RunData, scenario: Scenario) throws {
        self.run = run
        self.scenario = scenario
        var personas: [Persona] = []
        for (position, stored) in run.personas.enumerated() {
            do {
                personas.append(try Persona(json: stored.json, file: run.manifest.runID, path: "personas[\(position)]"))
            } catch {
                throw RunError(error, code: .runStore)
            }
        }
        self.personas = personas
        var index: [String: Int] = [:]
        for (position, persona) in personas.enumerated() { index[persona.id] = position }
        self.index = index
    }

    var manifest: RunManifest { run.manifest }
    var units: [UnitRecord] { run.units }
    var doneUnits: [UnitRecord] { run.doneUnits }
    var events: [Int: [RunEvent]] { run.events }

    func persona(_ id: String) -> Persona? { index[id].map { personas[$0] } }
}

/// The outputs of survey, interview, focus-group and brainstorm runs: `transcripts.jsonl`,
/// `responses.csv` (surveys), `results.json` and `report.html`, each a pure function of the run
/// store's contents.
enum ScenarioReport {
    /// The role of a speaker in transcripts.jsonl.
    static func role(of speaker: String, in data: ScenarioRunData) -> String {
        let scenario = data.scenario
        switch scenario.kind {
        case .survey: return speaker == SurveyRespondent.interviewerID ? "interviewer" : "respondent"
        case .interview:
            return speaker == ConversationUnit.interviewerID || speaker == scenario.interview?.interviewerPersona
                ? "interviewer" : "respondent"
        case .focusGroup, .brainstorm: return speaker == scenario.session?.moderator ? "moderator" : "participant"
        }
    }

    // MARK: responses.csv

    /// One row per done respondent: `respondent_id`, persona attributes, then one column per item
    /// (multiple choices joined by `; `, failed answers empty). `nil` unless the run is a survey.
    static func responsesCSV(_ data: ScenarioRunData) -> String? {
        guard let survey = data.scenario.survey else { return nil }
        let done = data.doneUnits
        var attributeKeys: [String] = []
        let respondents = done.compactMap { data.persona($0.spec.input["persona"]?.stringValue ?? "") }
        for persona in respondents {
            for key in persona.attributes.keys where !attributeKeys.contains(key) { attributeKeys.append(key) }
        }
        var rows = [
            (["respondent_id"] + attributeKeys + survey.items.map(\.id)).map(RunReport.csvField).joined(separator: ",")
        ]
        for unit in done {
            let id = unit.spec.input["persona"]?.stringValue ?? unit.spec.id
            let persona = data.persona(id)
            var fields = [id]
            for key in attributeKeys {
                let value = persona?.attributes[key] ?? .null
                fields.append(value == .null ? "" : (value.stringValue ?? CanonicalJSON.string(value)))
            }
            for item in survey.items {
                fields.append(SurveyItem.text(of: unit.result["answers"]?[item.id] ?? .null))
            }
            rows.append(fields.map(RunReport.csvField).joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    // MARK: results.json

    /// Per-item distributions with 95% intervals (overall and split by the scenario's `splitBy`
    /// attributes), termination reasons, failure and role-confusion rates, tokens and cost.
    static func results(_ data: ScenarioRunData) -> JSONValue {
        let done = data.doneUnits
        var root = JSONObject()
        root["scenario"] = data.manifest.document["id"] ?? .string(data.manifest.runID)
        root["title"] = data.manifest.document["title"] ?? .null
        root["kind"] = .string(data.manifest.kind)
        root["digest"] = .string(data.manifest.digest)
        root["seed"] = .integer(Int64(bitPattern: data.manifest.seed))
        root["model"] = .string(data.manifest.model)
        root["units"] = RunReport.unitCounts(data.run)
        var reasons: [String: Int] = [:]
        for unit in data.units where unit.status != .pending {
            reasons[unit.result["termination"]?.stringValue ?? unit.status.rawValue, default: 0] += 1
        }
        root["termination"] = .array(
            reasons.keys.sorted().map { ["reason": .string($0), "count": .integer(Int64(reasons[$0] ?? 0))] })
        if let survey = data.scenario.survey {
            root["items"] = .array(survey.items.map { itemStats($0, units: done) })
            var splits: [JSONValue] = []
            for attribute in data.scenario.splitBy {
                var groups: [String: [UnitRecord]] = [:]
                for unit in done {
                    let persona = data.persona(unit.spec.input["persona"]?.stringValue ?? "")
                    let value = persona?.attributes[attribute] ?? .null
                    let key = value == .null ? "(missing)" : (value.stringValue ?? CanonicalJSON.string(value))
                    groups[key, default: []].append(unit)
                }
                let list: [JSONValue] = groups.keys.sorted().map { key in
                    let members = groups[key] ?? []
                    return [
                        "value": .string(key), "n": .integer(Int64(members.count)),
                        "items": .array(survey.items.map { itemStats($0, units: members) }),
                    ]
                }
                splits.append(["attribute": .string(attribute), "groups": .array(list)])
            }
            root["splits"] = .array(splits)
            var openAnswers = 0
            var confused = 0
            for unit in done {
                confused += Int(unit.result["roleConfusions"]?.intValue ?? 0)
                for item in survey.items {
                    if case .open = item.answer, unit.result["answers"]?[item.id] != .null { openAnswers += 1 }
                }
            }
            let failures = done.reduce(0) { $0 + ($1.result["failures"]?.arrayValue?.count ?? 0) }
            let asked = done.count * survey.items.count
            root["metrics"] = [
                "itemFailureRate": .number(asked == 0 ? 0 : Statistics.round6(Double(failures) / Double(asked))),
                "roleConfusionRate": .number(
                    openAnswers == 0 ? 0 : Statistics.round6(Double(confused) / Double(openAnswers))),
                "echoRate": .null,
            ]
        } else {
            root["extracted"] = .array(done.map { ["unit": .string($0.spec.id), "result": $0.result] })
            root["metrics"] = conversationMetrics(data)
        }
        if let quality = SurveyQuality.quality(data) { root["quality"] = quality }
        root["usage"] = RunReport.usage(data.run)
        return .object(root)
    }

    static func conversationMetrics(_ data: ScenarioRunData) -> JSONValue {
        var rates: [Double] = []
        var confused = 0
        var turns = 0
        for unit in data.doneUnits {
            let events = data.events[unit.spec.index] ?? []
            rates.append(ConversationMetricsBridge.echoRate(events))
            confused += Int(unit.result["roleConfusions"]?.intValue ?? 0)
            turns += events.filter { $0.kind == "utterance" }.count
        }
        return [
            "echoRate": .number(rates.isEmpty ? 0 : Statistics.round6(rates.reduce(0, +) / Double(rates.count))),
            "roleConfusionRate": .number(turns == 0 ? 0 : Statistics.round6(Double(confused) / Double(turns))),
        ]
    }

    static func itemStats(_ item: SurveyItem, units: [UnitRecord]) -> JSONValue {
        let values = units.map { $0.result["answers"]?[item.id] ?? .null }
        let answered = values.filter { $0 != .null }
        let n = answered.count
        var o = JSONObject([
            ("id", .string(item.id)), ("type", .string(item.typeName)), ("question", .string(item.question)),
            ("n", .integer(Int64(n))), ("failed", .integer(Int64(values.count - n))),
        ])
        func bucket(_ label: JSONValue, _ count: Int) -> JSONValue {
            let (low, high) = Statistics.wilson(count, n)
            return [
                "value": label, "count": .integer(Int64(count)),
                "share": .number(n == 0 ? 0 : Statistics.round6(Double(count) / Double(n))),
                "ci95": [.number(Statistics.round6(low)), .number(Statistics.round6(high))],
            ]
        }
        func numericSummary(_ xs: [Double]) {
            guard let m = Statistics.meanInterval(xs) else { return }
            o["mean"] = .number(Statistics.round6(m.mean))
            o["sd"] = .number(Statistics.round6(m.sd))
            o["meanCI95"] = [.number(Statistics.round6(m.low)), .number(Statistics.round6(m.high))]
            o["median"] = .number(Statistics.round6(Statistics.median(xs) ?? 0))
            o["min"] = .number(xs.min() ?? 0)
            o["max"] = .number(xs.max() ?? 0)
        }
        switch item.answer {
        case .likert(let low, let high, let labels):
            o["distribution"] = .array(
                (low...high).map { point in
                    var b = bucket(.integer(Int64(point)), answered.filter { $0.intValue == Int64(point) }.count)
                    if !labels.isEmpty, case .object(var bo) = b {
                        bo["label"] = .string(labels[point - low])
                        b = .object(bo)
                    }
                    return b
                })
            numericSummary(answered.compactMap(\.doubleValue))
        case .singleChoice(let options):
            o["distribution"] = .array(
                options.map { option in bucket(.string(option), answered.filter { $0.stringValue == option }.count) })
        case .multipleChoice(let options, _, _):
            o["distribution"] = .array(
                options.map { option in
                    bucket(.string(option), answered.filter { $0.arrayValue?.contains(.string(option)) == true }.count)
                })
        case .numeric:
            numericSummary(answered.compactMap(\.doubleValue))
        case .open:
            let lengths = answered.compactMap { $0.stringValue?.count }
            o["meanLength"] = .number(
                lengths.isEmpty ? 0 : Statistics.round6(Double(lengths.reduce(0, +)) / Double(lengths.count)))
        }
        return .object(o)
    }
}
