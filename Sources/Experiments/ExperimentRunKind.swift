import Evaluation
import Foundation
public import Runs
import Scenarios
public import Storage
import ToolTasks

/// The `experiment` kind: the units of every arm of a base scenario in one run (one store, cache,
/// resume and progress), assigned by ``BalancedAssignment``, and the analysis of their outcomes.
///
/// Each arm is the base scenario with the arm's merge patch applied, loaded by the base kind's own
/// loader (survey, interview, focus group, brainstorm, tool tasks) and run by it unit by unit. A
/// unit of the experiment remembers its arm and the arm's own unit, so results are split back by
/// arm and each arm's kind builds its usual results.
public struct ExperimentRunKind: RunKind {
    /// The design.
    public let design: ExperimentDesign
    /// The kind of each arm, in arm order.
    public let arms: [any RunKind]
    /// How a conjoint respondent's own survey is loaded (its choice tasks are items).
    let source: RunSource
    let loader: any RunKindLoader.Type

    /// `experiment`.
    public var name: String { ExperimentKindLoader.kind }
    /// The experiment document.
    public var document: JSONValue { design.document }
    /// The experiment file.
    public var sourceFile: String? { design.file }
    /// The experiment's seed (every arm runs with it).
    public var seed: UInt64 { design.seed }
    /// The first arm's model.
    public var modelLabel: String { arms.first?.modelLabel ?? "" }
    /// `<id>-s<seed>`, numbered when taken.
    public var folder: RunFolder { .numbered("\(design.id)-s\(seed)") }
    /// The base kind's default.
    public var defaultConcurrency: Int? { arms.first?.defaultConcurrency }

    /// Every arm's plan, the respondents assigned (between) or repeated in counterbalanced order
    /// (within); units that are not one respondent's (sessions, tool-task trials) run in every arm.
    public func plan() async throws -> RunPlan {
        var personas: [StoredPersona] = []
        var seen = Set<String>()
        var plans: [RunPlan] = []
        for arm in arms {
            let plan = try await arm.plan()
            plans.append(plan)
            for persona in plan.personas where seen.insert(persona.id).inserted { personas.append(persona) }
        }
        // Respondents: every persona some arm has a unit for, in population order.
        var respondentSet = Set<String>()
        for plan in plans {
            for unit in plan.units { if let id = unit.input["persona"]?.stringValue { respondentSet.insert(id) } }
        }
        let respondents = personas.map(\.id).filter { respondentSet.contains($0) }
        try checkStrata(personas)
        var byID: [String: StoredPersona] = [:]
        for persona in personas { byID[persona.id] = persona }
        let strata = try respondents.map { id in try stratum(of: byID[id]) }
        let count = design.arms.count
        let between = BalancedAssignment.deal(ids: respondents, strata: strata, arms: count, seed: seed)
        let orders = BalancedAssignment.within(ids: respondents, strata: strata, arms: count, seed: seed)
        var position: [String: Int] = [:]
        for (i, id) in respondents.enumerated() { position[id] = i }

        // Units interleave the arms (between: in the order of the deal, so every `arms` consecutive
        // units cover every arm; within: respondent by respondent; other units: unit by unit), so
        // `--limit N` runs a balanced slice of every arm rather than the first arm only.
        var drafts: [(key: (Int, Int, Int), id: String, kind: String, input: JSONObject)] = []
        for (a, plan) in plans.enumerated() {
            for unit in plan.units {
                var input = JSONObject([
                    ("arm", .integer(Int64(a))), ("unit", .integer(Int64(unit.index))), ("id", .string(unit.id)),
                    ("input", unit.input),
                ])
                var key = (unit.index, a, a)
                if let persona = unit.input["persona"]?.stringValue, let p = position[persona] {
                    switch design.assignment {
                    case .between:
                        guard between[p].arm == a else { continue }
                        key = (between[p].turn, 0, a)
                    case .within:
                        let slot = orders[p].firstIndex(of: a) ?? 0
                        input["position"] = .integer(Int64(slot))
                        key = (p, slot, a)
                    }
                    if let conjoint = design.conjoint {
                        input["tasks"] = ConjointTasks.draw(conjoint, respondent: persona, seed: seed).json
                    }
                }
                let id = design.arms.count > 1 ? "\(design.arms[a].name)/\(unit.id)" : unit.id
                drafts.append((key, id, unit.kind, input))
            }
        }
        drafts.sort { $0.key < $1.key }
        let units = drafts.enumerated().map { index, draft in
            UnitSpec(index: index, id: draft.id, kind: draft.kind, input: .object(draft.input))
        }
        return RunPlan(personas: personas, units: units)
    }

