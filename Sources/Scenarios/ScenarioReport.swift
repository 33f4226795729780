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
            let keys = SurveyColumns.keys(survey)
            root["items"] = .array(keys.map { itemStats($0.item, key: $0.key, units: done) })
            var splits: [JSONValue] = []
            let stimulusSplit = survey.stimuli?.design == .between ? ["stimulus"] : []
            for (position, attribute) in (stimulusSplit + data.scenario.splitBy).enumerated() {
                var groups: [String: [UnitRecord]] = [:]
                for unit in done {
                    let persona = data.persona(unit.spec.input["persona"]?.stringValue ?? "")
                    var value = persona?.attributes[attribute] ?? .null
                    if position < stimulusSplit.count { value = unit.spec.input["stimulus"] ?? .null }
                    let key = value == .null ? "(missing)" : (value.stringValue ?? CanonicalJSON.string(value))
                    groups[key, default: []].append(unit)
                }
                let list: [JSONValue] = groups.keys.sorted().map { key in
                    let members = groups[key] ?? []
                    return [
                        "value": .string(key), "n": .integer(Int64(members.count)),
                        "items": .array(keys.map { itemStats($0.item, key: $0.key, units: members) }),
                    ]
                }
                splits.append(["attribute": .string(attribute), "groups": .array(list)])
            }
            root["splits"] = .array(splits)
            var openAnswers = 0
            var confused = 0
            var asked = 0
            for unit in done {
                confused += Int(unit.result["roleConfusions"]?.intValue ?? 0)
                for (key, item) in keys {
                    guard let value = unit.result["answers"]?[key] else { continue }
                    asked += 1
                    if case .open = item.answer, value != .null { openAnswers += 1 }
                }
            }
            let failures = done.reduce(0) { $0 + ($1.result["failures"]?.arrayValue?.count ?? 0) }
            root["metrics"] = [
                "itemFailureRate": .number(asked == 0 ? 0 : Statistics.round6(Double(failures) / Double(asked))),
                "roleConfusionRate": .number(
                    openAnswers == 0 ? 0 : Statistics.round6(Double(confused) / Double(openAnswers))),
                "echoRate": .null,
            ]
        } else {
            root["extracted"] = .array(done.map { ["unit": .string($0.spec.id), "result": $0.result] })
            root["metrics"] = conversationMetrics(data)
            root["projection"] = .string(data.scenario.context.projection.rawValue)
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
}
