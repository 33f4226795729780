import Foundation
public import Runs
public import Storage

/// Qualtrics interchange (`agora survey import|export`, docs/scenarios.md "Qualtrics"): a Qualtrics
/// survey export (`.qsf`, JSON: `SurveyEntry` and `SurveyElements` — blocks `BL`, the flow `FL`,
/// one `SQ` per question) to an Agora survey scenario and back. What does not convert is named,
/// never dropped silently.
public enum SurveyQSF {
    /// The result of an import: the scenario document and what could not be converted.
    public struct Imported: Sendable {
        /// The scenario (kind `survey`).
        public var document: JSONValue
        /// One line per element, setting or piece of text not converted (`QID7 (HeatMap): …`).
        public var notConverted: [String]
    }

    /// The result of an export: the QSF document and what could not be written to it.
    public struct Exported: Sendable {
        /// The `.qsf` document.
        public var qsf: JSONValue
        /// One line per item, rule or setting not represented (or represented with a loss).
        public var notConverted: [String]
    }

    // MARK: import

    /// Converts a QSF document. `id` names the scenario; `population` is its `population` section.
    ///
    /// - Throws: `RunError` (`invalidInput`) when the file is not a QSF survey.
    public static func importSurvey(
        _ qsf: JSONValue, file: String? = nil, id: String, population: JSONValue
    ) throws(RunError) -> Imported {
        guard let elements = qsf["SurveyElements"]?.arrayValue else {
            throw RunError(
                .invalidInput, "not a Qualtrics survey export: no SurveyElements; export the survey as .qsf",
                file: file, path: "$.SurveyElements")
        }
        var importer = QSFImporter(file: file)
        for element in elements {
            let kind = element["Element"]?.stringValue ?? ""
            let payload = element["Payload"] ?? .null
            switch kind {
            case "SQ":
                if let qid = payload["QuestionID"]?.stringValue ?? element["PrimaryAttribute"]?.stringValue {
                    importer.questions[qid] = payload
                    importer.questionOrder.append(qid)
                }
            case "BL":
                importer.blocks = QSFImporter.list(payload)
            case "FL":
                importer.flow = payload
            default:
                break
            }
        }
        let items = importer.convert()
        var survey = JSONObject()
        if let context = importer.context { survey["context"] = .string(context) }
        survey["items"] = .array(items)
        let title = qsf["SurveyEntry"]?["SurveyName"]?.stringValue ?? id
        let document: JSONValue = .object(
            JSONObject([
                ("version", 1), ("id", .string(id)), ("kind", "survey"), ("title", .string(title)),
                ("population", population), ("survey", .object(survey)),
            ]))
        do {
            _ = try Scenario.parse(document, file: file, checkFiles: false)
        } catch {
            throw RunError(
                .invalidInput, "the converted survey is not valid: \(error.message) (at \(error.path ?? "$"))",
                file: file, underlying: error)
        }
        return Imported(document: document, notConverted: importer.notes)
    }

    // MARK: export

    /// Writes `scenario`'s survey as a QSF document (one block, questions in order; flow rules as
    /// display and skip logic where Qualtrics can express them).
    public static func export(_ scenario: Scenario) throws(RunError) -> Exported {
        guard let survey = scenario.survey else {
            throw RunError(
                .invalidInput, "only surveys export to Qualtrics; this is a \(scenario.kind.rawValue)",
                file: scenario.file)
        }
        var exporter = QSFExporter(survey: survey)
        return Exported(qsf: exporter.document(id: scenario.id, title: scenario.title), notConverted: exporter.notes)
    }
}

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
            if payload["InPageDisplayLogic"] != nil || payload["Randomization"] != nil {
                notes.append("\(label): in-page logic or choice randomisation not converted")
            }
            items.append(.object(ordered))
        }
        return resolveBranches(items)
    }

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

/// The state of one QSF export.
struct QSFExporter {
    let survey: SurveySpec
    var notes: [String] = []
    /// QID of each item id.
    var qids: [String: String] = [:]

