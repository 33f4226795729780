public import Foundation
public import Runs
public import Storage

/// The validation kit's statistics (evaluation.md §C.2): human ratings (1–6) of rating items
/// against the judge's prompt-to-line verdicts, binarised at ≥ 4 (consistent).
public enum Agreement {
    /// One human rating.
    public struct Rating: Sendable, Hashable {
        /// The rating item (`<unit id>#<seq>`).
        public var item: String
        /// The rater.
        public var rater: String
        /// 1 (completely inconsistent) … 6 (completely consistent).
        public var rating: Int
        /// The CSV line it came from.
        public var line: Int

        /// Creates a rating.
        public init(item: String, rater: String, rating: Int, line: Int = 0) {
            self.item = item
            self.rater = rater
            self.rating = rating
            self.line = line
        }

        /// 1 when the rating counts as consistent (≥ 4), else 0.
        public var binary: Int { rating >= 4 ? 1 : 0 }
    }

    // MARK: statistics

    /// Linear-weighted Cohen's κ of two raters over categories `0..<categories`: weights
    /// w = 1 − |i − j| / (k − 1), κ = (Σ w·p_obs − Σ w·p_a·p_b) / (1 − Σ w·p_a·p_b). With two
    /// categories it is Cohen's κ. `nil` without pairs, or when chance agreement is 1 (both raters
    /// always gave the same single category).
    public static func weightedKappa(_ pairs: [(Int, Int)], categories: Int) -> Double? {
        guard !pairs.isEmpty, categories >= 2 else { return nil }
        let k = categories
        let n = Double(pairs.count)
        var observed = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for (a, b) in pairs where (0..<k).contains(a) && (0..<k).contains(b) { observed[a][b] += 1 / n }
        let rowMarginal = observed.map { $0.reduce(0, +) }
        let columnMarginal = (0..<k).map { j in observed.reduce(0) { $0 + $1[j] } }
        var po = 0.0
        var pe = 0.0
        for i in 0..<k {
            for j in 0..<k {
                let w = 1 - Double(abs(i - j)) / Double(k - 1)
                po += w * observed[i][j]
                pe += w * rowMarginal[i] * columnMarginal[j]
            }
        }
        guard 1 - pe > 1e-12 else { return nil }
        return (po - pe) / (1 - pe)
    }

    /// Fleiss' κ over items, `counts[i][j]` = the raters who put item i in category j; items with
    /// fewer than two ratings are left out (the per-item agreement is over the raters it has,
    /// so raters may skip items). `nil` with no such item or when chance agreement is 1.
    public static func fleissKappa(_ counts: [[Int]]) -> Double? {
        let items = counts.filter { $0.reduce(0, +) >= 2 }
        guard let categories = items.first?.count else { return nil }
        var totals = [Double](repeating: 0, count: categories)
        var ratings = 0.0
        var agreement = 0.0
        for item in items {
            let n = Double(item.reduce(0, +))
            for (j, c) in item.enumerated() { totals[j] += Double(c) }
            ratings += n
            agreement += item.reduce(0.0) { $0 + Double($1) * Double($1 - 1) } / (n * (n - 1))
        }
        let pBar = agreement / Double(items.count)
        let pe = totals.reduce(0.0) { $0 + ($1 / ratings) * ($1 / ratings) }
        guard 1 - pe > 1e-12 else { return nil }
        return (pBar - pe) / (1 - pe)
    }

    /// The share of pairs that agree; `nil` without pairs.
    public static func percentAgreement(_ pairs: [(Int, Int)]) -> Double? {
        guard !pairs.isEmpty else { return nil }
        return Double(pairs.filter { $0.0 == $0.1 }.count) / Double(pairs.count)
    }

    // MARK: ratings file

    /// Reads a ratings CSV: a header naming `item`, `rater` and `rating` (any order, other columns
    /// ignored — the exported items file with `rater` and `rating` filled in reads too), then one
    /// rating a row; rows with an empty rating are skipped.
    ///
    /// - Throws: ``RunError`` naming the file, the line and column, and the fix.
    public static func parseRatings(_ text: String, file: String? = nil) throws(RunError) -> [Rating] {
        let table = try CSV.parse(text, file: file)
        let columns = try table.columns(["item", "rater", "rating"])
        var ratings: [Rating] = []
        var seen: [String: Int] = [:]
        for row in table.rows {
            let item = row.cells[columns[0]].trimmingCharacters(in: .whitespaces)
            let rater = row.cells[columns[1]].trimmingCharacters(in: .whitespaces)
            let text = row.cells[columns[2]].trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            func fail(_ column: Int, _ message: String) -> RunError {
                RunError(.invalidInput, message, file: file, path: "line \(row.line), column \(column + 1)")
            }
            guard item.contains("#") else {
                throw fail(
                    columns[0],
                    "\"\(item)\" is not an item id; copy the item column of the exported items (<unit>#<seq>)")
            }
            guard !rater.isEmpty else { throw fail(columns[1], "the rater is empty; name who gave the rating") }
            guard let rating = Int(text), (1...6).contains(rating) else {
                throw fail(columns[2], "the rating \"\(text)\" is not a whole number from 1 to 6")
            }
            let key = item + "\u{1F}" + rater
            if let earlier = seen[key] {
                throw fail(
                    columns[1], "\(rater) rated \(item) already on line \(earlier); keep one rating per item and rater")
            }
            seen[key] = row.line
            ratings.append(Rating(item: item, rater: rater, rating: rating, line: row.line))
        }
        guard !ratings.isEmpty else {
            throw RunError(.invalidInput, "the file has no ratings; fill the rating column (1–6)", file: file)
        }
        return ratings
    }

