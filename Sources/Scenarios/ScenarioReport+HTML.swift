import Evaluation
import Foundation
import HTMLKit
import Runs
import Storage

/// The survey and conversation page of `report.html`, and the Markdown summary of `agora report
/// --format md`, assembled from ``HTMLReport``'s building blocks.
extension ScenarioReport {
    static func html(_ data: ScenarioRunData, results: JSONValue) -> String {
        html(
            data.manifest, results: results, population: HTMLReport.populationSection(data.run),
            consistency: ConsistencyReport.htmlSection(data.run), transcripts: HTMLReport.transcriptSection(data.run))
    }

    /// The page from `results.json` and the sections that need the stored data (built whole or
    /// streamed).
    static func html(
        _ manifest: RunManifest, results: JSONValue, population: String, consistency: String, transcripts: String
    ) -> String {
        let title = results["title"]?.stringValue ?? manifest.runID
        var h = HTML.head(title: title)
        h.append("<h1>\(HTML.escape(title))</h1>")
        h.append(AnswerQuality.htmlBanner(results["quality"], escape: HTML.escape))
        let units = results["units"]
        h.append(
            "<p class=\"muted\">\(HTML.escape(manifest.kind)) · run \(HTML.escape(manifest.runID)) · model \(HTML.escape(manifest.model)) · seed \(manifest.seed) · scenario digest \(HTML.escape(String(manifest.digest.prefix(16))))…</p>"
        )
        h.append(
            "<p>Units: \(HTMLReport.number(units?["done"])) done, \(HTMLReport.number(units?["failed"])) failed, \(HTMLReport.number(units?["pending"])) pending, of \(HTMLReport.number(units?["total"])).</p>"
        )
        h.append(population)
        if let items = results["items"]?.arrayValue {
            h.append("<h2>Answers</h2>")
            for item in items { h.append(itemSection(item)) }
            for split in results["splits"]?.arrayValue ?? [] {
                h.append("<h2>Split by \(HTML.escape(split["attribute"]?.stringValue ?? ""))</h2>")
                h.append(splitTable(split))
            }
        }
        if let extracted = results["extracted"]?.arrayValue, !extracted.isEmpty {
            h.append("<h2>Extracted</h2>")
            for entry in extracted {
                h.append("<h3>\(HTML.escape(entry["unit"]?.stringValue ?? ""))</h3>")
                h.append(HTMLReport.resultBlock(entry["result"] ?? .null))
            }
        }
        h.append("<h2>Quality</h2><table>")
        for (key, value) in results["metrics"]?.objectValue ?? JSONObject() {
            h.append(
                "<tr><th>\(HTML.escape(key))</th><td>\(value == .null ? "n/a" : HTMLReport.number(value))</td></tr>"
            )
        }
        var reasons = ""
        for reason in results["termination"]?.arrayValue ?? [] {
            reasons +=
                "\(HTML.escape(reason["reason"]?.stringValue ?? "")): \(HTMLReport.number(reason["count"])) "
        }
        h.append("<tr><th>termination</th><td>\(reasons)</td></tr></table>")
        h.append(consistency)
        h.append(transcripts)
        h.append(HTMLReport.costSection(results["usage"] ?? .null))
        h.append(HTMLReport.foot(manifest))
        return h.joined(separator: "\n") + "\n"
    }

    static func itemSection(_ item: JSONValue) -> String {
        var h = [
            "<div class=\"item\"><h3>\(HTML.escape(item["id"]?.stringValue ?? "")) · \(HTML.escape(item["question"]?.stringValue ?? ""))</h3>"
        ]
        let n = Int(item["n"]?.intValue ?? 0)
        h.append(
            "<p class=\"muted\">\(HTML.escape(item["type"]?.stringValue ?? "")) · n = \(n) · failed \(HTMLReport.number(item["failed"]))\(item["skipped"].map { " · skipped \(HTMLReport.number($0))" } ?? "")</p>"
        )
        if let distribution = item["distribution"]?.arrayValue {
            let rows = distribution.map { b -> (String, Int, (Double, Double)?) in
                var label = RunReport.text(of: b["value"] ?? .null)
                if let l = b["label"]?.stringValue { label += " · " + l }
                let ci = b["ci95"]?.arrayValue
                return (
                    label, Int(b["count"]?.intValue ?? 0), ci.map { ($0[0].doubleValue ?? 0, $0[1].doubleValue ?? 0) }
                )
            }
            h.append(HTMLReport.bars(rows, total: n))
        }
        if let mean = item["mean"] {
            let ci = item["meanCI95"]?.arrayValue ?? []
            h.append(
                "<p>mean \(HTMLReport.number(mean)) (95% CI \(HTMLReport.number(ci.first)) – \(HTMLReport.number(ci.last))), median \(HTMLReport.number(item["median"])), sd \(HTMLReport.number(item["sd"])), range \(HTMLReport.number(item["min"])) – \(HTMLReport.number(item["max"]))</p>"
            )
        }
        h.append(surveyTypeSection(item))
        if let length = item["meanLength"] {
            h.append("<p>mean answer length \(HTMLReport.number(length)) characters (answers in the transcripts)</p>")
        }
        h.append("</div>")
        return h.joined(separator: "\n")
    }

