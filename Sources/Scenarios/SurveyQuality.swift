import Foundation
import Runs
import Storage

/// The answer-quality flags of a survey run (Runs' ``AnswerQuality``) over its closed items:
/// likert and single-choice answers as scale/option positions, and, where options are randomised,
/// whether each answer was the first option displayed to that respondent.
enum SurveyQuality {
    static func quality(_ data: ScenarioRunData) -> JSONValue? {
        guard let survey = data.scenario.survey else { return nil }
        let done = data.doneUnits
        var items: [AnswerQuality.Item] = []
        for item in survey.items {
            var answers: [Int] = []
            var first: [Bool?] = []
            let optionCount: Int
            let scale: Bool
            switch item.answer {
            case .likert(let low, let high, _):
                optionCount = high - low + 1
                scale = true
                for unit in done {
                    let value = unit.result["answers"]?[item.id]?.intValue.map(Int.init)
                    answers.append(value.map { $0 - low } ?? -1)
                    first.append(nil)
                }
            case .singleChoice(let options):
                optionCount = options.count
                scale = false
                for unit in done {
                    let label = unit.result["answers"]?[item.id]?.stringValue
                    let position = label.flatMap { options.firstIndex(of: $0) } ?? -1
                    answers.append(position)
                    guard survey.randomizeOptions, let label, position >= 0 else {
                        first.append(nil)
                        continue
                    }
                    let shown = (data.events[unit.spec.index] ?? []).first {
                        $0.kind == "utterance" && $0.data["item"]?.stringValue == item.id
                    }?.data["options"]?.arrayValue?.first?.stringValue
                    first.append(shown.map { $0 == label })
                }
            default:
                continue
            }
            items.append(
                AnswerQuality.Item(
                    id: item.id, optionCount: optionCount, answers: answers, choseFirstShown: first, scale: scale))
        }
        return AnswerQuality.report(items, respondents: done.count)
    }
}
