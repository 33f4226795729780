import Foundation
import Runs
import Storage

/// The answer-quality flags of a survey run (Runs' ``AnswerQuality``) over its closed items:
/// likert and single-choice answers as scale/option positions, and, where options are randomised,
/// whether each answer was the first option displayed to that respondent.
///
/// Accumulated one done unit at a time (a few bytes per respondent and closed item), so streamed
/// outputs and the whole-data path compute the same figures.
struct SurveyQuality: Sendable {
    private let survey: SurveySpec
    private var items: [AnswerQuality.Item] = []
    private var respondents = 0

    /// Starts an empty accumulation for `survey`'s likert and single-choice items.
    init(_ survey: SurveySpec) {
        self.survey = survey
        for item in survey.items {
            switch item.answer {
            case .likert(let low, let high, _):
                items.append(AnswerQuality.Item(id: item.id, optionCount: high - low + 1, answers: [], scale: true))
            case .singleChoice(let options):
                items.append(AnswerQuality.Item(id: item.id, optionCount: options.count, answers: [], scale: false))
            default:
                continue
            }
        }
    }

    /// Adds one done unit with its events.
    mutating func add(_ unit: UnitRecord, events: [RunEvent]) {
        respondents += 1
        var position = 0
        for item in survey.items {
            switch item.answer {
            case .likert(let low, _, _):
                let value = unit.result["answers"]?[item.id]?.intValue.map(Int.init)
                items[position].answers.append(value.map { $0 - low } ?? -1)
                items[position].choseFirstShown.append(nil)
            case .singleChoice(let options):
                let label = unit.result["answers"]?[item.id]?.stringValue
                let chosen = label.flatMap { options.firstIndex(of: $0) } ?? -1
                items[position].answers.append(chosen)
                guard survey.randomizeOptions, let label, chosen >= 0 else {
                    items[position].choseFirstShown.append(nil)
                    break
                }
                let shown = events.first {
                    $0.kind == "utterance" && $0.data["item"]?.stringValue == item.id
                }?.data["options"]?.arrayValue?.first?.stringValue
                items[position].choseFirstShown.append(shown.map { $0 == label })
            default:
                continue
            }
            position += 1
        }
    }

    /// The `quality` object of `results.json`.
    func report() -> JSONValue { AnswerQuality.report(items, respondents: respondents) }

    /// Whether the quality figures need each unit's events (the options shown, when randomised).
    static func needsEvents(_ survey: SurveySpec) -> Bool { survey.randomizeOptions }
}