    init(survey: SurveySpec) {
        self.survey = survey
        let offset = survey.context == nil ? 1 : 2
        for (index, item) in survey.items.enumerated() { qids[item.id] = "QID\(index + offset)" }
    }

    static func choices(_ texts: [String], textEntry last: Bool = false) -> (JSONValue, JSONValue) {
        var object = JSONObject()
        for (index, text) in texts.enumerated() {
            var choice = JSONObject([("Display", .string(text))])
            if last, index == texts.count - 1 { choice["TextEntry"] = "true" }
            object[String(index + 1)] = .object(choice)
        }
        return (.object(object), .array(texts.indices.map { .string(String($0 + 1)) }))
    }

    /// Templates as Qualtrics piped text.
    mutating func piped(_ text: String, label: String) -> String {
        guard text.contains("{{"), let template = try? SurveyTemplate(text) else { return text }
        var out = ""
        for segment in template.segments {
            switch segment {
            case .text(let t): out += t
            case .reference(let r):
                switch r.source {
                case .answers:
                    let id = r.path[0]
                    let qid = qids[id] ?? "QID0"
                    let item = survey.items.first { $0.id == id }
                    switch item?.answer {
                    case .open, .numeric, .freeList, .none: out += "${q://\(qid)/ChoiceTextEntryValue}"
                    default: out += "${q://\(qid)/ChoiceGroup/SelectedChoices}"
                    }
                    if r.path.count > 1 { notes.append("\(label): {{\(r.text)}} piped as the whole answer of \(id)") }
                case .persona:
                    out += "${e://Field/\(r.path.joined(separator: "."))}"
                case .vars:
                    out += "${e://Field/\(r.path.joined(separator: "."))}"
                    notes.append(
                        "\(label): {{\(r.text)}} written as embedded data ${e://Field/\(r.path[0])}; set it in the Qualtrics survey flow"
                    )
                }
            }
        }
        return out
    }

    mutating func document(id: String, title: String) -> JSONValue {
        let surveyID = "SV_" + String(SHA256.hex(id).prefix(15))
        var questionElements: [JSONValue] = []
        var blockElements: [JSONValue] = []
        if let context = survey.context {
            let text = piped(context, label: "context")
            questionElements.append(
                question(
                    qid: "QID1", tag: "context", text: text,
                    payload: ["QuestionType": "DB", "Selector": "TB"], surveyID: surveyID))
            blockElements.append(["Type": "Question", "QuestionID": "QID1"])
        }
        if survey.stimuli != nil {
            notes.append(
                "stimuli: not written; field one survey per stimulus (its variables as embedded data) or add them in Qualtrics"
            )
        }
        if survey.memory != .none {
            notes.append("memory: real respondents see their earlier answers as Qualtrics shows them; not written")
        }
        for item in survey.items {
            let qid = qids[item.id] ?? ""
            let label = "\(item.id) (\(item.typeName))"
            var payload = payload(item, label: label)
            if let logic = displayLogic(item, label: label) { payload["DisplayLogic"] = logic }
            let skips = skipLogic(item, label: label)
            if !skips.isEmpty { payload["SkipLogic"] = .array(skips) }
            questionElements.append(
                question(
                    qid: qid, tag: item.id, text: piped(item.question, label: label), payload: payload,
                    surveyID: surveyID))
            blockElements.append(["Type": "Question", "QuestionID": .string(qid)])
        }
        let entry: JSONValue = .object(
            JSONObject([
                ("SurveyID", .string(surveyID)), ("SurveyName", .string(title)), ("SurveyDescription", .null),
                ("SurveyOwnerID", "UR_agora"), ("SurveyBrandID", "agora"), ("DivisionID", .null),
                ("SurveyLanguage", "EN"), ("SurveyActiveResponseSet", "RS_agora"), ("SurveyStatus", "Inactive"),
                ("SurveyStartDate", "0000-00-00 00:00:00"), ("SurveyExpirationDate", "0000-00-00 00:00:00"),
                ("SurveyCreationDate", "0000-00-00 00:00:00"), ("CreatorID", "UR_agora"),
                ("LastModified", "0000-00-00 00:00:00"), ("LastAccessed", "0000-00-00 00:00:00"),
                ("LastActivated", "0000-00-00 00:00:00"), ("Deleted", .null),
            ]))
        let block: JSONValue = [
            "Type": "Default", "Description": "Default Question Block", "ID": "BL_agora",
            "BlockElements": .array(blockElements),
        ]
        func element(_ kind: String, _ primary: String, _ payload: JSONValue) -> JSONValue {
            .object(
                JSONObject([
                    ("SurveyID", .string(surveyID)), ("Element", .string(kind)), ("PrimaryAttribute", .string(primary)),
                    ("SecondaryAttribute", .null), ("TertiaryAttribute", .null), ("Payload", payload),
                ]))
        }
        let flow: JSONValue = [
            "Type": "Root", "FlowID": "FL_1",
            "Flow": [["Type": "Block", "ID": "BL_agora", "FlowID": "FL_2"]],
            "Properties": ["Count": 2],
        ]
        let elements =
            [
                element("BL", "Survey Blocks", [block]), element("FL", "Survey Flow", flow),
                element(
                    "SO", "Survey Options",
                    ["BackButton": "false", "SurveyProtection": "PublicSurvey", "SurveyTermination": "DefaultMessage"]),
            ] + questionElements
        return ["SurveyEntry": entry, "SurveyElements": .array(elements)]
    }

