import Foundation
public import Storage

/// `agora fidelity baseline PACKAGE`: the reference points of a package alone, with no model.
public enum FidelityBaseline {
    /// The `fidelity` object of a reference package with only its reference points (and the
    /// demographic baseline's subgroups).
    public static func run(package: String, settings: FidelitySettings = FidelitySettings()) async throws -> JSONValue {
        let survey = try ReferenceSurvey.load(package)
        let subject = FidelitySubject(survey: survey)
        let references = await ReferencePoints.all(subject, settings: settings)
        return FidelityResults.json(
            subject: subject, simulated: nil, failed: nil, pattern: nil, references: references, settings: settings,
            sampling: ["mode": "none", "respondents": .integer(Int64(survey.count))])
    }

    /// A plain-text table of the overall figures of `fidelity` (a run's or a baseline's).
    public static func table(_ fidelity: JSONValue) -> [String] {
        var rows: [(String, JSONValue)] = []
        if let overall = fidelity["overall"] { rows.append(("simulation", overall)) }
        for name in ["uniform", "majority", "demographic", "splitHalf"] {
            if let o = fidelity["referencePoints"]?[name]?["overall"] { rows.append((name, o)) }
        }
        func cell(_ v: JSONValue?) -> String {
            guard let x = v?["value"]?.doubleValue else {
                return "null".padding(toLength: 30, withPad: " ", startingAt: 0)
            }
            var text = String(format: "%.3f", x)
            if let lo = v?["low"]?.doubleValue, let hi = v?["high"]?.doubleValue {
                text += String(format: " [%.3f, %.3f]", lo, hi)
            }
            return text.padding(toLength: 30, withPad: " ", startingAt: 0)
        }
        var lines = [
            "figure".padding(toLength: 13, withPad: " ", startingAt: 0)
                + ["representativeness", "SimBench score", "accuracy", "n"].map {
                    $0.padding(toLength: 30, withPad: " ", startingAt: 0)
                }.joined()
        ]
        for (name, o) in rows {
            lines.append(
                name.padding(toLength: 13, withPad: " ", startingAt: 0) + cell(o["representativeness"]?["all"])
                    + cell(o["simbench"]) + cell(o["accuracy"]) + (o["n"].map { RunReportText.text($0) } ?? ""))
        }
        return lines
    }
}

/// A JSON scalar as table text.
enum RunReportText {
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .integer(let n): String(n)
        case .number(let x): String(x)
        case .string(let s): s
        default: value.serialized()
        }
    }
}
