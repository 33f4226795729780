import Foundation
import Population
import Runs
public import Storage

extension ToolTaskRunner {
    /// A trial result with the population persona its user carried: `userPersona` (the id) and
    /// `userAttributes` (the attributes as read). Unchanged without a persona.
    static func withUserPersona(_ result: JSONValue, _ persona: Persona?) -> JSONValue {
        guard let persona, case .object(var object) = result else { return result }
        object["userPersona"] = .string(persona.id)
        object["userAttributes"] = .object(persona.attributes)
        return .object(object)
    }

    /// The breakdown key of a persona attribute (`age_band=25-34`; `age_band=(none)` when missing).
    public static func breakdownKey(_ attribute: String, in attributes: JSONObject) -> String {
        let value = attributes[attribute].map { $0.stringValue ?? CanonicalJSON.string($0) } ?? "(none)"
        return attribute + "=" + value
    }

    /// `results.json` with `summary.byPersonaAttribute` added when the run names attributes
    /// (`config.splitBy`): for each attribute, in the order named, the pass rates per value of the
    /// population persona each trial's user carried (`trials[].userAttributes`), computed with
    /// ``PassMetrics``' grouping; a trial whose persona lacks the attribute (or has none) counts as
    /// `attribute=(none)`. Results without `splitBy` are returned unchanged.
    ///
    /// A pure function of `results`, so whatever writes `results.json` from the store can apply it.
    public static func addingAttributeBreakdown(_ results: JSONValue) -> JSONValue {
        let attributes = results["config"]?["splitBy"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard !attributes.isEmpty, case .object(var object) = results, case .object(var summary)? = results["summary"]
        else {
            return results
        }
        var records: [TrialRecord] = []
        for t in results["trials"]?.arrayValue ?? [] {
            let person = t["userAttributes"]?.objectValue ?? JSONObject()
            records.append(
                TrialRecord(
                    taskID: t["task"]?.stringValue ?? "", trial: Int(t["trial"]?.intValue ?? 0),
                    personaLevels: attributes.map { breakdownKey($0, in: person) },
                    termination: EpisodeTermination(rawValue: t["termination"]?.stringValue ?? "") ?? .infraError,
                    reward: t["reward"]?.doubleValue ?? 0, needsJudge: t["eval"]?["needsJudge"]?.boolValue ?? false))
        }
        let groups = PassMetrics.summary(records)["byPersonaLevel"]?.arrayValue ?? []
        summary["byPersonaAttribute"] = .array(
            attributes.map { attribute in
                .object(
                    JSONObject([
                        ("attribute", .string(attribute)),
                        (
                            "groups",
                            .array(groups.filter { $0["key"]?.stringValue?.hasPrefix(attribute + "=") == true })
                        ),
                    ]))
            })
        object["summary"] = .object(summary)
        return .object(object)
    }

    /// The `report.md` sections for population personas and the judge, appended after the main report:
    /// a table per `splitBy` attribute, and each NL assertion a judge did not find met (or failed on).
    /// Empty when the run has neither.
    public static func judgeAndPopulationMarkdown(_ results: JSONValue) -> String {
        var md = ""
        for attribute in results["summary"]?["byPersonaAttribute"]?.arrayValue ?? [] {
            md += "\n## By persona attribute `\(attribute["attribute"]?.stringValue ?? "")`\n\n"
            md += "| value | trials | pass rate |\n|---|---|---|\n"
            for g in attribute["groups"]?.arrayValue ?? [] {
                let rate = String(format: "%.2f", g["passRate"]?.doubleValue ?? 0)
                md += "| \(g["key"]?.stringValue ?? "") | \(g["trials"]?.intValue ?? 0) | \(rate) |\n"
            }
        }
        var unmet: [String] = []
        for t in results["trials"]?.arrayValue ?? [] {
            for v in t["eval"]?["nl"]?.arrayValue ?? [] where v["met"]?.boolValue != true {
                let why = v["error"]?.stringValue.map { "judge failed: " + $0 } ?? v["justification"]?.stringValue ?? ""
                unmet.append("- `\(t["unit"]?.stringValue ?? "")` \(v["assertion"]?.stringValue ?? ""): \(why)")
            }
        }
        if !unmet.isEmpty { md += "\n## NL assertions not met\n\n" + unmet.joined(separator: "\n") + "\n" }
        return md
    }
}