    func question(qid: String, tag: String, text: String, payload: JSONObject, surveyID: String) -> JSONValue {
        var p = JSONObject([
            ("QuestionText", .string(text)), ("DataExportTag", .string(tag)),
        ])
        for (k, v) in payload { p[k] = v }
        p["Configuration"] = p["Configuration"] ?? ["QuestionDescriptionOption": "UseText"]
        p["QuestionDescription"] = .string(text)
        p["Language"] = .array([])
        p["QuestionID"] = .string(qid)
        return .object(
            JSONObject([
                ("SurveyID", .string(surveyID)), ("Element", "SQ"), ("PrimaryAttribute", .string(qid)),
                ("SecondaryAttribute", .string(String(text.prefix(100)))), ("TertiaryAttribute", .null),
                ("Payload", .object(p)),
            ]))
    }

    mutating func payload(_ item: SurveyItem, label: String) -> JSONObject {
        var p = JSONObject()
        func mc(_ selector: String, _ texts: [String], textEntry: Bool = false) {
            let (choices, order) = Self.choices(texts.map { piped($0, label: label) }, textEntry: textEntry)
            p["QuestionType"] = "MC"
            p["Selector"] = .string(selector)
            p["SubSelector"] = "TX"
            p["Choices"] = choices
            p["ChoiceOrder"] = order
        }
        func validation(_ settings: [(String, JSONValue)]) {
            var s = JSONObject([("ForceResponse", "OFF"), ("ForceResponseType", "ON")])
            for (k, v) in settings { s[k] = v }
            p["Validation"] = ["Settings": .object(s)]
        }
        switch item.answer {
        case .yesNo:
            mc("SAVR", ["Yes", "No"])
        case .singleChoice(let options):
            mc("SAVR", options)
        case .likert(let low, let high, let labels):
            mc("SAVR", labels.isEmpty ? (low...high).map(String.init) : labels)
            p["RecodeValues"] = .object(
                JSONObject((low...high).enumerated().map { (String($0.offset + 1), .string(String($0.element))) }))
        case .multipleChoice(let options, let low, let high):
            mc("MAVR", options)
            if low != 1 || high != options.count {
                validation([
                    ("Type", "ChoiceRange"), ("MinChoices", .string(String(low))),
                    ("MaxChoices", .string(String(high))),
                ])
            }
        case .checkbox(let options, let low, let high, let other):
            mc("MAVR", options + [other], textEntry: true)
            if low != 1 || high != options.count + 1 {
                validation([
                    ("Type", "ChoiceRange"), ("MinChoices", .string(String(low))),
                    ("MaxChoices", .string(String(high))),
                ])
            }
        case .numeric(let low, let high, let integer, let unit):
            p["QuestionType"] = "TE"
            p["Selector"] = "SL"
            var range = JSONObject()
            if let low { range["Min"] = .string(SurveyItem.format(low)) }
            if let high { range["Max"] = .string(SurveyItem.format(high)) }
            range["NumDecimals"] = integer ? "0" : ""
            validation([("Type", "ContentType"), ("ContentType", "ValidNumber"), ("ValidNumber", .object(range))])
            if let unit { notes.append("\(label): the unit \"\(unit)\" is not written; put it in the question text") }
        case .open:
            p["QuestionType"] = "TE"
            p["Selector"] = "ESTB"
        case .freeList(let maxItems, _):
            p["QuestionType"] = "TE"
            p["Selector"] = "FORM"
            let (choices, order) = Self.choices((1...maxItems).map(String.init))
            p["Choices"] = choices
            p["ChoiceOrder"] = order
        case .linearScale(let low, let high, let lowLabel, let highLabel):
            p["QuestionType"] = "Slider"
            p["Selector"] = "HSLIDER"
            let (choices, order) = Self.choices([""])
            p["Choices"] = choices
            p["ChoiceOrder"] = order
            p["Configuration"] = [
                "QuestionDescriptionOption": "UseText", "CSSliderMin": .integer(Int64(low)),
                "CSSliderMax": .integer(Int64(high)), "GridLines": .integer(Int64(min(high - low, 10))),
                "SnapToGrid": true, "NumDecimals": "0", "ShowValue": true,
            ]
            let labels = [lowLabel, highLabel].compactMap { $0 }
            if !labels.isEmpty {
                let (labelObject, _) = Self.choices(labels)
                p["Labels"] = labelObject
            }
            if (lowLabel == nil) != (highLabel == nil) {
                notes.append("\(label): one end label only; Qualtrics shows it at the left")
            }
        case .rank(let options):
            let (choices, order) = Self.choices(options.map { piped($0, label: label) })
            p["QuestionType"] = "RO"
            p["Selector"] = "DND"
            p["SubSelector"] = "TX"
            p["Choices"] = choices
            p["ChoiceOrder"] = order
        case .topK(let options, let k):
            let (choices, order) = Self.choices(options.map { piped($0, label: label) })
            p["QuestionType"] = "RO"
            p["Selector"] = "DND"
            p["SubSelector"] = "TX"
            p["Choices"] = choices
            p["ChoiceOrder"] = order
            notes.append("\(label): written as a full rank order; keep the first \(k) of each answer")
        case .matrix(let rows, let low, let high, let labels):
            let (choices, order) = Self.choices(rows.map { piped($0.text, label: label) })
            let (answers, answerOrder) = Self.choices(labels.isEmpty ? (low...high).map(String.init) : labels)
            p["QuestionType"] = "Matrix"
            p["Selector"] = "Likert"
            p["SubSelector"] = "SingleAnswer"
            p["Choices"] = choices
            p["ChoiceOrder"] = order
            p["Answers"] = answers
            p["AnswerOrder"] = answerOrder
            p["RecodeValues"] = .object(
                JSONObject((low...high).enumerated().map { (String($0.offset + 1), .string(String($0.element))) }))
            if rows.enumerated().contains(where: { $0.element.id != "r\($0.offset + 1)" }) {
                notes.append("\(label): row ids are not written; Qualtrics numbers the rows (r1, r2, …)")
            }
        case .constantSum(let options, let total):
            let (choices, order) = Self.choices(options.map { piped($0, label: label) })
            p["QuestionType"] = "CS"
            p["Selector"] = "VRTL"
            p["Choices"] = choices
            p["ChoiceOrder"] = order
            validation([("Type", "ChoicesTotal"), ("ChoiceTotal", .string(String(total)))])
        }
        return p
    }

