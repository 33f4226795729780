import Foundation
import Population
import Runs
import Storage

/// Reading the `survey` section of a scenario (docs/scenarios.md): items of every type, flow rules,
/// templates, stimuli, and the survey's answer `memory`.
extension Scenario {
    static func parseSurvey(_ reader: JSONPathReader<RunError>) throws(RunError) -> SurveySpec {
        try reader.allowOnly(["instructions", "context", "randomizeOptions", "items", "stimuli"])
        var items: [SurveyItem] = []
        let readers = try reader.readers("items")
        guard !readers.isEmpty else { throw reader.fail("items", "empty; add at least one item") }
        for item in readers {
            let parsed = try parseItem(item)
            if items.contains(where: { $0.id == parsed.id }) {
                throw item.fail("id", "duplicate item id \"\(parsed.id)\"; ids name CSV columns and must be unique")
            }
            items.append(parsed)
        }
        var survey = SurveySpec(
            instructions: try reader.optionalString("instructions") ?? SurveySpec.defaultInstructions,
            context: try reader.optionalString("context"),
            randomizeOptions: try reader.optionalBool("randomizeOptions") ?? false,
            items: items)
        if let stimuli = try reader.optionalReader("stimuli") {
            survey.stimuli = try parseStimuli(stimuli)
        }
        try checkReferences(reader, survey: survey, readers: readers)
        return survey
    }

    /// Keys every item takes.
    static let commonItemKeys = ["id", "type", "question", "skipIf", "showIf", "stopIf", "branch"]

    /// The keys of each type (besides ``commonItemKeys``).
    static let typeKeys: [String: [String]] = [
        "likert": ["scale"],
        "single-choice": ["options"],
        "multiple-choice": ["options", "minSelections", "maxSelections"],
        "numeric": ["min", "max", "integer", "unit"],
        "open": ["maxLength"],
        "yes-no": [],
        "linear-scale": ["min", "max", "minLabel", "maxLabel"],
        "rank": ["options"],
        "top-k": ["options", "k"],
        "matrix": ["rows", "scale"],
        "constant-sum": ["options", "total"],
        "checkbox": ["options", "minSelections", "maxSelections", "other"],
        "free-list": ["maxItems", "maxLength"],
    ]

