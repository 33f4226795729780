import Foundation
public import Runs
import Storage

/// A reference survey package (docs/fidelity.md, spec §F.1): the codebook `survey.json` and the
/// microdata `respondents.csv` of real people, validated and read into codes.
///
/// Answers are stored as option positions (`0..<K`, in scale order), `-1` for missing, in one flat
/// respondent-major array, so the metrics run over plain arrays.
public struct ReferenceSurvey: Sendable {
    /// The package id.
    public var id: String
    /// The title.
    public var title: String
    /// Where the data come from.
    public var source: String
    /// The licence line.
    public var licence: String
    /// Text shown before every question (e.g. the year), if any.
    public var context: String?
    /// The codes read as missing (besides codes outside a question's options).
    public var missing: [String]
    /// What a persona built from a respondent knows about itself.
    public var attributes: [ReferenceAttribute]
    /// The questions, in codebook order.
    public var questions: [ReferenceQuestion]
    /// Respondent ids (the id column, else the 1-based row number), in file order.
    public var respondentIDs: [String]
    /// Design weights (all 1 without a weight column).
    public var weights: [Double]
    /// Raw attribute codes, `attributeCodes[r][a]`, `nil` when missing.
    public var attributeCodes: [[String?]]
    /// Answer positions, `answers[r * questions.count + q]`, `-1` when missing.
    public var answers: [Int32]
    /// The folder the package was read from.
    public var folder: String

    /// The number of respondents.
    public var count: Int { respondentIDs.count }

    /// The answer position of respondent `r` to question `q` (`-1`: missing).
    public func answer(_ r: Int, _ q: Int) -> Int32 { answers[r * questions.count + q] }

    /// The index of the question with this id.
    public func questionIndex(_ id: String) -> Int? { questions.firstIndex { $0.id == id } }
}

/// One attribute column of a reference survey.
public struct ReferenceAttribute: Sendable, Hashable {
    /// How the column's codes are read.
    public enum ValueType: String, Sendable, Hashable {
        /// Whole numbers (binned at the quartiles for subgroups).
        case integer
        /// Numbers (binned at the quartiles for subgroups).
        case number
        /// Codes (one subgroup per code).
        case string
    }

    /// The CSV column.
    public var column: String
    /// The name a persona sees (`age`, `household income`).
    public var name: String
    /// How codes are read.
    public var type: ValueType
    /// Value labels, in the codebook's order.
    public var labels: [(code: String, label: String)]

    /// The text of `code`: its label, else the code as is.
    public func text(_ code: String) -> String { labels.first { $0.code == code }?.label ?? code }

    public static func == (a: Self, b: Self) -> Bool {
        a.column == b.column && a.name == b.name && a.type == b.type && a.labels.map(\.code) == b.labels.map(\.code)
            && a.labels.map(\.label) == b.labels.map(\.label)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(column)
        hasher.combine(name)
    }
}

/// One question of a reference survey.
public struct ReferenceQuestion: Sendable, Hashable {
    /// The CSV column.
    public var column: String
    /// The question id.
    public var id: String
    /// The wording.
    public var text: String
    /// Whether the options are ordered (`ordinal`) or not (`nominal`).
    public var ordinal: Bool
    /// Option codes, in scale order.
    public var codes: [String]
    /// Option labels, in the same order.
    public var labels: [String]

    /// K, the number of options.
    public var optionCount: Int { codes.count }
}

extension ReferenceSurvey {
    /// Reads and validates the package in `folder` (a folder holding `survey.json`, or the path of a
    /// `survey.json`). Nothing is written.
    ///
    /// - Throws: ``RunError`` (`invalidInput`) naming the file, the JSON path or CSV line and column,
    ///   and the fix; `io` when a file cannot be read.
    public static func load(_ path: String) throws(RunError) -> ReferenceSurvey {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw RunError(
                .io, "no reference package here; give a folder holding survey.json and respondents.csv", file: path)
        }
        let surveyFile =
            isFolder.boolValue ? URL(fileURLWithPath: path).appendingPathComponent("survey.json").path : path
        let folder = URL(fileURLWithPath: surveyFile).deletingLastPathComponent().path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: surveyFile))
        } catch {
            throw RunError(.io, "cannot read the codebook; a package needs survey.json", file: surveyFile)
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(data)
        } catch {
            throw RunError(
                .invalidInput, "not valid JSON: \(error.message)", file: surveyFile,
                path: "line \(error.line), column \(error.column)")
        }
        let codebook = try Codebook(json, file: surveyFile)
        let csvFile = URL(fileURLWithPath: folder).appendingPathComponent(codebook.data).path
        let text: String
        do {
            text = try String(contentsOfFile: csvFile, encoding: .utf8)
        } catch {
            throw RunError(
                .io, "cannot read the data file named by \"data\"; put it next to survey.json", file: csvFile)
        }
        let table = try CSVTable.parse(text, file: csvFile)
        return try codebook.survey(table, csvFile: csvFile, folder: folder)
    }
}

