import Foundation
import Runs
import Storage

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
        if survey.instructions != SurveySpec.defaultInstructions {
            notes.append(
                "instructions: not written (they address a simulated respondent); put what people need in the first descriptive text"
            )
        }
        if survey.memory != .none {
            notes.append("memory: real respondents see their earlier answers as Qualtrics shows them; not written")
        }
        for item in survey.items {
            let qid = qids[item.id] ?? ""
            let label = "\(item.id) (\(item.typeName))"
            var payload = payload(item, label: label)
            if survey.randomizeOptions, item.shufflesOptions, !(payload["Choices"]?.objectValue?.keys.isEmpty ?? true) {
                payload["Randomization"] = ["Advanced": .null, "Type": "All", "TotalRandSubset": ""]
            }
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
