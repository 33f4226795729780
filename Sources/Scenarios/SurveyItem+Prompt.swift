import Foundation
import Runs
public import Storage

extension SurveyItem {
    /// The JSON schema of a valid answer `{"answer": …}` with options in `shown` order (rows for a
    /// matrix, already rendered).
    public func schema(shown: [String]) -> JSONValue {
        func enumOf(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
        func integer(_ low: Int, _ high: Int) -> JSONValue {
            ["type": "integer", "minimum": .integer(Int64(low)), "maximum": .integer(Int64(high))]
        }
        func ordered(_ list: [String], count: Int) -> JSONValue {
            [
                "type": "array", "items": ["type": "string", "enum": enumOf(list)],
                "minItems": .integer(Int64(count)), "maxItems": .integer(Int64(count)), "uniqueItems": true,
            ]
        }
        func object(_ keys: [String], _ value: JSONValue) -> JSONValue {
            .object(
                JSONObject([
                    ("type", "object"), ("properties", .object(JSONObject(keys.map { ($0, value) }))),
                    ("required", enumOf(keys)), ("additionalProperties", false),
                ]))
        }
        let answerSchema: JSONValue
        switch answer {
        case .likert(let low, let high, _), .linearScale(let low, let high, _, _):
            answerSchema = integer(low, high)
        case .singleChoice, .yesNo:
            answerSchema = ["type": "string", "enum": enumOf(shown)]
        case .multipleChoice(_, let low, let high):
            answerSchema = [
                "type": "array", "items": ["type": "string", "enum": enumOf(shown)],
                "minItems": .integer(Int64(low)), "maxItems": .integer(Int64(high)), "uniqueItems": true,
            ]
        case .numeric(let low, let high, let integer, _):
            var o = JSONObject([("type", .string(integer ? "integer" : "number"))])
            if let low { o["minimum"] = .number(low) }
            if let high { o["maximum"] = .number(high) }
            answerSchema = .object(o)
        case .open(let maxLength):
            answerSchema = ["type": "string", "minLength": 1, "maxLength": .integer(Int64(maxLength))]
        case .rank:
            answerSchema = ordered(shown, count: shown.count)
        case .topK(_, let k):
            answerSchema = ordered(shown, count: k)
        case .matrix(let rows, let low, let high, _):
            answerSchema = object(rows.map(\.id), integer(low, high))
        case .constantSum(_, let total):
            answerSchema = object(shown, integer(0, total))
        case .checkbox(_, let low, let high, _):
            answerSchema = .object(
                JSONObject([
                    ("type", "object"),
                    (
                        "properties",
                        [
                            "selected": [
                                "type": "array", "items": ["type": "string", "enum": enumOf(shown)],
                                "minItems": .integer(Int64(low)), "maxItems": .integer(Int64(high)),
                                "uniqueItems": true,
                            ],
                            "other": ["type": "string", "maxLength": 200],
                        ]
                    ),
                    ("required", ["selected"]), ("additionalProperties", false),
                ]))
        case .freeList(let maxItems, let maxLength):
            answerSchema = [
                "type": "array",
                "items": ["type": "string", "minLength": 1, "maxLength": .integer(Int64(maxLength))],
                "minItems": 1, "maxItems": .integer(Int64(maxItems)),
            ]
        }
        return [
            "type": "object", "properties": ["answer": answerSchema], "required": ["answer"],
            "additionalProperties": false,
        ]
    }

    /// Rules beyond the schema, on a schema-valid `{"answer": …}`: a constant sum adds up to its
    /// total; a checkbox has a text exactly when its "other" option is chosen; a free list has no
    /// repeated entry. Empty when the answer is valid.
    public func check(_ value: JSONValue) -> [String] {
        let answerValue = value["answer"] ?? .null
        switch answer {
        case .constantSum(_, let total):
            let values = answerValue.objectValue?.values.compactMap(\.intValue) ?? []
            let sum = values.reduce(0, +)
            return sum == Int64(total) ? [] : ["$.answer: the amounts add up to \(sum); they must add up to \(total)"]
        case .checkbox(_, _, _, let other):
            let chosen = answerValue["selected"]?.arrayValue?.contains(.string(other)) == true
            let text = answerValue["other"]?.stringValue ?? ""
            let blank = text.allSatisfy(\.isWhitespace)
            if chosen && blank { return ["$.answer.other: you chose \"\(other)\"; say what it is in \"other\""] }
            if !chosen && !blank {
                return ["$.answer.other: leave \"other\" out unless you choose \"\(other)\""]
            }
            return []
        case .freeList:
            let items = (answerValue.arrayValue ?? []).compactMap { $0.stringValue?.lowercased() }
            for (index, item) in items.enumerated() where items[..<index].contains(item) {
                return ["$.answer[\(index)]: \"\(item)\" is listed twice; list each thing once"]
            }
            return []
        default:
            return []
        }
    }

    /// The question as the respondent reads it, with the options (or matrix rows) in `shown` order
    /// and the answer format; `question` is the text with templates filled in.
    public func prompt(shown: [String], question: String? = nil) -> String {
        var lines = [question ?? self.question]
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
        case .yesNo:
            lines.append("Answer \"Yes\" or \"No\".")
        case .linearScale(let low, let high, let lowLabel, let highLabel):
            var text = "Answer with a whole number from \(low) to \(high)"
            if lowLabel != nil || highLabel != nil {
                text += ", where \(low) = \(lowLabel ?? "lowest") and \(high) = \(highLabel ?? "highest")"
            }
            lines.append(text + ".")
        case .rank:
            lines.append("Put all of these options in order, your first choice first (copy their text exactly):")
            lines += shown.map { "- \($0)" }
        case .topK(_, let k):
            lines.append("Pick your top \(k) of these options, best first (copy their text exactly):")
            lines += shown.map { "- \($0)" }
        case .matrix(let rows, let low, let high, let labels):
            var text = "Rate each row with a whole number from \(low) to \(high)"
            if !labels.isEmpty {
                text += ", where " + (low...high).map { "\($0) = \(labels[$0 - low])" }.joined(separator: ", ")
            }
            lines.append(text + ". Answer with an object whose keys are the row keys:")
            lines += zip(rows, shown).map { "- \($0.id): \($1)" }
        case .constantSum(_, let total):
            lines.append(
                "Divide \(total) points among these options, as whole numbers that add up to exactly \(total). Answer with an object whose keys are the options (copy their text exactly):"
            )
            lines += shown.map { "- \($0)" }
        case .checkbox(_, let low, let high, let other):
            let count = low == high ? "exactly \(low)" : "between \(low) and \(high)"
            lines.append(
                "Choose \(count) of these options (copy their text exactly) as \"selected\"; if you choose \"\(other)\", say what in \"other\":"
            )
            lines += shown.map { "- \($0)" }
        case .freeList(let maxItems, let maxLength):
            lines.append(
                "List up to \(maxItems) short answers (each at most \(maxLength) characters), one string each.")
        }
        lines.append("Reply with JSON only: {\"answer\": …}")
        return lines.joined(separator: "\n")
    }