/// survey.json, validated, before the data are read.
struct Codebook {
    var id: String
    var title: String
    var source: String
    var licence: String
    var data: String
    var idColumn: String?
    var weightColumn: String?
    var missing: [String]
    var context: String?
    var attributes: [(ReferenceAttribute, path: String)]
    var questions: [(ReferenceQuestion, path: String)]
    var file: String

    init(_ json: JSONValue, file: String) throws(RunError) {
        let root = JSONPathReader<RunError>(json, file: file)
        try root.allowOnly([
            "version", "id", "title", "source", "licence", "data", "idColumn", "weightColumn", "missing", "context",
            "notes", "attributes", "questions",
        ])
        let version = try root.int("version")
        guard version == 1 else { throw root.fail("version", "unsupported version \(version); write 1") }
        id = try root.nonEmptyString("id")
        title = try root.optionalString("title") ?? id
        source = try root.optionalString("source") ?? ""
        licence = try root.optionalString("licence") ?? ""
        data = try root.optionalString("data") ?? "respondents.csv"
        idColumn = try root.optionalString("idColumn")
        weightColumn = try root.optionalString("weightColumn")
        missing = try root.has("missing") ? root.strings("missing") : [""]
        context = try root.optionalString("context")
        self.file = file
        var attributes: [(ReferenceAttribute, String)] = []
        var names: [String: String] = [:]
        for a in try root.readers("attributes") {
            try a.allowOnly(["column", "name", "type", "labels"])
            let column = try a.nonEmptyString("column")
            let name = try a.optionalString("name") ?? column
            if let earlier = names[name] {
                throw a.fail(
                    "name", "duplicate attribute name \"\(name)\" (also at \(earlier)); give each a distinct name")
            }
            names[name] = a.path
            let typeText = try a.optionalString("type") ?? "string"
            guard let type = ReferenceAttribute.ValueType(rawValue: typeText) else {
                throw a.fail("type", "unknown type \"\(typeText)\"; use integer, number or string")
            }
            var labels: [(code: String, label: String)] = []
            if let l = try a.optionalReader("labels") {
                for (code, reader) in try l.members() { labels.append((code, try reader.string())) }
            }
            attributes.append(
                (
                    ReferenceAttribute(
                        column: column, name: name, type: labels.isEmpty ? type : .string, labels: labels), a.path
                ))
        }
        self.attributes = attributes
        var questions: [(ReferenceQuestion, String)] = []
        var ids: [String: String] = [:]
        let questionReaders = try root.readers("questions")
        guard !questionReaders.isEmpty else {
            throw root.fail("questions", "no questions; add at least one {column, id, text, scale, options}")
        }
        for q in questionReaders {
            try q.allowOnly(["column", "id", "text", "scale", "options"])
            let column = try q.nonEmptyString("column")
            let id = try q.nonEmptyString("id")
            if let earlier = ids[id] {
                throw q.fail(
                    "id", "duplicate question id \"\(id)\" (also at \(earlier)); give each question its own id")
            }
            ids[id] = q.path
            let scale = try q.string("scale")
            guard scale == "ordinal" || scale == "nominal" else {
                throw q.fail("scale", "unknown scale \"\(scale)\"; use ordinal (options in scale order) or nominal")
            }
            let options = try q.readers("options")
            guard options.count >= 2 else {
                throw q.fail("options", "a question needs at least 2 options, found \(options.count); add the options")
            }
            var codes: [String] = []
            var labels: [String] = []
            for o in options {
                try o.allowOnly(["code", "label"])
                let code = try Self.code(o)
                if codes.contains(code) {
                    throw o.fail("code", "option code \"\(code)\" is repeated; each option needs its own code")
                }
                let label = try o.nonEmptyString("label")
                if labels.contains(label) {
                    throw o.fail("label", "option label \"\(label)\" is repeated; each option needs its own label")
                }
                codes.append(code)
                labels.append(label)
            }
            questions.append(
                (
                    ReferenceQuestion(
                        column: column, id: id, text: try q.nonEmptyString("text"), ordinal: scale == "ordinal",
                        codes: codes, labels: labels), q.path
                ))
        }
        self.questions = questions
    }

