public import Inference
public import Runs

extension ScenarioRunKind: BatchCollecting {
    /// A survey whose memory is `none` asks every item alone: one `--batch` wave collects every
    /// respondent's items (answers that pipe into later questions or display logic come in a
    /// later wave). Interviews, focus groups and brainstorms answer turn by turn: one turn of every
    /// open session per wave.
    public var batchCollecting: BatchingModel.Collecting {
        scenario.kind == .survey && scenario.survey?.memory == SurveyMemory.none ? .independent : .firstMissPerUnit
    }
}
