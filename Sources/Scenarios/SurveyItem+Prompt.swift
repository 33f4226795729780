import Foundation
import Runs
public import Storage

extension SurveyItem {
    /// The JSON schema of a valid answer `{"answer": …}` with options in `shown` order.
    public func schema(shown: [String]) -> JSONValue {
        let answerSchema: JSONValue
        switch answer {
        case .likert(let low, let high, _):
            answerSchema = ["type": "integer", "minimum": .integer(Int64(low)), "maximum": .integer(Int64(high))]
        case .singleChoice:
            answerSchema = ["type": "string", "enum": .array(shown.map { .string($0) })]
        case .multipleChoice(_, let low, let high):
            answerSchema = [
                "type": "array", "items": ["type": "string", "enum": .array(shown.map { .string($0) })],
                "minItems": .integer(Int64(low)), "maxItems": .integer(Int64(high)), "uniqueItems": true,
            ]
        case .numeric(let low, let high, let integer, _):
            var o = JSONObject([("type", .string(integer ? "integer" : "number"))])
            if let low { o["minimum"] = .number(low) }
            if let high { o["maximum"] = .number(high) }
            answerSchema = .object(o)
        case .open(let maxLength):
            answerSchema = ["type": "string", "minLength": 1, "maxLength": .integer(Int64(maxLength))]
        }
        return [
            "type": "object", "properties": ["answer": answerSchema], "required": ["answer"],
            "additionalProperties": false,
        ]
    }

    /// The question as the respondent reads it, with the options in `shown` order and the answer format.
    public func prompt(shown: [String]) -> String {
        var lines = [question]
        switch answer {
        case .likert(let low, let high, let labels):
            if labels.isEmpty {
                lines.append("Answer with a whole number from \(low) to \(high).")
            } else {
                let points = (low...high).map { "\($0) = \(labels[$0 - low])" }.joined(separator: ", ")
                lines.append("Answer with a whole number from \(low) to \(high), where \(points).")
            }
        case .singleChoice:
            lines.append("Choose exactly one option (copy its text exactly):")
            lines += shown.map { "- \($0)" }
        case .multipleChoice(_, let low, let high):
            let count = low == high ? "exactly \(low)" : "between \(low) and \(high)"
            lines.append("Choose \(count) of these options (copy their text exactly):")
            lines += shown.map { "- \($0)" }
        case .numeric(let low, let high, let integer, let unit):
            var text = integer ? "Answer with a whole number" : "Answer with a number"
            if let low, let high {
                text += " from \(Self.format(low)) to \(Self.format(high))"
            } else if let low {
                text += " of at least \(Self.format(low))"
            } else if let high {
                text += " of at most \(Self.format(high))"
            }
            if let unit { text += " (\(unit))" }
            lines.append(text + ".")
        case .open(let maxLength):
            lines.append("Answer in your own words, briefly (at most \(maxLength) characters).")
        }
        lines.append("Reply with JSON only: {\"answer\": …}")
        return lines.joined(separator: "\n")
    }

    /// The answer as one CSV cell / transcript line: a number, an option, options joined by `; `, or text.
    public static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let s): s
        case .integer(let n): String(n)
        case .number(let x): format(x)
        case .array(let items): items.map { text(of: $0) }.joined(separator: "; ")
        case .null: ""
        default: CanonicalJSON.string(value)
        }
    }

    static func format(_ x: Double) -> String {
        CanonicalJSON.string(.number(x))
    }
}
