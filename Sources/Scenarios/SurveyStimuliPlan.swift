import Runs
import Storage

/// Which stimuli each respondent meets, decided when the run is planned and stored in each unit's
/// input (so a resumed run keeps it).
enum SurveyStimuliPlan {
    /// The stimulus ids of each respondent, in respondent order.
    ///
    /// Between-subjects: the respondents are shuffled from `RandomStream(seed).substream("survey/stimuli")`
    /// and the k-th of the shuffled order gets stimulus k mod n, so group sizes differ by at most
    /// one and do not follow the population's order. Within-subjects: every respondent gets every
    /// stimulus, in an order from `substream("survey/stimuli/<persona>")`.
    static func assign(_ stimuli: SurveyStimuli, respondents: [String], seed: UInt64) -> [[String]] {
        let ids = stimuli.rows.map(\.id)
        let root = RandomStream(seed: seed)
        switch stimuli.design {
        case .between:
            var order = Array(respondents.indices)
            var stream = root.substream("survey/stimuli")
            stream.shuffle(&order)
            var assigned = [[String]](repeating: [], count: respondents.count)
            for (rank, position) in order.enumerated() { assigned[position] = [ids[rank % ids.count]] }
            return assigned
        case .within:
            return respondents.map { id in
                var list = ids
                var stream = root.substream("survey/stimuli/\(id)")
                stream.shuffle(&list)
                return list
            }
        }
    }

    /// The stimulus rows a unit's input names (`stimulus` or `stimuli`), in order.
    static func rows(_ survey: SurveySpec, input: JSONValue) throws(RunError) -> [SurveyStimuli.Row] {
        guard let stimuli = survey.stimuli else { return [] }
        let names =
            input["stimuli"]?.arrayValue?.compactMap(\.stringValue) ?? input["stimulus"].flatMap(\.stringValue).map {
                [$0]
            } ?? []
        var rows: [SurveyStimuli.Row] = []
        for name in names {
            guard let row = stimuli.rows.first(where: { $0.id == name }) else {
                throw RunError(.runStore, "the unit names the stimulus \"\(name)\", which the scenario does not have")
            }
            rows.append(row)
        }
        return rows
    }
}
