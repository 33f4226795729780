import Foundation
import HTMLKit
public import Storage

extension PopulationReport {
    static func round(_ value: Double, _ digits: Int = 6) -> JSONValue {
        guard value.isFinite else { return .null }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return .number((value * scale).rounded() / scale)
    }

    /// The report as JSON with a stable key order.
    public var json: JSONValue {
        var root = JSONObject()
        root["count"] = .integer(Int64(count))
        root["targets"] = .array(
            targets.map { target in
                var object = JSONObject()
                object["id"] = .string(target.id)
                object["dims"] = .array(target.dimensions.map { .string($0) })
                object["tae"] = .integer(Int64(target.tae))
                object["maxDeviation"] = .integer(Int64(target.maxDeviation))
                object["srmse"] = Self.round(target.srmse)
                object["srmseFractional"] = Self.round(target.srmseFractional)
                object["maxFractionalDeviation"] = Self.round(target.maxFractionalDeviation)
                object["kl"] = Self.round(target.kl, 9)
                object["js"] = Self.round(target.js, 9)
                object["cells"] = .array(
                    target.cells.indices.map { i in
                        .object(
                            JSONObject([
                                ("cell", .string(target.cells[i])), ("target", .integer(Int64(target.targets[i]))),
                                ("fractional", Self.round(target.fractional[i], 4)),
                                ("realised", .integer(Int64(target.realised[i]))),
                            ]))
                    })
                return .object(object)
            })
        var coverage = JSONObject()
        coverage["leaf"] = Self.round(leafCoverage)
        coverage["feasibleCells"] = feasibleCellCoverage.map { Self.round($0) } ?? .null
        coverage["meanAttributesPerPersona"] = Self.round(meanAttributesPerPersona)
        root["coverage"] = .object(coverage)
        var entropy = JSONObject()
        entropy["jointQuota"] = Self.round(jointQuotaEntropy)
        entropy["meanPairwiseMutualInformation"] = Self.round(meanPairwiseMutualInformation)
        entropy["attributes"] = .array(
            attributes.map { attribute in
                .object(
                    JSONObject([
                        ("id", .string(attribute.id)), ("kind", .string(attribute.kind)),
                        ("present", .integer(Int64(attribute.present))),
                        ("valueCoverage", Self.round(attribute.valueCoverage)),
                        ("entropy", Self.round(attribute.entropy)),
                        ("normalisedEntropy", Self.round(attribute.normalisedEntropy)),
                    ]))
            })
        root["entropy"] = .object(entropy)
        var uniqueness = JSONObject()
        uniqueness["uniqueHashFraction"] = Self.round(uniqueHashFraction)
        uniqueness["hashMismatches"] = .integer(Int64(hashMismatches))
        uniqueness["kAnonymity"] = .object(
            JSONObject([
                ("minimum", .integer(Int64(kAnonymity.minimum))), ("classes", .integer(Int64(kAnonymity.classes))),
                ("singletons", .integer(Int64(kAnonymity.singletons))),
            ]))
        uniqueness["meanNearestNeighbourJaccard"] = Self.round(meanNearestNeighbourJaccard)
        uniqueness["meanPairwiseJaccardDistance"] = Self.round(meanPairwiseJaccardDistance)
        root["uniqueness"] = .object(uniqueness)
        if let text {
            root["text"] = .object(
                JSONObject([
                    ("narratives", .integer(Int64(text.narratives))), ("failures", .integer(Int64(text.failures))),
                    ("distinct1", Self.round(text.distinct1.perText)),
                    ("distinct1Corpus", Self.round(text.distinct1.corpus)),
                    ("distinct2", Self.round(text.distinct2.perText)),
                    ("distinct2Corpus", Self.round(text.distinct2.corpus)), ("selfBLEU2", Self.round(text.selfBLEU2)),
                    ("meanSimHashDistance", Self.round(text.meanSimHashDistance)),
                    ("templateFlags", .integer(Int64(text.templateFlags))),
                ]))
        }
        var validity = JSONObject()
        validity["hardViolations"] = .integer(Int64(hardViolations))
        validity["hardViolationRate"] = Self.round(count > 0 ? Double(hardViolations) / Double(count) : 0)
        validity["softWarningRate"] = Self.round(softWarningRate)
        validity["rejects"] = .object(JSONObject(rejects.map { ($0.reason, .integer(Int64($0.count))) }))
        validity["meanAttempts"] = Self.round(meanAttempts)
        validity["p99Attempts"] = .integer(Int64(p99Attempts))
        validity["invalidValues"] = .array(invalidValues.map { .string($0) })
        root["validity"] = .object(validity)
        return .object(root)
    }

    private static func format(_ value: Double, _ digits: Int = 4) -> String {
        String(format: "%.\(digits)f", value)
    }

    /// A cell of a fixed-width text line: text cut or padded to the width on the right, or a number
    /// padded on the left.
    enum TableCell {
        case left(String, Int)
        case right(String, Int)
    }

    /// The cells of one line of a terminal table, separated by single spaces.
    static func tableLine(_ cells: [TableCell]) -> String {
        cells.map { cell in
            switch cell {
            case .left(let text, let width): text.padding(toLength: width, withPad: " ", startingAt: 0)
            case .right(let text, let width):
                text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
            }
        }.joined(separator: " ")
    }

    /// A blank line, the header and one line per row; nothing when there are no rows.
    static func tableSection(_ header: String, _ rows: [[TableCell]]) -> [String] {
        rows.isEmpty ? [] : ["", header] + rows.map(tableLine)
    }