    /// The answer as one CSV cell / transcript line: a number, an option, options joined by `; `,
    /// `key=value` pairs for an object, or text.
    public static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let s): s
        case .integer(let n): String(n)
        case .number(let x): format(x)
        case .array(let items): items.map { text(of: $0) }.joined(separator: "; ")
        case .object(let o): o.map { "\($0.key)=\(text(of: $0.value))" }.joined(separator: "; ")
        case .null: ""
        default: CanonicalJSON.string(value)
        }
    }

    /// What a CSV cell holds for an item that was skipped (`skipIf`, `showIf`, a branch, `stopIf`).
    public static let skippedCell = "(skipped)"

    /// The CSV cells of the item (one per column): empty when failed, ``skippedCell`` when skipped
    /// (`nil`), a matrix row per column, a checkbox's "other" text after its label.
    public func cells(_ value: JSONValue?) -> [String] {
        guard let value else { return columns.map { _ in Self.skippedCell } }
        switch answer {
        case .matrix(let rows, _, _, _):
            return rows.map { Self.text(of: value[$0.id] ?? .null) }
        case .checkbox(_, _, _, let other):
            guard value != .null else { return [""] }
            let text = value["other"]?.stringValue ?? ""
            let selected = (value["selected"]?.arrayValue ?? []).map { option -> String in
                let label = Self.text(of: option)
                return label == other && !text.isEmpty ? "\(label): \(text)" : label
            }
            return [selected.joined(separator: "; ")]
        default:
            return [Self.text(of: value)]
        }
    }

    /// The token budget of an answer: open and list items get the scenario's budget, closed ones a
    /// budget sized to their schema (a constrained string can otherwise run on to the limit on
    /// small models).
    func answerTokens(_ budget: Int) -> Int {
        switch answer {
        case .open, .freeList: budget
        case .multipleChoice(let options, _, _), .rank(let options), .topK(let options, _):
            min(budget, 16 + 12 * options.count)
        case .constantSum(let options, _): min(budget, 16 + 14 * options.count)
        case .checkbox(let options, _, _, _): min(budget, 72 + 12 * options.count)
        case .matrix(let rows, _, _, _): min(budget, 16 + 8 * rows.count)
        default: min(budget, 32)
        }
    }

    static func format(_ x: Double) -> String {
        CanonicalJSON.string(.number(x))
    }
}
