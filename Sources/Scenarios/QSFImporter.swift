import Foundation
import Runs
import Storage

/// The state of one QSF import.
struct QSFImporter {
    let file: String?
    var questions: [String: JSONValue] = [:]
    var questionOrder: [String] = []
    var blocks: [JSONValue] = []
    var flow: JSONValue = .null
    var notes: [String] = []
    var context: String?
    /// Converted questions: QID → (item id, item type, choice texts by choice key, recodes by choice key).
    var converted: [String: (id: String, type: String, choices: [String: String], recodes: [String: Int])] = [:]
    var ids: [String] = []
    /// Questions whose choices Qualtrics shuffles (`Randomization` of type `All`), and questions
    /// with choices that could be shuffled.
    var shuffled: [String] = []
    var shufflable: [String] = []

    init(file: String?) { self.file = file }

    /// A payload that is an array, or an object keyed "0", "1", … (QSF writes both).
    static func list(_ value: JSONValue) -> [JSONValue] {
        if let array = value.arrayValue { return array }
        guard let object = value.objectValue else { return [] }
        return object.keys.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.compactMap { object[$0] }
    }

    /// The question ids in survey order: the flow's blocks, each block's questions.
    mutating func orderedQuestions() -> [String] {
        var blockByID: [String: JSONValue] = [:]
        for block in blocks {
            if let id = block["ID"]?.stringValue { blockByID[id] = block }
        }
        var order: [String] = []
        func walk(_ entries: [JSONValue]) {
            for entry in entries {
                let type = entry["Type"]?.stringValue ?? ""
                switch type {
                case "Block", "Standard", "Default":
                    guard let id = entry["ID"]?.stringValue, let block = blockByID[id] else {
                        notes.append(
                            "flow element \(entry["FlowID"]?.stringValue ?? "?") (\(type)): its block is missing")
                        continue
                    }
                    for element in QSFImporter.list(block["BlockElements"] ?? .null) {
                        if element["Type"]?.stringValue == "Question", let qid = element["QuestionID"]?.stringValue {
                            order.append(qid)
                        }
                    }
                case "Group":
                    walk(QSFImporter.list(entry["Flow"] ?? .null))
                default:
                    notes.append(
                        "flow element \(entry["FlowID"]?.stringValue ?? "?") (\(type)): not converted; Agora's flow is per item (showIf, skipIf, stopIf, branch)"
                    )
                    walk(QSFImporter.list(entry["Flow"] ?? .null))
                }
            }
        }
        if flow != .null, !blocks.isEmpty {
            walk(QSFImporter.list(flow["Flow"] ?? .null))
        }
        if order.isEmpty { order = questionOrder }
        for qid in questionOrder where !order.contains(qid) {
            notes.append("\(qid): in no block of the flow; not converted")
        }
        return order
    }