    /// A plain-text table for terminals.
    public var table: String {
        var lines: [String] = []
        lines.append("personas: \(count)")
        lines += Self.tableSection(
            "target            cells    TAE  maxDev   SRMSE  maxFracDev        KL        JS",
            targets.map { target in
                [
                    .left(target.id, 16), .right(String(target.cells.count), 6), .right(String(target.tae), 6),
                    .right(String(target.maxDeviation), 7), .right(Self.format(target.srmse), 7),
                    .right(Self.format(target.maxFractionalDeviation), 11), .right(Self.format(target.kl, 6), 9),
                    .right(Self.format(target.js, 6), 9),
                ]
            })
        lines.append("")
        lines.append(
            "coverage: leaf \(Self.format(leafCoverage))"
                + (feasibleCellCoverage.map { ", feasible cells \(Self.format($0))" } ?? "")
                + ", attributes per persona \(Self.format(meanAttributesPerPersona, 2))")
        lines.append(
            "entropy: joint quota \(Self.format(jointQuotaEntropy)), mean pairwise MI "
                + Self.format(meanPairwiseMutualInformation))
        lines.append(
            "uniqueness: unique hashes \(Self.format(uniqueHashFraction)), hash mismatches \(hashMismatches), "
                + "k-anonymity min \(kAnonymity.minimum) (\(kAnonymity.classes) classes, \(kAnonymity.singletons) singletons)"
        )
        lines.append(
            "similarity: mean NN Jaccard \(Self.format(meanNearestNeighbourJaccard)), mean pairwise Jaccard distance "
                + Self.format(meanPairwiseJaccardDistance))
        if let text {
            lines.append(
                "text: \(text.narratives) narratives, \(text.failures) failures, distinct-1 "
                    + "\(Self.format(text.distinct1.perText)), distinct-2 \(Self.format(text.distinct2.perText)), "
                    + "self-BLEU-2 \(Self.format(text.selfBLEU2)), mean SimHash distance "
                    + Self.format(text.meanSimHashDistance, 2))
        }
        lines.append(
            "validity: hard violations \(hardViolations), soft warnings/persona \(Self.format(softWarningRate)), "
                + "attempts mean \(Self.format(meanAttempts, 3)) p99 \(p99Attempts)")
        lines.append("rejects: " + rejects.map { "\($0.reason) \($0.count)" }.joined(separator: ", "))
        for problem in invalidValues { lines.append("invalid: \(problem)") }
        lines += Self.tableSection(
            "attribute                                 kind     present  coverage  H/ln k",
            attributes.map { attribute in
                [
                    .left(attribute.id, 41), .left(attribute.kind, 8), .right(String(attribute.present), 7),
                    .right(Self.format(attribute.valueCoverage, 3), 9),
                    .right(Self.format(attribute.normalisedEntropy, 3), 7),
                ]
            })
        return lines.joined(separator: "\n") + "\n"
    }

    /// A self-contained HTML fragment (no scripts, inline SVG): target vs realised bars per target, then the
    /// headline metrics. Reusable inside the run report.
    public var html: String {
        var out = "<section class=\"population-report\">\n<h2>Population</h2>\n"
        out += "<p>\(count) personas; unique hashes \(Self.format(uniqueHashFraction)); hard-rule violations "
        out += "\(hardViolations); leaf coverage \(Self.format(leafCoverage)).</p>\n"
        for target in targets {
            let maximum = Double(max(target.targets.max() ?? 1, target.realised.max() ?? 1, 1))
            out +=
                "<figure>\n<figcaption>\(HTML.escape(target.id)) (\(HTML.escape(target.dimensions.joined(separator: " × ")))): "
            out += "TAE \(target.tae), SRMSE \(Self.format(target.srmse))</figcaption>\n"
            let cellRows = target.cells.indices.map { i in
                SVGChart.Row(
                    label: target.cells[i],
                    bars: [
                        SVGChart.Bar(
                            share: Double(target.targets[i]) / maximum, color: "#bbbbbb",
                            tooltip: "target \(target.targets[i])"),
                        SVGChart.Bar(
                            share: Double(target.realised[i]) / maximum, color: "#3b6fb6",
                            tooltip: "realised \(target.realised[i])"),
                    ],
                    note: "\(target.targets[i]) / \(target.realised[i])")
            }
            out += SVGChart.bars(cellRows, description: "target versus realised counts for \(target.id)")
            out += "\n</figure>\n"
        }
        out += "<table>\n<tr><th>metric</th><th>value</th></tr>\n"
        let rows: [(String, String)] =
            [
                ("feasible-cell coverage", feasibleCellCoverage.map { Self.format($0) } ?? "n/a"),
                ("attributes per persona", Self.format(meanAttributesPerPersona, 2)),
                ("joint quota entropy", Self.format(jointQuotaEntropy)),
                ("mean NN Jaccard", Self.format(meanNearestNeighbourJaccard)),
                ("mean pairwise Jaccard distance", Self.format(meanPairwiseJaccardDistance)),
                ("k-anonymity minimum", String(kAnonymity.minimum)),
                ("soft warnings per persona", Self.format(softWarningRate)),
                ("mean attempts per slot", Self.format(meanAttempts, 3)),
            ] + rejects.map { ("rejects: \($0.reason)", String($0.count)) }
        for (name, value) in rows { out += "<tr><td>\(HTML.escape(name))</td><td>\(HTML.escape(value))</td></tr>\n" }
        out += "</table>\n</section>\n"
        return out
    }
}