    /// A QSF condition for a flow comparison, or `nil` when Qualtrics cannot express it.
    func logicCondition(_ expression: SurveyExpression, negated: Bool) -> JSONObject? {
        let flips: [SurveyExpression.Comparison: SurveyExpression.Comparison] = [
            .equal: .notEqual, .notEqual: .equal, .less: .greaterOrEqual, .greaterOrEqual: .less,
            .greater: .lessOrEqual, .lessOrEqual: .greater,
        ]
        let names: [SurveyExpression.Comparison: String] = [
            .equal: "EqualTo", .notEqual: "NotEqualTo", .less: "LessThan", .lessOrEqual: "LessThanOrEqual",
            .greater: "GreaterThan", .greaterOrEqual: "GreaterThanOrEqual",
        ]
        func choiceKey(_ item: SurveyItem, _ value: JSONValue) -> String? {
            switch item.answer {
            case .likert(let low, _, _):
                return value.intValue.map { String(Int($0) - low + 1) }
            default:
                guard let text = value.stringValue, let index = item.options.firstIndex(of: text) else { return nil }
                return String(index + 1)
            }
        }
        switch expression {
        case .not(let inner):
            return logicCondition(inner, negated: !negated)
        case .contains(.literal(let value), .reference(let r)) where r.source == .answers:
            guard let item = survey.items.first(where: { $0.id == r.path[0] }), let qid = qids[item.id],
                let key = choiceKey(item, value)
            else { return nil }
            let locator = "q://\(qid)/SelectableChoice/\(key)"
            return [
                "LogicType": "Question", "QuestionID": .string(qid), "QuestionIsInLoop": "no",
                "ChoiceLocator": .string(locator), "Operator": negated ? "NotSelected" : "Selected",
                "QuestionIDFromLocator": .string(qid), "LeftOperand": .string(locator), "Type": "Expression",
            ]
        case .compare(let op, .reference(let r), .literal(let value)):
            let comparison = negated ? (flips[op] ?? op) : op
            switch r.source {
            case .persona:
                let right = value.stringValue ?? SurveyItem.text(of: value)
                return [
                    "LogicType": "EmbeddedField", "LeftOperand": .string(r.path.joined(separator: ".")),
                    "Operator": .string(names[comparison] ?? ""), "RightOperand": .string(right), "Type": "Expression",
                ]
            case .answers:
                guard let item = survey.items.first(where: { $0.id == r.path[0] }), let qid = qids[item.id],
                    r.path.count == 1
                else { return nil }
                switch item.answer {
                case .numeric, .open:
                    let locator = "q://\(qid)/ChoiceTextEntryValue"
                    return [
                        "LogicType": "Question", "QuestionID": .string(qid), "QuestionIsInLoop": "no",
                        "ChoiceLocator": .string(locator), "Operator": .string(names[comparison] ?? ""),
                        "QuestionIDFromLocator": .string(qid), "LeftOperand": .string(locator),
                        "RightOperand": .string(SurveyItem.text(of: value)), "Type": "Expression",
                    ]
                case .singleChoice, .yesNo, .likert:
                    guard comparison == .equal || comparison == .notEqual, let key = choiceKey(item, value) else {
                        return nil
                    }
                    let locator = "q://\(qid)/SelectableChoice/\(key)"
                    return [
                        "LogicType": "Question", "QuestionID": .string(qid), "QuestionIsInLoop": "no",
                        "ChoiceLocator": .string(locator),
                        "Operator": comparison == .equal ? "Selected" : "NotSelected",
                        "QuestionIDFromLocator": .string(qid), "LeftOperand": .string(locator), "Type": "Expression",
                    ]
                default:
                    return nil
                }
            case .vars:
                return nil
            }
        default:
            return nil
        }
    }