    static func splitTable(_ split: JSONValue) -> String {
        var h = ["<table><tr><th>item</th><th>group</th><th>n</th><th>distribution (share) / mean</th></tr>"]
        let groups = split["groups"]?.arrayValue ?? []
        guard let first = groups.first?["items"]?.arrayValue else { return "" }
        for itemIndex in first.indices {
            for group in groups {
                guard let item = group["items"]?[itemIndex] else { continue }
                var cell = ""
                if let mean = item["mean"] {
                    cell = "mean \(HTMLReport.number(mean))"
                } else if let distribution = item["distribution"]?.arrayValue {
                    cell = distribution.map {
                        "\(RunReport.text(of: $0["value"] ?? .null)): \(String(format: "%.0f%%", ($0["share"]?.doubleValue ?? 0) * 100))"
                    }
                    .joined(separator: " · ")
                } else {
                    continue
                }
                h.append(
                    "<tr><td>\(HTML.escape(item["id"]?.stringValue ?? ""))</td><td>\(HTML.escape(group["value"]?.stringValue ?? ""))</td><td>\(HTMLReport.number(item["n"]))</td><td>\(HTML.escape(cell))</td></tr>"
                )
            }
        }
        h.append("</table>")
        return h.joined(separator: "\n")
    }

}
/// The Markdown summary of `agora report --format md`.
extension ScenarioReport {
    static func markdown(_ data: ScenarioRunData, results: JSONValue) -> String {
        var m = ["# \(results["title"]?.stringValue ?? data.manifest.runID)", ""]
        m.append(
            "\(data.manifest.kind) · run `\(data.manifest.runID)` · model `\(data.manifest.model)` · seed \(data.manifest.seed)"
        )
        let units = results["units"]
        m.append("")
        m.append(
            "Units: \(HTMLReport.number(units?["done"])) done, \(HTMLReport.number(units?["failed"])) failed, \(HTMLReport.number(units?["pending"])) pending, of \(HTMLReport.number(units?["total"]))."
        )
        for item in results["items"]?.arrayValue ?? [] {
            m += ["", "## \(item["id"]?.stringValue ?? ""): \(item["question"]?.stringValue ?? "")", ""]
            m.append(
                "\(item["type"]?.stringValue ?? ""), n = \(HTMLReport.number(item["n"])), failed \(HTMLReport.number(item["failed"]))"
                    + (item["skipped"].map { ", skipped \(HTMLReport.number($0))" } ?? "")
            )
            if let distribution = item["distribution"]?.arrayValue {
                m += ["", "| answer | count | share | 95% CI |", "|---|---|---|---|"]
                for b in distribution {
                    let ci = b["ci95"]?.arrayValue ?? []
                    m.append(
                        "| \(RunReport.text(of: b["value"] ?? .null)) | \(HTMLReport.number(b["count"])) | \(HTMLReport.number(b["share"])) | \(HTMLReport.number(ci.first)) – \(HTMLReport.number(ci.last)) |"
                    )
                }
            }
            if let mean = item["mean"] {
                m += ["", "mean \(HTMLReport.number(mean)), median \(HTMLReport.number(item["median"]))"]
            }
        }
        if let extracted = results["extracted"]?.arrayValue {
            for entry in extracted {
                m += [
                    "", "## \(entry["unit"]?.stringValue ?? "")", "", "```json",
                    (entry["result"] ?? .null).serialized(pretty: true), "```",
                ]
            }
        }
        m += ConsistencyReport.markdown(data.run)
        let usage = results["usage"]
        m += [
            "", "## Cost", "",
            "\(HTMLReport.number(usage?["calls"])) calls, \(HTMLReport.number(usage?["promptTokens"])) prompt tokens (\(HTMLReport.number(usage?["cachedPromptTokens"] ?? .integer(0))) cached by the server), \(HTMLReport.number(usage?["completionTokens"])) completion tokens.",
        ]
        return m.joined(separator: "\n") + "\n"
    }
}