    // MARK: the report

    /// Agreement of `ratings` with the judge's prompt-to-line verdicts in `directory`'s
    /// consistency-lines.jsonl.
    ///
    /// - Throws: ``RunError`` (`invalidInput`) when the run has no judge verdicts yet (run
    ///   `agora evaluate RUN_DIR --judge …` first) or none of the rated items has one.
    public static func report(_ directory: URL, ratings: [Rating]) throws(RunError) -> JSONValue {
        let file = directory.appendingPathComponent(RatingItems.judgeLinesFile)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw RunError(
                .invalidInput,
                "the run has no judge verdicts (\(RatingItems.judgeLinesFile)); run `agora evaluate \(directory.path) --judge MODEL --metrics p2l` first",
                file: directory.path)
        }
        var judge: [String: Int] = [:]
        for line in try RatingItems.judgeLines(file) where line.metric == "p2l" && judge[line.item] == nil {
            judge[line.item] = line.verdict == "consistent" ? 1 : 0
        }
        guard !judge.isEmpty else {
            throw RunError(
                .invalidInput,
                "\(RatingItems.judgeLinesFile) has no prompt-to-line verdicts; run `agora evaluate \(directory.path) --judge MODEL --metrics p2l`",
                file: file.path)
        }
        return report(judge: judge, ratings: ratings)
    }

    /// The statistics of `ratings` against `judge` (item → 1 consistent / 0 contradiction).
    public static func report(judge: [String: Int], ratings: [Rating]) -> JSONValue {
        var raters: [String] = []
        for rating in ratings where !raters.contains(rating.rater) { raters.append(rating.rater) }
        var perRater: [JSONValue] = []
        for rater in raters {
            let pairs = ratings.filter { $0.rater == rater }.compactMap { r in judge[r.item].map { ($0, r.binary) } }
            perRater.append(
                .object(
                    JSONObject([
                        ("rater", .string(rater)), ("n", .integer(Int64(pairs.count))),
                        ("cohenKappa", number(weightedKappa(pairs, categories: 2))),
                        ("percentAgreement", number(percentAgreement(pairs))),
                    ])))
        }
        // Items in first-rated order; the categories per item among the raters.
        var items: [String] = []
        var byItem: [String: [Int]] = [:]
        for rating in ratings {
            if byItem[rating.item] == nil { items.append(rating.item) }
            byItem[rating.item, default: []].append(rating.binary)
        }
        let counts = items.map { item -> [Int] in
            let values = byItem[item] ?? []
            return [values.filter { $0 == 0 }.count, values.filter { $0 == 1 }.count]
        }
        var raterPairs: [(Int, Int)] = []
        for item in items {
            let values = byItem[item] ?? []
            for i in values.indices {
                for j in values.indices where j > i { raterPairs.append((values[i], values[j])) }
            }
        }
        let unmatched = items.filter { judge[$0] == nil }.count
        return .object(
            JSONObject([
                ("metric", "p2l"), ("binarisedAt", 4), ("items", .integer(Int64(items.count))),
                ("itemsWithoutVerdict", .integer(Int64(unmatched))),
                ("ratings", .integer(Int64(ratings.count))), ("judgeVsRater", .array(perRater)),
                (
                    "raters",
                    .object(
                        JSONObject([
                            ("count", .integer(Int64(raters.count))),
                            ("n", .integer(Int64(counts.filter { $0.reduce(0, +) >= 2 }.count))),
                            ("fleissKappa", number(fleissKappa(counts))),
                            ("percentAgreement", number(percentAgreement(raterPairs))),
                        ]))
                ),
            ]))
    }

    static func number(_ x: Double?) -> JSONValue { x.map { .number(Statistics.round6($0)) } ?? .null }

    /// The report as Markdown.
    public static func markdown(_ report: JSONValue) -> String {
        func f(_ value: JSONValue?) -> String { value?.doubleValue.map { String(format: "%.3f", $0) } ?? "—" }
        func pct(_ value: JSONValue?) -> String { value?.doubleValue.map { String(format: "%.1f%%", 100 * $0) } ?? "—" }
        var lines = [
            "# Agreement with the judge (prompt-to-line; ratings ≥ 4 count as consistent)", "",
            "\(report["ratings"]?.intValue ?? 0) ratings of \(report["items"]?.intValue ?? 0) items"
                + ((report["itemsWithoutVerdict"]?.intValue ?? 0) > 0
                    ? " (\(report["itemsWithoutVerdict"]?.intValue ?? 0) without a judge verdict: among raters only)"
                    : ""),
            "",
            "| rater | n | Cohen's κ (linear-weighted) | agreement |",
            "|---|---|---|---|",
        ]
        for rater in report["judgeVsRater"]?.arrayValue ?? [] {
            lines.append(
                "| \(rater["rater"]?.stringValue ?? "") | \(rater["n"]?.intValue ?? 0) | \(f(rater["cohenKappa"])) | \(pct(rater["percentAgreement"])) |"
            )
        }
        let raters = report["raters"]
        lines.append("")
        lines.append(
            "Among the \(raters?["count"]?.intValue ?? 0) raters: Fleiss' κ \(f(raters?["fleissKappa"])), agreement \(pct(raters?["percentAgreement"])) (n = \(raters?["n"]?.intValue ?? 0) items with two ratings or more)."
        )
        lines.append("— : undefined (no pairs, or every rating in one category).")
        return lines.joined(separator: "\n") + "\n"
    }
}
