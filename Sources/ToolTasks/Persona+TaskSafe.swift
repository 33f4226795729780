import Foundation
public import Population
import Storage

/// A population persona made safe for a tool task (spec §10.6: "a user may also carry a full persona
/// from the population factory").
///
/// The persona only shapes how the simulated user talks, so its text is made safe for the task before
/// it reaches a prompt (invariant 2 of §10.6): the persona's own name becomes "the customer" (the
/// task's user has a name of their own); tokens that mix letters and digits, emails, runs of four or
/// more digits and `#` references (`#12`) are removed; remaining numbers of one to three digits are
/// written in words ("34" → "thirty-four", "25-34" → "twenty-five to thirty-four"), so no digit can be
/// confused with an amount or id of the task.
extension Persona {
    /// This persona made task-safe, ready for the one renderer (`promptText`): its display name is
    /// ``taskSafeName`` ("the customer"); the narrative and every attribute value (as `Persona.promptValue` writes it) are
    /// sanitised; attribute keys are sanitised with `_` read as a space; the `name` and `id`
    /// attributes and anything left empty are dropped. The id is kept (never rendered).
    public func taskSafe() -> Persona {
        var names: [String] = []
        let name = displayName
        if name != id, name != Self.taskSafeName {
            names.append(name)
            names += name.split(separator: " ").map(String.init).filter { $0.count >= 2 }
        }
        var safe = JSONObject()
        for (key, value) in attributes where key != "name" && key != "id" {
            let text = Self.taskSafeText(Self.promptValue(value), names: names)
            let label = Self.taskSafeText(key.replacingOccurrences(of: "_", with: " "), names: [])
            guard !text.isEmpty, !label.isEmpty, safe[label] == nil else { continue }
            safe[label] = .string(text)
        }
        let narrative = self.narrative.map { Self.taskSafeText($0, names: names) }.flatMap { $0.isEmpty ? nil : $0 }
        return Persona(id: id, name: Self.taskSafeName, attributes: safe, narrative: narrative)
    }

    /// What a task-safe persona is called, in its ``displayName`` and in place of its name in its text.
    public static let taskSafeName = "the customer"

    /// Makes persona text task-safe (see ``taskSafe()``): `names` (the persona's name and its words) are
    /// replaced by "the customer", identifiers removed and short numbers written in words.
    public static func taskSafeText(_ text: String, names: [String]) -> String {
        var s = text
        // The persona's name: longest first, whole words only.
        for name in names.sorted(by: { $0.count > $1.count }) where !name.isEmpty {
            let pattern = "\\b" + NSRegularExpression.escapedPattern(for: name) + "\\b"
            if let regex = try? NSRegularExpression(pattern: pattern) {
                s = regex.stringByReplacingMatches(
                    in: s, range: NSRange(s.startIndex..., in: s), withTemplate: taskSafeName)
            }
        }
        // Identifiers: emails, tokens mixing letters and digits, long digit runs, hashes.
        let removals = [
            "[^\\s@]+@[^\\s@]+", "\\b(?=[A-Za-z_]*[0-9])(?=[0-9_]*[A-Za-z])[A-Za-z0-9_]+\\b", "[0-9]{4,}",
            "#+[A-Za-z0-9_-]*",
        ]
        for pattern in removals {
            if let regex = try? NSRegularExpression(pattern: pattern) {
                s = regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "")
            }
        }
        // Ranges and short numbers in words.
        s = replace(s, pattern: "([0-9]{1,3})\\s*[-–]\\s*([0-9]{1,3})") { groups in
            words(groups[1]) + " to " + words(groups[2])
        }
        s = replace(s, pattern: "([0-9]{1,3})\\+") { groups in words(groups[1]) + " or more" }
        s = replace(s, pattern: "[0-9]{1,3}") { groups in words(groups[0]) }
        // Tidy what the removals left: doubled spaces, spaces before punctuation, sentence starts.
        s = replace(s, pattern: "[ \\t]{2,}") { _ in " " }
        s = replace(s, pattern: " ([,.;:!?])") { groups in String(groups[0].dropFirst()) }
        s = s.trimmingCharacters(in: .whitespacesAndNewlines)
        s = replace(s, pattern: "(^|[.!?]\\s+)the customer") { groups in groups[1] + "The customer" }
        return s
    }

    private static func replace(_ text: String, pattern: String, _ transform: ([String]) -> String) -> String {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return text }
        let ns = text as NSString
        var out = ""
        var last = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            out += ns.substring(with: NSRange(location: last, length: match.range.location - last))
            let groups = (0..<match.numberOfRanges).map { i -> String in
                let r = match.range(at: i)
                return r.location == NSNotFound ? "" : ns.substring(with: r)
            }
            out += transform(groups)
            last = match.range.location + match.range.length
        }
        out += ns.substring(from: last)
        return out
    }

    /// 0…999 in English words ("thirty-four", "one hundred and five").
    static func words(_ digits: String) -> String {
        guard let n = Int(digits), n >= 0, n < 1000 else { return "" }
        let ones = [
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
            "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
        ]
        let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
        func below100(_ n: Int) -> String {
            n < 20 ? ones[n] : tens[n / 10] + (n % 10 == 0 ? "" : "-" + ones[n % 10])
        }
        if n < 100 { return below100(n) }
        return ones[n / 100] + " hundred" + (n % 100 == 0 ? "" : " and " + below100(n % 100))
    }
}