    /// Every `stratify` attribute must be some persona's (a typo would put everyone in one stratum).
    func checkStrata(_ personas: [StoredPersona]) throws(RunError) {
        for (index, attribute) in design.stratify.enumerated()
        where !personas.contains(where: { $0.json["attributes"]?[attribute] != nil }) {
            var known: [String] = []
            for persona in personas {
                for key in persona.json["attributes"]?.objectValue?.keys ?? [] where !known.contains(key) {
                    known.append(key)
                }
            }
            let hint = Spelling.closest(to: attribute, in: known).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw RunError(
                .invalidInput,
                "no persona has the attribute \"\(attribute)\"\(hint); the attributes are \(known.prefix(20).joined(separator: ", "))",
                file: design.file, path: "$.stratify[\(index)]")
        }
    }

    /// The stratum key of a persona: `attribute=value` for each stratifying attribute.
    func stratum(of persona: StoredPersona?) throws(RunError) -> String {
        guard !design.stratify.isEmpty else { return "" }
        let attributes = persona?.json["attributes"]
        return design.stratify.map { name in
            "\(name)=\(attributes?[name].map { RunReport.text(of: $0) } ?? "(missing)")"
        }.joined(separator: "|")
    }

    /// The arm's own unit of an experiment unit.
    static func inner(_ unit: UnitSpec) -> (arm: Int, spec: UnitSpec) {
        let input = unit.input
        let arm = Int(input["arm"]?.intValue ?? 0)
        let spec = UnitSpec(
            index: Int(input["unit"]?.intValue ?? 0), id: input["id"]?.stringValue ?? unit.id, kind: unit.kind,
            input: input["input"] ?? .null)
        return (arm, spec)
    }