    /// Text without HTML tags and entities, whitespace collapsed.
    static func plain(_ html: String) -> String {
        var out = ""
        var inTag = false
        for character in html {
            if character == "<" {
                inTag = true
                out.append(" ")
            } else if character == ">" {
                inTag = false
            } else if !inTag {
                out.append(character)
            }
        }
        for (entity, value) in [
            ("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&"),
        ] {
            out = out.replacingOccurrences(of: entity, with: value)
        }
        return out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Piped text `${q://QID/…}` and `${e://Field/NAME}` as Agora templates; other piped text is
    /// removed and noted.
    mutating func piped(_ text: String, where label: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                out += rest[open.lowerBound...]
                rest = ""
                break
            }
            let reference = String(rest[open.upperBound..<close])
            rest = rest[rest.index(after: close)...]
            let parts = reference.components(separatedBy: "/")
            if reference.hasPrefix("q://"), parts.count >= 4, let item = converted[parts[2]] {
                out += "{{answers.\(item.id)}}"
            } else if reference.hasPrefix("e://Field/"), parts.count >= 4 {
                out += "{{persona.\(parts[3...].joined(separator: "/"))}}"
            } else {
                notes.append("\(label): piped text ${\(reference)} not converted (removed)")
            }
        }
        return out + rest
    }

    /// A unique, valid item id from a DataExportTag.
    mutating func itemID(_ tag: String?, qid: String) -> String {
        var id = String(
            (tag ?? qid).map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "_" })
        if id.isEmpty { id = qid }
        var candidate = id
        var n = 2
        while ids.contains(candidate) {
            candidate = "\(id)_\(n)"
            n += 1
        }
        ids.append(candidate)
        return candidate
    }

    /// Choices in `ChoiceOrder` (else key order): (key, text, text entry).
    static func choices(_ payload: JSONValue, key: String = "Choices", order: String = "ChoiceOrder")
        -> [(key: String, text: String, textEntry: Bool)]
    {
        guard let object = payload[key]?.objectValue else { return [] }
        var keys = (payload[order]?.arrayValue ?? []).map { $0.stringValue ?? $0.intValue.map(String.init) ?? "" }
        if keys.isEmpty { keys = object.keys.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) } }
        return keys.compactMap { k in
            guard let choice = object[k] else { return nil }
            let entry = choice["TextEntry"]
            return (
                k, plain(choice["Display"]?.stringValue ?? ""), entry?.stringValue == "true" || entry?.boolValue == true
            )
        }
    }

    /// Integer recode values by choice key, when every choice has one.
    static func recodes(_ payload: JSONValue, key: String = "RecodeValues", keys: [String]) -> [String: Int]? {
        guard let object = payload[key]?.objectValue else { return nil }
        var out: [String: Int] = [:]
        for k in keys {
            guard let value = object[k],
                let n = value.stringValue.flatMap({ Int($0) }) ?? value.intValue.map({ Int($0) })
            else { return nil }
            out[k] = n
        }
        return out
    }

    static func number(_ value: JSONValue?) -> Double? {
        value?.doubleValue ?? value?.stringValue.flatMap { Double($0) }
    }

    mutating func convert() -> [JSONValue] {
        var items: [JSONValue] = []
        for qid in orderedQuestions() {
            guard let payload = questions[qid] else {
                notes.append("\(qid): listed in a block but missing from the file")
                continue
            }
            let type = payload["QuestionType"]?.stringValue ?? ""
            let selector = payload["Selector"]?.stringValue ?? ""
            let label = "\(qid) (\(type)/\(selector))"
            let text = SurveyTemplate.trimmed(
                Substring(piped(QSFImporter.plain(payload["QuestionText"]?.stringValue ?? ""), where: label)))
            if type == "DB" {
                if context == nil, items.isEmpty {
                    context = text
                } else {
                    notes.append("\(label): descriptive text after the first question; not converted")
                }
                continue
            }
            let choices = QSFImporter.choices(payload)
            let options = choices.map { piped($0.text, where: label) }
            var item = JSONObject()
            var itemType = ""
            var choiceText: [String: String] = [:]
            var recodes: [String: Int] = [:]
            for (choice, option) in zip(choices, options) { choiceText[choice.key] = option }
            let settings = payload["Validation"]?["Settings"]
            switch (type, selector) {
            case ("MC", "SAVR"), ("MC", "SAHR"), ("MC", "SACOL"), ("MC", "DL"), ("MC", "SB"):
                if options == ["Yes", "No"] {
                    itemType = "yes-no"
                } else if options.count >= 3,
                    let codes = QSFImporter.recodes(payload, keys: choices.map(\.key)),
                    let first = codes[choices[0].key],
                    choices.enumerated().allSatisfy({ codes[$0.element.key] == first + $0.offset })
                {
                    itemType = "likert"
                    recodes = codes
                    item["scale"] = [
                        "min": .integer(Int64(first)), "max": .integer(Int64(first + choices.count - 1)),
                        "labels": .array(options.map { .string($0) }),
                    ]
                } else {
                    itemType = "single-choice"
                    item["options"] = .array(options.map { .string($0) })
                }
                for choice in choices where choice.textEntry {
                    notes.append("\(label): the text box of \"\(choice.text)\" is not converted (single choice)")
                }
            case ("MC", "MAVR"), ("MC", "MAHR"), ("MC", "MACOL"), ("MC", "MSB"):
                var list = options
                if let last = choices.last, last.textEntry, list.count >= 2 {
                    itemType = "checkbox"
                    item["other"] = .string(list.removeLast())
                } else {
                    itemType = "multiple-choice"
                }
                item["options"] = .array(list.map { .string($0) })
                if let low = QSFImporter.number(settings?["MinChoices"]) {
                    item["minSelections"] = .integer(Int64(low))
                }
                if let high = QSFImporter.number(settings?["MaxChoices"]) {
                    item["maxSelections"] = .integer(Int64(high))
                }
            case ("TE", "SL"), ("TE", "ML"), ("TE", "ESTB"):
                if settings?["ContentType"]?.stringValue == "ValidNumber" {
                    itemType = "numeric"
                    let range = settings?["ValidNumber"]
                    if let low = QSFImporter.number(range?["Min"]) { item["min"] = .number(low) }
                    if let high = QSFImporter.number(range?["Max"]) { item["max"] = .number(high) }
                    if range?["NumDecimals"]?.stringValue == "0" { item["integer"] = true }
                } else {
                    itemType = "open"
                }
            case ("TE", "FORM"):
                itemType = "free-list"
                item["maxItems"] = .integer(Int64(max(1, choices.count)))
            case ("Matrix", "Likert"):
                if let sub = payload["SubSelector"]?.stringValue, sub != "SingleAnswer" {
                    notes.append("\(label): a matrix of subtype \(sub) is not converted; only single-answer rows")
                    continue
                }
                itemType = "matrix"
                let answers = QSFImporter.choices(payload, key: "Answers", order: "AnswerOrder")
                let codes = QSFImporter.recodes(payload, keys: answers.map(\.key))
                let first = codes?[answers.first?.key ?? ""] ?? 1
                item["rows"] = .array(
                    zip(choices, options).map { choice, option in
                        ["id": .string("r\(choice.key)"), "text": .string(option)]
                    })
                item["scale"] = [
                    "min": .integer(Int64(first)), "max": .integer(Int64(first + max(1, answers.count) - 1)),
                    "labels": .array(answers.map { .string($0.text) }),
                ]
            case ("RO", _):
                itemType = "rank"
                item["options"] = .array(options.map { .string($0) })
            case ("CS", _):
                itemType = "constant-sum"
                item["options"] = .array(options.map { .string($0) })
                item["total"] = .integer(Int64(QSFImporter.number(settings?["ChoiceTotal"]) ?? 100))
            case ("Slider", _):
                itemType = "linear-scale"
                let config = payload["Configuration"]
                item["min"] = .integer(Int64(QSFImporter.number(config?["CSSliderMin"]) ?? 0))
                item["max"] = .integer(Int64(QSFImporter.number(config?["CSSliderMax"]) ?? 100))
                let labels = QSFImporter.choices(payload, key: "Labels", order: "LabelOrder").map(\.text)
                if let low = labels.first { item["minLabel"] = .string(low) }
                if labels.count > 1, let high = labels.last { item["maxLabel"] = .string(high) }
                if choices.count > 1 {
                    notes.append("\(label): only the first of \(choices.count) sliders is converted")
                }
            default:
                notes.append("\(label): question type not converted")
                continue
            }
            let id = itemID(payload["DataExportTag"]?.stringValue, qid: qid)
            var ordered = JSONObject([("id", .string(id)), ("type", .string(itemType)), ("question", .string(text))])
            for (k, v) in item { ordered[k] = v }
            if let logic = payload["DisplayLogic"], logic != .null {
                if let expression = condition(logic, label: label) {
                    ordered["showIf"] = .string(expression)
                }
            }
            converted[qid] = (id, itemType, choiceText, recodes)
            for (index, rule) in QSFImporter.list(payload["SkipLogic"] ?? .null).enumerated() {
                skip(rule, qid: qid, index: index, label: label, into: &ordered)
            }
            if ["single-choice", "multiple-choice", "checkbox", "rank", "constant-sum"].contains(itemType) {
                shufflable.append(id)
            }
            if let randomization = payload["Randomization"], randomization != .null {
                if randomization["Type"]?.stringValue == "All" {
                    shuffled.append(id)
                } else {
                    notes.append(
                        "\(label): choice randomisation of type \(randomization["Type"]?.stringValue ?? "?") not converted"
                    )
                }
            }
            if payload["InPageDisplayLogic"] != nil {
                notes.append("\(label): in-page display logic not converted")
            }
            items.append(.object(ordered))
        }
        if !shuffled.isEmpty, shuffled != shufflable {
            notes.append(
                "choice randomisation: Qualtrics shuffles \(shuffled.joined(separator: ", ")) only; Agora's randomizeOptions shuffles every choice item"
            )
        }
        return resolveBranches(items)
    }
}
