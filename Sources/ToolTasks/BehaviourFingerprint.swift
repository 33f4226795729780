import Foundation
import Runs

/// Deterministic behavioural features of a simulated (or human) user's turns, grouped D1–D4 after PPol's
/// regex features: D1 length, D2 affect, D3 information, D4 style. Alignment (Dice) and coverage
/// (two-sided Chamfer) compare fingerprints with a user-supplied reference set (none is shipped).
public enum BehaviourFingerprint {
    /// The feature names, in vector order (19).
    public static let names = [
        "d1_words_per_turn", "d1_chars_per_turn", "d1_short_turns", "d1_long_turns",
        "d2_greeting", "d2_thanks", "d2_apology", "d2_exclamation", "d2_all_caps", "d2_negative",
        "d3_question", "d3_digits", "d3_email", "d3_identifier",
        "d4_lowercase_start", "d4_ellipsis", "d4_first_person", "d4_filler", "d4_contraction",
    ]

    static let patterns: [String: String] = [
        "d2_greeting": "(?i)\\b(hi|hello|hey|good (morning|afternoon|evening))\\b",
        "d2_thanks": "(?i)\\b(thanks|thank you|thx|appreciate)\\b",
        "d2_apology": "(?i)\\b(sorry|apologi[sz]e)\\b",
        "d2_exclamation": "!",
        "d2_all_caps": "\\b[A-Z]{3,}\\b",
        "d2_negative": "(?i)\\b(ridiculous|terrible|awful|useless|annoying|frustrat\\w*|angry|unacceptable)\\b",
        "d3_question": "\\?",
        "d3_digits": "[0-9]",
        "d3_email": "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}",
        "d3_identifier": "\\b(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{5,}\\b",
        "d4_ellipsis": "\\.\\.\\.|…",
        "d4_first_person": "(?i)\\b(i|me|my|mine)\\b",
        "d4_filler": "(?i)\\b(um|uh|like|actually|basically|honestly|just)\\b",
        "d4_contraction": "(?i)\\b\\w+'(s|t|re|ve|ll|d|m)\\b",
    ]

    /// The 19-feature vector of a list of user turns (each feature a rate or mean over turns).
    public static func features(_ turns: [String]) -> [Double] {
        guard !turns.isEmpty else { return Array(repeating: 0, count: names.count) }
        let n = Double(turns.count)
        func rate(_ name: String) -> Double {
            guard let pattern = patterns[name], let regex = try? Regex(pattern) else { return 0 }
            return Double(turns.filter { $0.contains(regex) }.count) / n
        }
        let words = turns.map { Double($0.split(whereSeparator: \.isWhitespace).count) }
        var out: [Double] = [
            words.reduce(0, +) / n,
            Double(turns.reduce(0) { $0 + $1.count }) / n,
            Double(words.filter { $0 <= 6 }.count) / n,
            Double(words.filter { $0 >= 40 }.count) / n,
        ]
        for name in names.dropFirst(4) {
            if name == "d4_lowercase_start" {
                out.append(Double(turns.filter { $0.first?.isLowercase == true }.count) / n)
            } else {
                out.append(rate(name))
            }
        }
        return out
    }

    /// Dice alignment of two non-negative vectors: 2·Σmin(a, b) / (Σa + Σb) (1 when equal).
    public static func dice(_ a: [Double], _ b: [Double]) -> Double {
        let total = zip(a, b).reduce(0.0) { $0 + $1.0 + $1.1 }
        guard total > 0 else { return 1 }
        return 2 * zip(a, b).reduce(0.0) { $0 + min($1.0, $1.1) } / total
    }

    /// Two-sided Chamfer distance between point clouds (mean nearest-neighbour Euclidean distance
    /// from P to H plus from H to P), divided by `dRef` (1 by default).
    public static func chamfer(_ p: [[Double]], _ h: [[Double]], dRef: Double = 1) -> Double {
        guard !p.isEmpty, !h.isEmpty else { return 0 }
        func distance(_ x: [Double], _ y: [Double]) -> Double {
            zip(x, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        }
        func side(_ a: [[Double]], _ b: [[Double]]) -> Double {
            a.reduce(0.0) { sum, x in sum + (b.map { distance(x, $0) }.min() ?? 0) } / Double(a.count)
        }
        return (side(p, h) + side(h, p)) / (dRef > 0 ? dRef : 1)
    }
}