    static func parseItem(_ item: JSONPathReader<RunError>) throws(RunError) -> SurveyItem {
        let id = try item.nonEmptyString("id")
        guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw item.fail("id", "\"\(id)\": use letters, digits, _ and - only (it names a CSV column)")
        }
        let question = try item.nonEmptyString("question")
        let type = try item.string("type")
        guard let ownKeys = typeKeys[type] else {
            let hint = Spelling.closest(to: type, in: SurveyItem.typeNames).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw item.fail(
                "type",
                "unknown item type \"\(type)\"\(hint); use one of \(SurveyItem.typeNames.joined(separator: ", "))")
        }
        let allKeys = SurveyItem.typeNames.flatMap { typeKeys[$0] ?? [] }
        for key in item.keys where allKeys.contains(key) && !ownKeys.contains(key) {
            let owners = SurveyItem.typeNames.filter { typeKeys[$0]?.contains(key) == true }
            throw item.fail(
                key, "a \(type) item does not take \(key) (\(owners.joined(separator: ", ")) items do); remove it")
        }
        try item.allowOnly(commonItemKeys + ownKeys)
        func options(minimum: Int = 2) throws(RunError) -> [String] {
            guard item.has("options") else {
                throw item.fail("options", "a \(type) item needs \"options\": [\"…\", \"…\"]")
            }
            let list = try item.strings("options")
            guard list.count >= minimum else { throw item.fail("options", "give at least \(minimum) options") }
            for (index, option) in list.enumerated() where list[..<index].contains(option) || option.isEmpty {
                throw RunError(
                    .invalidInput, option.isEmpty ? "an empty option" : "duplicate option \"\(option)\"",
                    file: item.file, path: "\(item.childPath("options"))[\(index)]")
            }
            return list
        }
        func scale(_ reader: JSONPathReader<RunError>) throws(RunError) -> (Int, Int, [String]) {
            try reader.allowOnly(["min", "max", "labels"])
            let low = try reader.int("min", range: -100...100)
            let high = try reader.int("max", range: -100...100)
            guard high > low, high - low <= 20 else {
                throw reader.fail("max", "the scale needs max > min and at most 21 points")
            }
            let labels = reader.has("labels") ? try reader.strings("labels") : []
            if !labels.isEmpty, labels.count != high - low + 1 {
                throw reader.fail("labels", "give one label per point: \(high - low + 1) labels, found \(labels.count)")
            }
            return (low, high, labels)
        }
        func selections(_ count: Int) throws(RunError) -> (Int, Int) {
            let low = try item.optionalInt("minSelections", range: 0...count) ?? 1
            let high = try item.optionalInt("maxSelections", range: 1...count) ?? count
            guard low <= high else { throw item.fail("maxSelections", "must be at least minSelections (\(low))") }
            return (low, high)
        }
        let answer: SurveyItem.Answer
        switch type {
        case "likert":
            guard item.has("scale") else {
                throw item.fail(
                    "scale",
                    "a Likert item needs a scale; add \"scale\": {\"min\": 1, \"max\": 5, \"labels\": [\"Strongly disagree\", …, \"Strongly agree\"]}"
                )
            }
            let (low, high, labels) = try scale(try item.reader("scale"))
            answer = .likert(min: low, max: high, labels: labels)
        case "single-choice":
            answer = .singleChoice(options: try options())
        case "multiple-choice":
            let list = try options()
            let (low, high) = try selections(list.count)
            answer = .multipleChoice(options: list, minSelections: low, maxSelections: high)
        case "numeric":
            let low = try item.optionalDouble("min")
            let high = try item.optionalDouble("max")
            if let low, let high, high < low { throw item.fail("max", "must be at least min (\(low))") }
            answer = .numeric(
                min: low, max: high, integer: try item.optionalBool("integer") ?? false,
                unit: try item.optionalString("unit"))
        case "open":
            answer = .open(maxLength: try item.optionalInt("maxLength", range: 1...10_000) ?? 400)
        case "yes-no":
            answer = .yesNo
        case "linear-scale":
            let low = try item.optionalInt("min", range: -100...100) ?? 0
            let high = try item.optionalInt("max", range: -100...100) ?? 10
            guard high > low, high - low <= 100 else {
                throw item.fail("max", "the scale needs max > min and at most 101 points")
            }
            answer = .linearScale(
                min: low, max: high, minLabel: try item.optionalString("minLabel"),
                maxLabel: try item.optionalString("maxLabel"))
        case "rank":
            answer = .rank(options: try options())
        case "top-k":
            let list = try options()
            guard item.has("k") else { throw item.fail("k", "a top-k item needs \"k\": how many options to pick") }
            let k = try item.int("k", range: 1...list.count)
            answer = .topK(options: list, k: k)
        case "matrix":
            guard item.has("rows") else {
                throw item.fail("rows", "a matrix needs \"rows\": [{\"id\": \"taste\", \"text\": \"Taste\"}, …]")
            }
            var rows: [MatrixRow] = []
            for (index, row) in try item.elements("rows").enumerated() {
                let parsed: MatrixRow
                if let text = row.value.stringValue {
                    guard !text.isEmpty else { throw row.fail("an empty row; write its text") }
                    parsed = MatrixRow(id: "r\(index + 1)", text: text)
                } else {
                    try row.allowOnly(["id", "text"])
                    parsed = MatrixRow(id: try row.nonEmptyString("id"), text: try row.nonEmptyString("text"))
                    guard parsed.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
                    else { throw row.fail("id", "\"\(parsed.id)\": use letters, digits, _ and - only") }
                }
                if rows.contains(where: { $0.id == parsed.id }) {
                    throw row.fail("duplicate row id \"\(parsed.id)\"; row ids name CSV columns")
                }
                rows.append(parsed)
            }
            guard !rows.isEmpty else { throw item.fail("rows", "empty; add at least one row") }
            guard item.has("scale") else {
                throw item.fail("scale", "a matrix needs \"scale\": {\"min\": 1, \"max\": 5, \"labels\": [ … ]}")
            }
            let (low, high, labels) = try scale(try item.reader("scale"))
            answer = .matrix(rows: rows, min: low, max: high, labels: labels)
        case "constant-sum":
            let list = try options()
            answer = .constantSum(options: list, total: try item.optionalInt("total", range: 1...1_000_000) ?? 100)
        case "checkbox":
            let list = try options(minimum: 1)
            let other = try item.optionalString("other") ?? "Other (specify)"
            guard !other.isEmpty, !list.contains(other) else {
                throw item.fail("other", "the \"other\" label must be non-empty and differ from the options")
            }
            let (low, high) = try selections(list.count + 1)
            answer = .checkbox(options: list, minSelections: low, maxSelections: high, other: other)
        default:  // "free-list"
            answer = .freeList(
                maxItems: try item.optionalInt("maxItems", range: 1...50) ?? 5,
                maxLength: try item.optionalInt("maxLength", range: 1...1000) ?? 60)
        }
        var parsed = SurveyItem(id: id, question: question, answer: answer)
        parsed.skipIf = try condition(item, "skipIf")
        parsed.showIf = try condition(item, "showIf")
        parsed.stopIf = try condition(item, "stopIf")
        if item.has("branch") {
            for rule in try item.readers("branch") {
                try rule.allowOnly(["if", "to"])
                guard let test = try condition(rule, "if") else {
                    throw rule.fail("if", "missing; add \"if\": \"answers.ID == 'value'\"")
                }
                parsed.branch.append(SurveyBranch(condition: test, target: try rule.nonEmptyString("to")))
            }
        }
        return parsed
    }

    /// Parses a condition at `key`, naming the JSON path and the character of a syntax error.
    static func condition(_ reader: JSONPathReader<RunError>, _ key: String) throws(RunError) -> SurveyCondition? {
        guard reader.has(key) else { return nil }
        let text = try reader.nonEmptyString(key)
        do {
            return try SurveyCondition(text)
        } catch {
            throw reader.fail(key, "\(error.message) (at character \(error.offset + 1) of \"\(text)\")")
        }
    }

    /// `"stimuli": {"design": "between" | "within", "vars": [{"id": "a", "NAME": value, …}, …]}`.
    static func parseStimuli(_ reader: JSONPathReader<RunError>) throws(RunError) -> SurveyStimuli {
        try reader.allowOnly(["design", "vars"])
        let designName = try reader.optionalString("design") ?? "between"
        guard let design = SurveyStimuli.Design(rawValue: designName) else {
            throw reader.fail("design", "\"\(designName)\": use \"between\" (one stimulus each) or \"within\" (all)")
        }
        var rows: [SurveyStimuli.Row] = []
        for row in try reader.readers("vars") {
            let object = try row.object()
            let id = try row.nonEmptyString("id")
            guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw row.fail("id", "\"\(id)\": use letters, digits, _ and - only (it names CSV columns)")
            }
            if rows.contains(where: { $0.id == id }) { throw row.fail("id", "duplicate stimulus id \"\(id)\"") }
            if let first = rows.first {
                let expected = first.vars.keys
                guard object.keys == expected else {
                    throw row.fail(
                        "give the same variables, in the same order, as the first row: \(expected.joined(separator: ", "))"
                    )
                }
            }
            rows.append(.init(id: id, vars: object))
        }
        guard !rows.isEmpty else { throw reader.fail("vars", "empty; add at least one stimulus {\"id\": …}") }
        return SurveyStimuli(design: design, rows: rows)
    }

    /// Every template and condition refers to an earlier item (or, after asking, the item itself),
    /// a matrix row that exists, or a stimulus variable; branch targets are later items.
    static func checkReferences(
        _ reader: JSONPathReader<RunError>, survey: SurveySpec, readers: [JSONPathReader<RunError>]
    ) throws(RunError) {
        let names = survey.stimuli?.names ?? []
        func check(_ references: [SurveyReference], at path: String, upTo limit: Int, what: String) throws(RunError) {
            for reference in references {
                switch reference.source {
                case .vars:
                    guard names.contains(reference.path[0]) else {
                        let known =
                            names.isEmpty
                            ? "the survey has no stimuli; add \"stimuli\": {\"vars\": [ … ]}"
                            : "the variables are \(names.joined(separator: ", "))"
                        throw RunError(
                            .invalidInput, "\(what) refers to the unknown variable \(reference.text); \(known)",
                            file: reader.file, path: path)
                    }
                case .answers:
                    let id = reference.path[0]
                    guard let index = survey.index(of: id) else {
                        let hint =
                            Spelling.closest(to: id, in: survey.items.map(\.id)).map { " (did you mean \"\($0)\"?)" }
                            ?? ""
                        throw RunError(
                            .invalidInput, "\(what) refers to the unknown item \(reference.text)\(hint)",
                            file: reader.file, path: path)
                    }
                    guard index <= limit else {
                        throw RunError(
                            .invalidInput,
                            "\(what) refers to \(reference.text), which is asked later; refer only to earlier items",
                            file: reader.file, path: path)
                    }
                    if reference.path.count > 1, case .matrix(let rows, _, _, _) = survey.items[index].answer,
                        !rows.contains(where: { $0.id == reference.path[1] })
                    {
                        throw RunError(
                            .invalidInput,
                            "\(what) refers to \(reference.text); the rows of \(id) are \(rows.map(\.id).joined(separator: ", "))",
                            file: reader.file, path: path)
                    }
                case .persona:
                    break  // checked against the population when the run is planned
                }
            }
        }
        func template(_ text: String, at path: String, upTo limit: Int) throws(RunError) {
            guard text.contains("{{") else { return }
            let parsed: SurveyTemplate
            do {
                parsed = try SurveyTemplate(text)
            } catch {
                throw RunError(.invalidInput, error.message, file: reader.file, path: path)
            }
            try check(parsed.references, at: path, upTo: limit, what: "the text")
        }
        if let context = survey.context {
            try template(context, at: reader.childPath("context"), upTo: survey.items.count - 1)
        }
        for (index, item) in survey.items.enumerated() {
            let itemReader = readers[index]
            try template(item.question, at: itemReader.childPath("question"), upTo: index - 1)
            for (o, option) in item.options.enumerated() {
                try template(option, at: "\(itemReader.childPath("options"))[\(o)]", upTo: index - 1)
            }
            if case .matrix(let rows, _, _, _) = item.answer {
                for (r, row) in rows.enumerated() {
                    try template(row.text, at: "\(itemReader.childPath("rows"))[\(r)]", upTo: index - 1)
                }
            }
            for (key, condition, limit) in [
                ("skipIf", item.skipIf, index - 1), ("showIf", item.showIf, index - 1), ("stopIf", item.stopIf, index),
            ] {
                if let condition {
                    try check(condition.references, at: itemReader.childPath(key), upTo: limit, what: key)
                }
            }
            for (b, rule) in item.branch.enumerated() {
                let path = "\(itemReader.childPath("branch"))[\(b)]"
                try check(rule.condition.references, at: path + ".if", upTo: index, what: "the branch")
                guard let target = survey.index(of: rule.target) else {
                    let hint =
                        Spelling.closest(to: rule.target, in: survey.items.map(\.id)).map {
                            " (did you mean \"\($0)\"?)"
                        }
                        ?? ""
                    throw RunError(
                        .invalidInput, "no item \"\(rule.target)\" to branch to\(hint)", file: reader.file,
                        path: path + ".to")
                }
                guard target > index else {
                    throw RunError(
                        .invalidInput,
                        "branches go forward: \"\(rule.target)\" is not after \"\(item.id)\"; use a later item (or stopIf to end)",
                        file: reader.file, path: path + ".to")
                }
            }
        }
    }

    /// The survey's `"memory"`: `"none"` | `"full"` | `{"lagged": k}` | `{"targeted": {"ID": ["ID", …]}}`.
    static func parseSurveyMemory(_ root: JSONPathReader<RunError>, survey: SurveySpec) throws(RunError)
        -> SurveyMemory
    {
        guard root.has("memory") else { return .none }
        let hint =
            "use \"none\", \"full\", {\"lagged\": K} or {\"targeted\": {\"ITEM\": [\"EARLIER_ITEM\", …]}}"
        if root["memory"]?.value.stringValue != nil {
            switch try root.string("memory") {
            case "none": return .none
            case "full": return .full
            case let other: throw root.fail("memory", "\"\(other)\" is not a survey memory; \(hint)")
            }
        }
        let reader = try root.reader("memory")
        let conversational = ["type", "schema", "budgetTokens", "updateEvery", "window", "recall"]
        if let key = reader.keys.first(where: { conversational.contains($0) }) {
            throw root.fail(
                "memory",
                "\"\(key)\" configures PersonaTree memory, which applies to interview, focus-group and brainstorm; a survey's memory is its answer memory — remove it, or \(hint)"
            )
        }
        guard reader.keys.count == 1 else { throw reader.fail("give exactly one of lagged, targeted; \(hint)") }
        try reader.allowOnly(["lagged", "targeted"])
        if reader.has("lagged") {
            return .lagged(try reader.int("lagged", range: 1...1000))
        }
        let targeted = try reader.reader("targeted")
        var table: [String: [String]] = [:]
        for (key, list) in try targeted.members() {
            guard let index = survey.index(of: key) else {
                throw targeted.fail(key, "no item \"\(key)\"; the keys are the items that see earlier answers")
            }
            var ids: [String] = []
            for (position, element) in try list.elements().enumerated() {
                let id = try element.string()
                guard let earlier = survey.index(of: id), earlier < index else {
                    throw RunError(
                        .invalidInput, "\"\(id)\" is not an item asked before \"\(key)\"", file: reader.file,
                        path: "\(targeted.childPath(key))[\(position)]")
                }
                ids.append(id)
            }
            table[key] = ids
        }
        return .targeted(table)
    }
}