    /// Flattens a chain of one connective (`and` or `or`; with negation, De Morgan's dual).
    func chain(_ expression: SurveyExpression, negated: Bool) -> (conditions: [JSONObject], conjunction: String)? {
        func leaves(_ e: SurveyExpression, _ isAnd: Bool) -> [SurveyExpression] {
            switch (e, isAnd) {
            case (.and(let a, let b), true), (.or(let a, let b), false): return leaves(a, isAnd) + leaves(b, isAnd)
            default: return [e]
            }
        }
        var e = expression
        var negate = negated
        while case .not(let inner) = e, case .and = inner {
            e = inner
            negate.toggle()
        }
        while case .not(let inner) = e, case .or = inner {
            e = inner
            negate.toggle()
        }
        let isAnd: Bool
        switch e {
        case .and: isAnd = true
        case .or: isAnd = false
        default:
            return logicCondition(e, negated: negate).map { ([$0], "And") }
        }
        var conditions: [JSONObject] = []
        for leaf in leaves(e, isAnd) {
            guard let condition = logicCondition(leaf, negated: negate) else { return nil }
            conditions.append(condition)
        }
        // not (a and b) = not a or not b
        return (conditions, (isAnd != negate) ? "And" : "Or")
    }

    mutating func displayLogic(_ item: SurveyItem, label: String) -> JSONValue? {
        var parts: [([JSONObject], String)] = []
        for (condition, negated, key) in [(item.showIf, false, "showIf"), (item.skipIf, true, "skipIf")] {
            guard let condition else { continue }
            guard let converted = chain(condition.expression, negated: negated) else {
                notes.append("\(label): \(key) \"\(condition.source)\" cannot be written as Qualtrics display logic")
                continue
            }
            parts.append(converted)
        }
        guard !parts.isEmpty else { return nil }
        if parts.count == 2, parts[0].1 != "And" || parts[1].1 != "And" {
            notes.append(
                "\(label): showIf and skipIf together need grouping Qualtrics display logic lacks; skipIf dropped")
            parts.removeLast()
        }
        let conjunction = parts[0].1
        var group = JSONObject()
        for (index, var condition) in parts.flatMap(\.0).enumerated() {
            if index > 0 { condition["Conjuction"] = .string(conjunction) }
            group[String(index)] = .object(condition)
        }
        group["Type"] = "If"
        return ["0": .object(group), "Type": "BooleanExpression", "inPage": false]
    }