    /// Runs the unit with its arm's kind (a conjoint respondent: with a survey of their choice tasks).
    public func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        let (arm, spec) = Self.inner(unit)
        guard arms.indices.contains(arm) else {
            return UnitOutcome(index: unit.index, status: .failed, result: .null, error: "no arm \(arm)")
        }
        var kind = arms[arm]
        if let conjoint = design.conjoint, let tasks = unit.input["tasks"] {
            let survey = ConjointTasks.survey(
                conjoint, base: design.armDocument(arm), tasks: ConjointTasks(json: tasks))
            var respondentSource = source
            respondentSource.document = survey
            kind = try await loader.load(respondentSource)
        }
        context.report(design.arms[arm].name)
        var outcome = try await kind.run(spec, context: context)
        outcome.index = unit.index
        return outcome
    }

    /// The arm kind's count for the arm's own unit.
    public func failures(in unit: UnitRecord) -> Int {
        let (arm, spec) = Self.inner(unit.spec)
        guard arms.indices.contains(arm) else { return 0 }
        var record = unit
        record.spec = spec
        return arms[arm].failures(in: record)
    }

    /// The data of arm `a` as its own kind sees it: its units under their own indices.
    func armData(_ data: RunData, _ a: Int) -> RunData {
        var units: [UnitRecord] = []
        var events: [Int: [RunEvent]] = [:]
        for unit in data.units {
            let (arm, spec) = Self.inner(unit.spec)
            guard arm == a else { continue }
            var record = unit
            record.spec = spec
            units.append(record)
            events[spec.index] = data.events[unit.spec.index]
        }
        units.sort { $0.spec.index < $1.spec.index }
        return RunData(
            manifest: data.manifest, personas: data.personas, units: units, events: events, usage: data.usage)
    }

    /// `experiment` (the analysis) and `arms` (each arm's own results), plus the run's usage.
    public func results(_ data: RunData) async throws -> JSONValue {
        var perArm: [JSONValue] = []
        if design.conjoint == nil {
            for a in arms.indices {
                let own = try await arms[a].results(armData(data, a))
                perArm.append(["name": .string(design.arms[a].name), "results": own])
            }
        }
        let analysis = ExperimentAnalysis(design: design, data: data, strata: { try? stratum(of: $0) })
        var root = JSONObject([
            ("kind", "experiment"), ("id", .string(design.id)), ("title", .string(design.title)),
            ("seed", .integer(Int64(bitPattern: seed))),
            ("experiment", analysis.json()),
        ])
        root["arms"] = .array(perArm)
        root["units"] = RunReport.unitCounts(data)
        root["usage"] = RunReport.usage(data)
        return ConsistencyReport.adding(to: .object(root), data)
    }

    /// `transcripts.jsonl`, `results.json`, `effects.csv`, `report.html`.
    public func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] {
        var files = [
            RunOutput("transcripts.jsonl", RunReport.transcripts(data) { $0 }),
            RunOutput("results.json", results.serialized(pretty: true) + "\n"),
            RunOutput("effects.csv", ExperimentReport.effectsCSV(results)),
            RunOutput("report.html", ExperimentReport.html(data, results: results)),
        ]
        // After `agora evaluate`: the judged lines.
        if let lines = ConsistencyReport.linesOutput(data) { files.append(lines) }
        return files
    }

    /// The HTML page, `results.json`, or a Markdown summary of the effects.
    public func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String {
        switch format {
        case .html: return ExperimentReport.html(data, results: results)
        case .json: return results.serialized(pretty: true) + "\n"
        case .md:
            let consistency = ConsistencyReport.markdown(data)
            return ExperimentReport.markdown(results)
                + (consistency.isEmpty ? "" : "\n" + consistency.joined(separator: "\n") + "\n")
        }
    }

    /// One line per comparison.
    public func summaryLines(_ data: RunData, results: JSONValue) -> [String] {
        ExperimentReport.markdown(results).split(separator: "\n").map(String.init)
    }
}

/// Registers `kind: "experiment"`: validates the design and loads every arm with the base kind's
/// loader.
public enum ExperimentKindLoader: RunKindLoader {
    /// The kind's name.
    public static let kind = "experiment"
    /// `experiment`.
    public static var names: [String] { [kind] }

    /// The kinds an arm may be (every kind of this build but experiments).
    public static let baseRegistry = RunKindRegistry([
        ScenarioKindLoader.self, ToolTaskKindLoader.self,
    ])

    /// Parses the design and loads each arm's scenario with its kind's loader.
    public static func load(_ source: RunSource) async throws -> any RunKind {
        let seed = source.overrides["seed"]?.intValue.map { UInt64(bitPattern: $0) }
        let design = try ExperimentDesign.parse(source.document, file: source.file, seedOverride: seed)
        let baseKind = design.base["kind"]?.stringValue ?? ""
        guard let loader = baseRegistry.loader(baseKind) else {
            throw RunError(
                .invalidInput,
                "unknown base kind \"\(baseKind)\"; use one of \(baseRegistry.names.joined(separator: ", "))",
                file: source.file, path: "$.base.kind")
        }
        var overrides = source.overrides
        overrides["seed"] = .integer(Int64(bitPattern: design.seed))
        var arms: [any RunKind] = []
        for a in design.arms.indices {
            var armSource = source
            armSource.document = design.armDocument(a)
            armSource.overrides = overrides
            do {
                arms.append(try await loader.load(armSource))
            } catch let error as RunError where error.code == .invalidInput {
                let origin =
                    design.conjoint != nil ? "$.base" : design.factors.isEmpty ? "$.arms[\(a)].patch" : "$.factors"
                throw RunError(
                    .invalidInput,
                    "arm \"\(design.arms[a].name)\" (the base with \(origin) applied) is not a valid \(baseKind): \(error.message)",
                    file: error.file ?? source.file, path: error.path, underlying: error)
            }
        }
        var conjointSource = source
        conjointSource.overrides = overrides
        return ExperimentRunKind(design: design, arms: arms, source: conjointSource, loader: loader)
    }
}
