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
        if !importer.shuffled.isEmpty { survey["randomizeOptions"] = true }
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
