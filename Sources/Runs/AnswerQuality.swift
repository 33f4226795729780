import Foundation
public import Storage

/// Answer-quality flags of closed survey items, with or without a reference (docs/fidelity.md):
/// degenerate items (≥ 95% identical answers), position bias under randomised option order (a
/// binomial test of choosing the first displayed option against 1/K), straight-lining across a
/// respondent's scale items, and each respondent's share of failed items.
public enum AnswerQuality {
    /// One closed item's answers.
    public struct Item: Sendable {
        /// The item id.
        public var id: String
        /// K.
        public var optionCount: Int
        /// Per respondent: the chosen option's position in scale/file order, `-1` when failed or absent.
        public var answers: [Int]
        /// Per respondent: whether the answer was the first option displayed to them (nil: not
        /// randomised, or no answer).
        public var choseFirstShown: [Bool?]
        /// Whether the item is on a scale (ordered options), for straight-lining.
        public var scale: Bool

        /// Creates an item.
        public init(id: String, optionCount: Int, answers: [Int], choseFirstShown: [Bool?] = [], scale: Bool) {
            self.id = id
            self.optionCount = optionCount
            self.answers = answers
            self.choseFirstShown = choseFirstShown
            self.scale = scale
        }
    }

    /// The modal share at or above which an item is flagged degenerate.
    public static let degenerateShare = 0.95
    /// The p-value below which position bias is flagged.
    public static let positionAlpha = 0.01
    /// The share of straight-lining respondents at or above which the survey is flagged.
    public static let straightLiningShare = 0.5

    /// The `quality` object: per item figures, per survey figures and the list of flags (empty when
    /// nothing tripped).
    public static func report(_ items: [Item], respondents: Int) -> JSONValue {
        var flags: [JSONValue] = []
        var itemsJSON: [JSONValue] = []
        for item in items {
            var counts = [Int](repeating: 0, count: item.optionCount)
            for a in item.answers where a >= 0 && a < item.optionCount { counts[a] += 1 }
            let n = counts.reduce(0, +)
            var o = JSONObject([("id", .string(item.id)), ("n", .integer(Int64(n)))])
            if n > 0 {
                var mode = 0
                for k in counts.indices where counts[k] > counts[mode] { mode = k }
                let share = Double(counts[mode]) / Double(n)
                var entropy = 0.0
                for c in counts where c > 0 {
                    let p = Double(c) / Double(n)
                    entropy -= p * log(p)
                }
                let normalised = item.optionCount > 1 ? entropy / log(Double(item.optionCount)) : 0
                o["modalShare"] = number(share)
                o["modalOption"] = .integer(Int64(mode))
                o["normalisedEntropy"] = number(normalised)
                let degenerate = n >= 2 && share >= degenerateShare
                o["degenerate"] = .bool(degenerate)
                if degenerate {
                    flags.append(
                        .string(
                            "\(item.id): \(Int((share * 100).rounded()))% gave the same answer (n = \(n)); the answers carry almost no information"
                        ))
                }
            } else {
                o["modalShare"] = .null
                o["normalisedEntropy"] = .null
                o["degenerate"] = .null
            }
            let firsts = item.choseFirstShown.compactMap { $0 }
            if !firsts.isEmpty, item.optionCount > 1 {
                let x = firsts.filter { $0 }.count
                let p = binomialTwoSided(x, firsts.count, 1 / Double(item.optionCount))
                let biased = p < positionAlpha && Double(x) / Double(firsts.count) > 1 / Double(item.optionCount)
                o["positionBias"] = [
                    "n": .integer(Int64(firsts.count)), "firstShownShare": number(Double(x) / Double(firsts.count)),
                    "expected": number(1 / Double(item.optionCount)), "pValue": number(p), "flagged": .bool(biased),
                ]
                if biased {
                    flags.append(
                        .string(
                            "\(item.id): \(x) of \(firsts.count) chose the first option shown (expected \(Int((100 / Double(item.optionCount)).rounded()))%, p = \(String(format: "%.2g", p))): position bias"
                        ))
                }
            }
            itemsJSON.append(.object(o))
        }
        // Straight-lining: a respondent who gave the same scale position on every one of ≥ 3 scale items.
        let scaleItems = items.filter(\.scale)
        var straight = 0
        var eligible = 0
        var failedShares: [Double] = []
        for r in 0..<respondents {
            var positions: [Int] = []
            for item in scaleItems where r < item.answers.count && item.answers[r] >= 0 {
                positions.append(item.answers[r])
            }
            if positions.count >= 3 {
                eligible += 1
                if Set(positions).count == 1 { straight += 1 }
            }
            if !items.isEmpty {
                let failed = items.filter { r >= $0.answers.count || $0.answers[r] < 0 }.count
                failedShares.append(Double(failed) / Double(items.count))
            }
        }
        var straightJSON: JSONObject = [
            "respondents": .integer(Int64(eligible)), "straightLined": .integer(Int64(straight)),
        ]
        straightJSON["share"] = eligible > 0 ? number(Double(straight) / Double(eligible)) : .null
        if eligible > 0, Double(straight) / Double(eligible) >= straightLiningShare {
            flags.append(
                .string(
                    "\(straight) of \(eligible) respondents gave the same scale position on every scale item (straight-lining)"
                ))
        }
        let mostlyFailed = failedShares.filter { $0 > 0.5 }.count
        if mostlyFailed > 0 {
            flags.append(.string("\(mostlyFailed) respondents failed more than half of their items"))
        }
        return [
            "flags": .array(flags), "items": .array(itemsJSON), "straightLining": .object(straightJSON),
            "failedItems": [
                "respondents": .integer(Int64(failedShares.count)),
                "meanShare": failedShares.isEmpty
                    ? .null : number(failedShares.reduce(0, +) / Double(failedShares.count)),
                "maxShare": failedShares.max().map(number) ?? .null,
                "overHalf": .integer(Int64(mostlyFailed)),
            ],
        ]
    }

    /// The exact two-sided binomial p-value of `x` successes in `n` trials at probability `p`: the
    /// total probability of outcomes no more likely than `x`.
    public static func binomialTwoSided(_ x: Int, _ n: Int, _ p: Double) -> Double {
        guard n > 0, p > 0, p < 1 else { return 1 }
        func logPMF(_ k: Int) -> Double {
            lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) + Double(k) * log(p)
                + Double(n - k) * log(1 - p)
        }
        let observed = logPMF(x)
        var total = 0.0
        for k in 0...n {
            let l = logPMF(k)
            if l <= observed + 1e-7 { total += exp(l) }
        }
        return min(1, total)
    }

    static func number(_ x: Double) -> JSONValue {
        x.isFinite ? .number((x * 1e6).rounded() / 1e6) : .null
    }

    /// The flags as an HTML block for the top of a report (empty string when nothing tripped).
    public static func htmlBanner(_ quality: JSONValue?, escape: (String) -> String) -> String {
        guard let flags = quality?["flags"]?.arrayValue, !flags.isEmpty else { return "" }
        let items = flags.compactMap(\.stringValue).map { "<li>\(escape($0))</li>" }.joined()
        return
            "<div class=\"quality-flags\" style=\"border:2px solid #c0392b;padding:0.5em 1em;margin:1em 0\"><strong>Answer-quality flags</strong><ul>\(items)</ul></div>"
    }
}