extension ScenarioRunKind {
    /// Every `persona.ATTR` a survey's conditions and templates read must be an attribute of some
    /// persona (or `id`, `name`): a typo would silently read null for everyone.
    static func checkPersonaReferences(_ scenario: Scenario, personas: [Persona]) throws(RunError) {
        try checkPersonaReferences(scenario, attributes: attributeKeys(personas))
    }

    /// The attributes of `personas`, first seen first.
    static func attributeKeys(_ personas: [Persona]) -> [String] {
        var known: [String] = []
        for persona in personas {
            for key in persona.attributes.keys where !known.contains(key) { known.append(key) }
        }
        return known
    }

    /// ``checkPersonaReferences(_:personas:)`` given the population's attributes, first seen first.
    static func checkPersonaReferences(_ scenario: Scenario, attributes known: [String]) throws(RunError) {
        guard let survey = scenario.survey else { return }
        var uses: [(SurveyReference, String)] = []
        func add(_ text: String?, _ path: String) {
            guard let text, text.contains("{{"), let template = try? SurveyTemplate(text) else { return }
            uses += template.references.map { ($0, path) }
        }
        add(survey.context, "$.survey.context")
        for (index, item) in survey.items.enumerated() {
            let path = "$.survey.items[\(index)]"
            add(item.question, path + ".question")
            for option in item.options { add(option, path + ".options") }
            for (key, condition) in [("skipIf", item.skipIf), ("showIf", item.showIf), ("stopIf", item.stopIf)] {
                uses += (condition?.references ?? []).map { ($0, "\(path).\(key)") }
            }
            for (b, rule) in item.branch.enumerated() {
                uses += rule.condition.references.map { ($0, "\(path).branch[\(b)].if") }
            }
        }
        for (reference, path) in uses where reference.source == .persona {
            let name = reference.path[0]
            guard !known.contains(name), name != "id", name != "name" else { continue }
            let hint = Spelling.closest(to: name, in: known).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw RunError(
                .invalidInput,
                "no persona has the attribute \"\(name)\"\(hint); the attributes are \(known.prefix(20).joined(separator: ", "))",
                file: scenario.file, path: path)
        }
    }
}
