import Runs
import Storage

/// What an experiment measures (the outcomes of its base scenario) and how its respondents were
/// spread over the arms.
extension ExperimentAnalysis {
    /// The outcomes of a design: the chosen items (or every closed item) of the first arm's survey,
    /// each option of a multiple-choice item as its own selected / not selected outcome and each row
    /// of a matrix as its own numeric outcome; `passed` for tool tasks.
    static func outcomes(_ design: ExperimentDesign) -> [Outcome] {
        guard design.conjoint == nil else { return [] }
        let document = design.armDocument(0)
        if document["kind"]?.stringValue == "tool-tasks" { return [Outcome(id: "passed", measure: .pass)] }
        var outcomes: [Outcome] = []
        for item in document["survey"]?["items"]?.arrayValue ?? [] {
            guard let id = item["id"]?.stringValue, design.outcomes.isEmpty || design.outcomes.contains(id) else {
                continue
            }
            switch item["type"]?.stringValue {
            case "likert", "numeric", "linear-scale": outcomes.append(Outcome(id: id, measure: .numeric))
            case "yes-no": outcomes.append(Outcome(id: id, measure: .categorical(["Yes", "No"])))
            case "matrix":
                for (index, row) in (item["rows"]?.arrayValue ?? []).enumerated() {
                    let rowID = row["id"]?.stringValue ?? "r\(index + 1)"
                    let text = row.stringValue ?? row["text"]?.stringValue ?? rowID
                    outcomes.append(Outcome(id: "\(id): \(text)", measure: .numeric, item: id, row: rowID))
                }
            case "single-choice":
                let options = (item["options"]?.arrayValue ?? []).compactMap(\.stringValue)
                outcomes.append(Outcome(id: id, measure: .categorical(options)))
            case "multiple-choice":
                for option in (item["options"]?.arrayValue ?? []).compactMap(\.stringValue) {
                    outcomes.append(
                        Outcome(
                            id: "\(id): \(option)", measure: .categorical(selectionLabels), item: id, selection: option)
                    )
                }
            default: continue
            }
        }
        return outcomes
    }

    /// Between subjects: respondents per arm within each stratum.
    static func balance(_ design: ExperimentDesign, data: RunData, strata: (StoredPersona?) -> String?) -> JSONValue {
        guard design.assignment == .between, design.arms.count > 1 else { return .null }
        var personas: [String: StoredPersona] = [:]
        for p in data.personas { personas[p.id] = p }
        var counts: [String: [Int]] = [:]
        for unit in data.units {
            let (arm, spec) = ExperimentRunKind.inner(unit.spec)
            guard let id = spec.input["persona"]?.stringValue else { continue }
            let key = strata(personas[id]) ?? ""
            counts[key, default: [Int](repeating: 0, count: design.arms.count)][arm] += 1
        }
        return .array(
            counts.keys.sorted().map { key in
                [
                    "stratum": .string(key.isEmpty ? "(all)" : key),
                    "assigned": .array((counts[key] ?? []).map { .integer(Int64($0)) }),
                ]
            })
    }
}
