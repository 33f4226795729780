import Foundation
import Storage

/// Qualtrics display and skip logic as flow conditions.
extension QSFImporter {
    /// Skip logic: to the end of the survey → `stopIf`; to a question → `branch` (resolved once
    /// every question has an id).
    mutating func skip(_ rule: JSONValue, qid: String, index: Int, label: String, into item: inout JSONObject) {
        let destination = rule["SkipToDestination"]?.stringValue ?? ""
        guard
            let test = choiceCondition(
                locator: rule["ChoiceLocator"]?.stringValue ?? "", operator: rule["Condition"]?.stringValue ?? "",
                right: nil, label: label)
        else { return }
        if destination == "ENDOFSURVEY" {
            let previous = item["stopIf"]?.stringValue
            item["stopIf"] = .string(previous.map { "(\($0)) or (\(test))" } ?? test)
        } else if destination.hasPrefix("QID") {
            var rules = item["branch"]?.arrayValue ?? []
            rules.append(["if": .string(test), "to": .string("@" + destination)])
            item["branch"] = .array(rules)
        } else {
            notes.append(
                "\(label): skip logic to \(destination) not converted (only the end of the survey or a question)")
        }
    }

    /// Branch targets written as `@QID` become item ids; a target that was not converted or that
    /// is not later is dropped and noted.
    mutating func resolveBranches(_ items: [JSONValue]) -> [JSONValue] {
        var out: [JSONValue] = []
        for (index, value) in items.enumerated() {
            guard case .object(var item) = value, let rules = item["branch"]?.arrayValue else {
                out.append(value)
                continue
            }
            var kept: [JSONValue] = []
            for rule in rules {
                let qid = String((rule["to"]?.stringValue ?? "").dropFirst())
                let target = converted[qid]?.id
                let position = items.firstIndex { $0["id"]?.stringValue == target }
                if let target, let position, position > index {
                    kept.append(["if": rule["if"] ?? .null, "to": .string(target)])
                } else {
                    notes.append(
                        "\(item["id"]?.stringValue ?? ""): skip logic to \(qid) not converted (not a later converted question)"
                    )
                }
            }
            item["branch"] = kept.isEmpty ? nil : .array(kept)
            out.append(.object(item))
        }
        return out
    }

    static let operators: [String: String] = [
        "EqualTo": "==", "NotEqualTo": "!=", "GreaterThan": ">", "LessThan": "<", "GreaterThanOrEqual": ">=",
        "LessThanOrEqual": "<=",
    ]

    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func literal(_ text: String) -> String {
        Double(text) != nil ? text : quote(text)
    }

    /// One condition on a question's choice (`q://QID/SelectableChoice/N`) or its entered value.
    mutating func choiceCondition(locator: String, operator op: String, right: String?, label: String) -> String? {
        let parts = locator.components(separatedBy: "/")
        guard locator.hasPrefix("q://"), parts.count >= 4, let item = converted[parts[2]] else {
            notes.append("\(label): a condition on \(locator) not converted (not an earlier converted question)")
            return nil
        }
        let reference = "answers.\(item.id)"
        if parts[3] == "SelectableChoice", parts.count >= 5 {
            let key = parts[4]
            let value: String
            if let code = item.recodes[key] {
                value = String(code)
            } else if let text = item.choices[key] {
                value = QSFImporter.quote(text)
            } else {
                notes.append("\(label): a condition on choice \(key) of \(parts[2]) not converted (no such choice)")
                return nil
            }
            let multiple = item.type == "multiple-choice" || item.type == "checkbox"
            let target = item.type == "checkbox" ? reference + ".selected" : reference
            switch op {
            case "Selected": return multiple ? "\(value) in \(target)" : "\(reference) == \(value)"
            case "NotSelected": return multiple ? "\(value) not in \(target)" : "\(reference) != \(value)"
            default: break
            }
        } else if parts[3] == "ChoiceTextEntryValue" || parts[3] == "ChoiceNumericEntryValue",
            let symbol = QSFImporter.operators[op], let right
        {
            return "\(reference) \(symbol) \(QSFImporter.literal(right))"
        }
        notes.append("\(label): the condition \(op) on \(locator) not converted")
        return nil
    }

    /// Display logic as one expression (conditions joined left to right by their conjunctions,
    /// each group in parentheses); `nil` (noted) when any part does not convert.
    mutating func condition(_ logic: JSONValue, label: String) -> String? {
        var groups: [(String, String)] = []
        for group in QSFImporter.list(logic) where group.objectValue != nil {
            var parts: [String] = []
            for entry in QSFImporter.list(group) where entry["Type"]?.stringValue == "Expression" {
                let op = entry["Operator"]?.stringValue ?? ""
                let conjunction = (entry["Conjuction"] ?? entry["Conjunction"])?.stringValue?.lowercased() ?? "and"
                let text: String?
                switch entry["LogicType"]?.stringValue {
                case "Question":
                    text = choiceCondition(
                        locator: entry["LeftOperand"]?.stringValue ?? entry["ChoiceLocator"]?.stringValue ?? "",
                        operator: op, right: entry["RightOperand"]?.stringValue, label: label)
                case "EmbeddedField":
                    if let symbol = QSFImporter.operators[op], let name = entry["LeftOperand"]?.stringValue {
                        text =
                            "persona.\(name) \(symbol) \(QSFImporter.literal(entry["RightOperand"]?.stringValue ?? ""))"
                    } else {
                        notes.append("\(label): the embedded-data condition \(op) not converted")
                        text = nil
                    }
                default:
                    notes.append(
                        "\(label): display logic of type \(entry["LogicType"]?.stringValue ?? "?") not converted")
                    text = nil
                }
                guard let text else {
                    notes.append("\(label): its display logic is dropped (the item is always shown)")
                    return nil
                }
                if !parts.isEmpty { parts.append(conjunction == "or" ? "or" : "and") }
                parts.append(text)
            }
            guard !parts.isEmpty else { continue }
            let conjunction = (group["Conjuction"] ?? group["Conjunction"])?.stringValue?.lowercased() ?? "and"
            groups.append((parts.count > 1 ? "(\(parts.joined(separator: " ")))" : parts[0], conjunction))
        }
        guard !groups.isEmpty else { return nil }
        var text = groups[0].0
        for group in groups.dropFirst() { text += " \(group.1 == "or" ? "or" : "and") \(group.0)" }
        if groups.count == 1, text.hasPrefix("("), text.hasSuffix(")") { text = String(text.dropFirst().dropLast()) }
        return text
    }
}
