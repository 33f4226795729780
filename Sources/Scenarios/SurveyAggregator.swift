import Foundation
import Population
import Runs
import Storage

/// The answers of one answer key (an item, or `ID@STIMULUS`) over the done units, in unit order:
/// one 4-byte code per unit, each distinct answer stored once. It replays exactly the sequence of
/// answers the unit records held, so the statistics computed from it are the batch ones.
struct AnswerColumn: Sendable {
    /// No answer and not skipped.
    static let absent: UInt32 = 0
    /// A failed answer (`null`).
    static let failed: UInt32 = 1
    /// A skipped item.
    static let skipped: UInt32 = 2
    private static let firstValue: UInt32 = 3

    private(set) var codes: [UInt32] = []
    private var values: [JSONValue] = []
    private var lookup: [JSONValue: UInt32] = [:]

    /// Adds the next unit's answer (`nil`: none), and whether the item was skipped.
    mutating func add(_ answer: JSONValue?, skipped: Bool) {
        guard let answer else {
            codes.append(skipped ? Self.skipped : Self.absent)
            return
        }
        if answer == .null {
            codes.append(Self.failed)
        } else if let code = lookup[answer] {
            codes.append(code)
        } else {
            let code = Self.firstValue + UInt32(values.count)
            values.append(answer)
            lookup[answer] = code
            codes.append(code)
        }
    }

    /// The answers of the units at `rows` (positions in unit order), in order, with the failed and
    /// skipped counts.
    func tally(_ rows: some Sequence<Int>) -> (answered: [JSONValue], failed: Int, skipped: Int) {
        var answered: [JSONValue] = []
        var failed = 0
        var skipped = 0
        for row in rows {
            switch codes[row] {
            case Self.absent: continue
            case Self.failed: failed += 1
            case Self.skipped: skipped += 1
            case let code: answered.append(values[Int(code - Self.firstValue)])
            }
        }
        return (answered, failed, skipped)
    }
}

/// `results.json` of a survey run, accumulated one unit at a time in unit order: the whole-data
/// path feeds every unit, streamed outputs feed them page by page, and both get the same bytes.
///
/// What it keeps grows by a few bytes per done respondent (a code per answer key and per split,
/// the closed items' answer positions), never by whole unit records.
struct SurveyAggregator: Sendable {
    let scenario: Scenario
    let survey: SurveySpec
    let keys: [(key: String, item: SurveyItem)]
    /// `stimulus` (between-subjects designs), then the scenario's `splitBy` attributes.
    let splitAttributes: [String]
    private let stimulusSplits: Int
    private var columns: [AnswerColumn]
    private var groupCodes: [[UInt32]]
    private var groupNames: [[String]]
    private var groupLookup: [[String: UInt32]]
    private var reasons: [String: Int] = [:]
    private(set) var counts = UnitStatusCounts()
    private var openAnswers = 0
    private var confused = 0
    private var asked = 0
    /// Failed items in done units (the `failures` arrays).
    private(set) var failures = 0
    private var quality: SurveyQuality
    /// The persona attributes of the done respondents, first seen first (responses.csv's columns).
    private(set) var attributeKeys: [String] = []

    init(_ scenario: Scenario, survey: SurveySpec) {
        self.scenario = scenario
        self.survey = survey
        keys = SurveyColumns.keys(survey)
        let stimulus = survey.stimuli?.design == .between ? ["stimulus"] : []
        stimulusSplits = stimulus.count
        splitAttributes = stimulus + scenario.splitBy
        columns = Array(repeating: AnswerColumn(), count: keys.count)
        groupCodes = Array(repeating: [], count: splitAttributes.count)
        groupNames = Array(repeating: [], count: splitAttributes.count)
        groupLookup = Array(repeating: [:], count: splitAttributes.count)
        quality = SurveyQuality(survey)
    }

    /// Adds the next unit (in index order) with its persona and events (events are read only for
    /// the quality figures of randomised options: ``SurveyQuality/needsEvents(_:)``).
    mutating func add(_ unit: UnitRecord, persona: Persona?, events: [RunEvent]) {
        counts.total += 1
        if unit.status == .failed { counts.failed += 1 }
        if unit.status != .pending {
            reasons[unit.result["termination"]?.stringValue ?? unit.status.rawValue, default: 0] += 1
        }
        guard unit.status == .done else { return }
        counts.done += 1
        let answers = unit.result["answers"]
        let skipped = unit.result["skipped"]
        for (position, (key, item)) in keys.enumerated() {
            let value = answers?[key]
            columns[position].add(value, skipped: skipped?[key] != nil)
            guard let value else { continue }
            asked += 1
            if case .open = item.answer, value != .null { openAnswers += 1 }
        }
        for (position, attribute) in splitAttributes.enumerated() {
            var value = persona?.attributes[attribute] ?? .null
            if position < stimulusSplits { value = unit.spec.input["stimulus"] ?? .null }
            let name = value == .null ? "(missing)" : (value.stringValue ?? CanonicalJSON.string(value))
            if let code = groupLookup[position][name] {
                groupCodes[position].append(code)
            } else {
                let code = UInt32(groupNames[position].count)
                groupNames[position].append(name)
                groupLookup[position][name] = code
                groupCodes[position].append(code)
            }
        }
        confused += Int(unit.result["roleConfusions"]?.intValue ?? 0)
        failures += unit.result["failures"]?.arrayValue?.count ?? 0
        quality.add(unit, events: events)
        for key in persona?.attributes.keys ?? [] where !attributeKeys.contains(key) { attributeKeys.append(key) }
    }

    /// `results.json`: the header, per-item statistics overall and per split group, metrics,
    /// quality and `usage` (``RunReport/usage(_:manifest:)``).
    func results(_ manifest: RunManifest, usage: JSONValue) -> JSONValue {
        var root = ScenarioReport.header(manifest, counts: counts, reasons: reasons)
        let everyone = 0..<counts.done
        root["items"] = .array(keys.enumerated().map { stats($0.offset, rows: everyone) })
        var splits: [JSONValue] = []
        for (position, attribute) in splitAttributes.enumerated() {
            var members = Array(repeating: [Int](), count: groupNames[position].count)
            for (row, code) in groupCodes[position].enumerated() { members[Int(code)].append(row) }
            let order = groupNames[position].indices.sorted { groupNames[position][$0] < groupNames[position][$1] }
            let list: [JSONValue] = order.map { group in
                [
                    "value": .string(groupNames[position][group]), "n": .integer(Int64(members[group].count)),
                    "items": .array(keys.indices.map { stats($0, rows: members[group]) }),
                ]
            }
            splits.append(["attribute": .string(attribute), "groups": .array(list)])
        }
        root["splits"] = .array(splits)
        root["metrics"] = [
            "itemFailureRate": .number(asked == 0 ? 0 : Statistics.round6(Double(failures) / Double(asked))),
            "roleConfusionRate": .number(
                openAnswers == 0 ? 0 : Statistics.round6(Double(confused) / Double(openAnswers))),
            "echoRate": .null,
        ]
        root["quality"] = quality.report()
        root["usage"] = usage
        return .object(root)
    }

    private func stats(_ position: Int, rows: some Sequence<Int>) -> JSONValue {
        let (answered, failed, skipped) = columns[position].tally(rows)
        return ScenarioReport.itemStats(
            keys[position].item, key: keys[position].key, answered: answered, failed: failed, skipped: skipped)
    }
}
