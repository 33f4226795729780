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
        if let survey = data.scenario.survey {
            var aggregator = SurveyAggregator(data.scenario, survey: survey)
            for unit in data.units {
                aggregator.add(
                    unit, persona: data.persona(unit.spec.input["persona"]?.stringValue ?? ""),
                    events: data.events[unit.spec.index] ?? [])
            }
            return aggregator.results(data.manifest, usage: RunReport.usage(data.run))
        }
        var counts = UnitStatusCounts()
        var reasons: [String: Int] = [:]
        for unit in data.units {
            counts.total += 1
            if unit.status == .done { counts.done += 1 }
            if unit.status == .failed { counts.failed += 1 }
            if unit.status != .pending {
                reasons[unit.result["termination"]?.stringValue ?? unit.status.rawValue, default: 0] += 1
            }
        }
        var root = header(data.manifest, counts: counts, reasons: reasons)
        root["extracted"] = .array(data.doneUnits.map { ["unit": .string($0.spec.id), "result": $0.result] })
        root["metrics"] = conversationMetrics(data)
        root["projection"] = .string(data.scenario.context.projection.rawValue)
        root["usage"] = RunReport.usage(data.run)
        return .object(root)
    }

    /// The start of `results.json`: scenario, title, kind, digest, seed, model, unit counts and
    /// termination reasons (sorted).
    static func header(_ manifest: RunManifest, counts: UnitStatusCounts, reasons: [String: Int]) -> JSONObject {
        var root = JSONObject()
        root["scenario"] = manifest.document["id"] ?? .string(manifest.runID)
        root["title"] = manifest.document["title"] ?? .null
        root["kind"] = .string(manifest.kind)
        root["digest"] = .string(manifest.digest)
        root["seed"] = .integer(Int64(bitPattern: manifest.seed))
        root["model"] = .string(manifest.model)
        root["units"] = RunReport.unitCounts(counts)
        root["termination"] = .array(
            reasons.keys.sorted().map { ["reason": .string($0), "count": .integer(Int64(reasons[$0] ?? 0))] })
        return root
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
