import Foundation
import Population
public import Runs
import Storage

/// A survey of a persona file is planned a batch of lines at a time (``PersonaJSONLReader``): the
/// file is never held whole, and the store's unique persona ids find an id used twice. The store
/// ends up holding exactly what ``ScenarioRunKind/plan()`` would have written; every other
/// scenario (conversations, generated or inline populations, stimuli, which need everyone at
/// once) is planned whole.
extension ScenarioRunKind: StreamingPlan {
    /// Personas read and written per batch.
    static let planBatch = 2048

    /// Writes the people and units of a new run into `sink`.
    public func plan(into sink: RunPlanSink) async throws {
        guard scenario.kind == .survey, case .personas(let path)? = scenario.population.base,
            scenario.population.inline.isEmpty, scenario.survey?.stimuli == nil
        else {
            let plan = try await plan()
            try await sink.append(personas: plan.personas, units: plan.units)
            return
        }
        var attributes: [String] = []
        var written = 0
        do {
            let reader = try PersonaJSONLReader(file: path)
            while true {
                let batch = try reader.next(Self.planBatch)
                if batch.isEmpty { break }
                try await Self.checkUnique(batch, sink: sink, file: path)
                for (persona, _) in batch {
                    for key in persona.attributes.keys where !attributes.contains(key) { attributes.append(key) }
                }
                let units = batch.enumerated().map { offset, entry in
                    UnitSpec(
                        index: written + offset, id: entry.persona.id, kind: "survey-respondent",
                        input: .object(JSONObject([("persona", .string(entry.persona.id))])))
                }
                try await sink.append(
                    personas: batch.map { StoredPersona(id: $0.persona.id, json: $0.persona.participantJSON) },
                    units: units)
                written += batch.count
            }
        } catch let error as PopulationError {
            throw RunError(error)
        }
        guard written > 0 else { throw RunError(.invalidInput, "the persona file is empty", file: path) }
        try Self.checkSplits(scenario, attributes: attributes)
        try Self.checkPersonaReferences(scenario, attributes: attributes)
    }

    /// An id used twice (in this batch, or already written) is refused as ``Persona/readJSONL(file:)``
    /// refuses it, naming the line of its first use.
    static func checkUnique(_ batch: [(persona: Persona, line: Int)], sink: RunPlanSink, file: String) async throws {
        var lines: [String: Int] = [:]
        let earlier = try await sink.written(batch.map(\.persona.id))
        for (persona, line) in batch {
            if earlier.contains(persona.id) || lines[persona.id] != nil {
                let first = try PersonaJSONLReader.firstLine(of: persona.id, in: file) ?? line
                throw PersonaJSONLReader.duplicate(persona.id, first: first, line: line, file: file)
            }
            lines[persona.id] = line
        }
    }
}