    /// An option code: a string, or a whole number written as one.
    static func code(_ o: JSONPathReader<RunError>) throws(RunError) -> String {
        let reader = try o.required("code")
        if case .integer(let n) = reader.value { return String(n) }
        return try reader.string()
    }

    func survey(_ table: CSVTable, csvFile: String, folder: String) throws(RunError) -> ReferenceSurvey {
        let root = JSONPathReader<RunError>(.null, file: file)
        var columnIndex: [String: Int] = [:]
        for (i, name) in table.header.enumerated() {
            if columnIndex[name] != nil {
                throw RunError(
                    .invalidInput, "column \"\(name)\" appears twice in the header; rename one", file: csvFile,
                    path: "line 1, column \(i + 1)")
            }
            columnIndex[name] = i
        }
        let known = table.header.joined(separator: ", ")
        func column(_ name: String, _ path: String) throws(RunError) -> Int {
            guard let i = columnIndex[name] else {
                throw RunError(
                    .invalidInput,
                    "unknown column \"\(name)\": \(URL(fileURLWithPath: csvFile).lastPathComponent) has \(known); fix the column name",
                    file: file, path: path)
            }
            return i
        }
        let idIndex = try idColumn.map { c throws(RunError) in try column(c, root.childPath("idColumn")) }
        let weightIndex = try weightColumn.map { c throws(RunError) in try column(c, root.childPath("weightColumn")) }
        let attributeIndex = try attributes.map { a throws(RunError) in try column(a.0.column, a.path + ".column") }
        let questionIndex = try questions.map { q throws(RunError) in try column(q.0.column, q.path + ".column") }
        let missingSet = Set(missing)
        var ids: [String] = []
        var weights: [Double] = []
        var attributeCodes: [[String?]] = []
        var answers: [Int32] = []
        ids.reserveCapacity(table.rows.count)
        answers.reserveCapacity(table.rows.count * questions.count)
        var seen: [String: Int] = [:]
        let positions = questions.map { q in
            Dictionary(uniqueKeysWithValues: q.0.codes.enumerated().map { ($0.element, Int32($0.offset)) })
        }
        for (r, row) in table.rows.enumerated() {
            let line = table.lines[r]
            let id = idIndex.map { row[$0] } ?? String(r + 1)
            if let idIndex {
                guard !id.isEmpty else {
                    throw RunError(
                        .invalidInput, "empty respondent id; give every row an id", file: csvFile,
                        path: "line \(line), column \(idIndex + 1)")
                }
                if let earlier = seen[id] {
                    throw RunError(
                        .invalidInput,
                        "duplicate respondent id \"\(id)\" (also on line \(earlier)); ids must be unique",
                        file: csvFile, path: "line \(line), column \(idIndex + 1)")
                }
                seen[id] = line
            }
            ids.append(id)
            if let weightIndex {
                let text = row[weightIndex].trimmingCharacters(in: .whitespaces)
                guard let w = Double(text), w.isFinite, w > 0 else {
                    throw RunError(
                        .invalidInput,
                        "weight \"\(text)\" is not a positive number; design weights must be > 0 (drop the row or fix the weight)",
                        file: csvFile, path: "line \(line), column \(weightIndex + 1)")
                }
                weights.append(w)
            } else {
                weights.append(1)
            }
            var codes: [String?] = []
            for (a, index) in attributeIndex.enumerated() {
                let code = row[index]
                if missingSet.contains(code) {
                    codes.append(nil)
                    continue
                }
                if attributes[a].0.type != .string, Double(code.trimmingCharacters(in: .whitespaces)) == nil {
                    throw RunError(
                        .invalidInput,
                        "\"\(code)\" is not a number but attribute \"\(attributes[a].0.name)\" has type \(attributes[a].0.type.rawValue); fix the cell, list the code in \"missing\", or make the type string",
                        file: csvFile, path: "line \(line), column \(index + 1)")
                }
                codes.append(code)
            }
            attributeCodes.append(codes)
            for (q, index) in questionIndex.enumerated() {
                answers.append(positions[q][row[index]] ?? -1)
            }
        }
        guard !ids.isEmpty else {
            throw RunError(.invalidInput, "no respondents; add one row per respondent below the header", file: csvFile)
        }
        return ReferenceSurvey(
            id: id, title: title, source: source, licence: licence, context: context, missing: missing,
            attributes: attributes.map(\.0), questions: questions.map(\.0), respondentIDs: ids, weights: weights,
            attributeCodes: attributeCodes, answers: answers, folder: folder)
    }
}