    /// `stopIf` and branches that test the item's own choice, as skip logic.
    mutating func skipLogic(_ item: SurveyItem, label: String) -> [JSONValue] {
        var rules: [(SurveyCondition, String, String)] = []
        if let stop = item.stopIf { rules.append((stop, "ENDOFSURVEY", "stopIf")) }
        for rule in item.branch { rules.append((rule.condition, qids[rule.target] ?? "", "branch to \(rule.target)")) }
        var out: [JSONValue] = []
        for (condition, destination, key) in rules {
            guard let test = logicCondition(condition.expression, negated: false),
                test["QuestionID"]?.stringValue == qids[item.id],
                let op = test["Operator"]?.stringValue, op == "Selected" || op == "NotSelected"
            else {
                notes.append(
                    "\(label): \(key) \"\(condition.source)\" cannot be written as Qualtrics skip logic (only a choice of this question)"
                )
                continue
            }
            out.append([
                "SkipLogicID": .string("SL_\(out.count + 1)"), "ChoiceLocator": test["ChoiceLocator"] ?? .null,
                "Condition": .string(op), "SkipToDestination": .string(destination),
                "SkipToDescription": .string(destination == "ENDOFSURVEY" ? "End of Survey" : destination),
                "Description": .string(condition.source), "QuestionID": .string(qids[item.id] ?? ""),
            ])
        }
        return out
    }
}
