import Foundation
import Runs
public import Scenarios
public import Storage

/// A full persona from the population factory, as a simulated user carries it (spec §10.6: "a user may
/// also carry a full persona from the population factory").
///
/// The persona only shapes how the user talks. Its text is made safe for a task before it reaches a
/// prompt (invariant 2 of §10.6): the persona's own name becomes "the customer" (the task's user has
/// a name of their own); tokens that mix letters and digits, emails, runs of four or more digits and
/// `#` references (`#12`) are removed; remaining numbers of one to three digits are written in words ("34" → "thirty-four",
/// "25-34" → "twenty-five to thirty-four"), so no digit can be confused with an amount or id of the task.
public struct UserPersona: Sendable, Hashable {
    /// The population persona's id (`p000042`).
    public var id: String
    /// Its attributes, as read (for breakdowns; never shown unsanitised).
    public var attributes: JSONObject
    /// The sanitised narrative, if any.
    public var narrative: String?
    /// The sanitised attribute lines (`key: value`), in attribute order, without `name`.
    public var facts: [String]

    /// Makes a task-safe user persona from a population persona.
    public init(_ persona: ScenarioPersona) {
        id = persona.id
        attributes = persona.attributes
        var names: [String] = []
        if persona.name != persona.id { names.append(persona.name) }
        names += persona.name.split(separator: " ").map(String.init).filter {
            $0.count >= 2 && persona.name != persona.id
        }
        narrative = persona.narrative.map { Self.sanitize($0, names: names) }.flatMap { $0.isEmpty ? nil : $0 }
        facts = persona.attributes.compactMap { key, value -> String? in
            if key == "name" || key == "id" { return nil }
            let text = Self.sanitize(Self.valueText(value), names: names)
            let label = Self.sanitize(key.replacingOccurrences(of: "_", with: " "), names: [])
            guard !text.isEmpty, !label.isEmpty else { return nil }
            return "\(label): \(text)"
        }
    }

    /// The text of the `<persona>` block (narrative, then one `- key: value` line per attribute).
    public var text: String {
        var lines: [String] = []
        if let narrative { lines.append(narrative) }
        lines += facts.map { "- " + $0 }
        return lines.joined(separator: "\n")
    }

    /// An attribute value as text: strings as they are, booleans yes/no, lists joined, numbers as numbers.
    static func valueText(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .bool(let b): return b ? "yes" : "no"
        case .integer(let i): return String(i)
        case .number(let d): return d == d.rounded() && abs(d) < 1e6 ? String(Int(d)) : String(d)
        case .array(let items): return items.map(valueText).filter { !$0.isEmpty }.joined(separator: ", ")
        case .null, .object: return ""
        }
    }

    /// Makes persona text task-safe (see the type's documentation).
    public static func sanitize(_ text: String, names: [String]) -> String {
        var s = text
        // The persona's name: longest first, whole words only.
        for name in names.sorted(by: { $0.count > $1.count }) where !name.isEmpty {
            let pattern = "\\b" + NSRegularExpression.escapedPattern(for: name) + "\\b"
            if let regex = try? NSRegularExpression(pattern: pattern) {
                s = regex.stringByReplacingMatches(
                    in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "the customer")
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

    /// Which population persona each (task, persona policy) pair gets: a permutation of the population
    /// drawn from `seed` (stream `population-users`), cycled over the pairs in unit order. Every persona
    /// is used ⌊pairs/N⌋ or ⌈pairs/N⌉ times; all trials of a pair share the persona, so pass^k compares
    /// like with like.
    public static func assignment(pairs: Int, population: Int, seed: UInt64) -> [Int] {
        guard pairs > 0, population > 0 else { return [] }
        var order = Array(0..<population)
        var stream = RandomStream(seed: seed).substream("population-users")
        stream.shuffle(&order)
        return (0..<pairs).map { order[$0 % population] }
    }

    /// The breakdown key of a persona attribute (`age_band=25-34`; `age_band=(none)` when missing).
    public static func breakdownKey(_ attribute: String, in attributes: JSONObject) -> String {
        let value = attributes[attribute].map { $0.stringValue ?? CanonicalJSON.string($0) } ?? "(none)"
        return attribute + "=" + value
    }
}

/// Where a tool-task run's population personas come from (`--population`, scenario `"population"`).
public enum ToolTaskPopulation: Sendable, Hashable {
    /// A persona JSONL file as `agora population generate` writes it.
    case personas(path: String)
    /// A `POPULATION.json` spec, generated on the fly by the population factory (`count` personas, the
    /// spec's own seed when `nil`).
    case spec(path: String, count: Int?, seed: UInt64?)
    /// Personas given directly (tests, library use).
    case inline([ScenarioPersona])

    /// A file argument: `.jsonl` → personas, anything else → a spec.
    public init(file: String, count: Int? = nil, seed: UInt64? = nil) {
        self = file.hasSuffix(".jsonl") ? .personas(path: file) : .spec(path: file, count: count, seed: seed)
    }

    /// The source as JSON for the run manifest (paths made absolute).
    public var json: JSONValue {
        func absolute(_ p: String) -> JSONValue { .string(URL(fileURLWithPath: p).standardizedFileURL.path) }
        switch self {
        case .personas(let path): return .object(JSONObject([("personas", absolute(path))]))
        case .spec(let path, let count, let seed):
            var o = JSONObject([("spec", absolute(path))])
            if let count { o["count"] = .integer(Int64(count)) }
            if let seed { o["seed"] = .integer(Int64(bitPattern: seed)) }
            return .object(o)
        case .inline(let personas): return .object(JSONObject([("inline", .array(personas.map(\.json)))]))
        }
    }

    /// The personas, in population order, through the scenario layer's loaders (the same JSONL reader
    /// and population factory that `agora run` uses).
    public func resolve(generator: PopulationGenerator? = ScenarioRunner.populationFactory) async throws
        -> [ScenarioPersona]
    {
        switch self {
        case .personas(let path): return try ScenarioRunner.readPersonas(file: path)
        case .inline(let personas):
            guard !personas.isEmpty else {
                throw RunError(.invalidInput, "the population is empty", path: "population")
            }
            return personas
        case .spec(let path, let count, let seed):
            guard let generator else {
                throw RunError(
                    .invalidInput,
                    "cannot generate a population here; run `agora population generate --spec \(path) --out personas.jsonl` and pass the JSONL",
                    file: path)
            }
            let personas = try await generator(path, count, seed)
            guard !personas.isEmpty else {
                throw RunError(.invalidInput, "the population is empty", file: path)
            }
            return personas
        }
    }
}
