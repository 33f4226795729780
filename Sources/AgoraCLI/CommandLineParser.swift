import Foundation

/// One option of a command: `--name VALUE` or a `--flag`.
struct OptionSpec: Sendable {
    /// The option with its dashes, e.g. `--model`.
    var name: String
    /// The placeholder of the value (`SPEC`), or `nil` for a flag.
    var value: String?
    /// One line of help.
    var help: String
    /// Whether the option may be given more than once.
    var repeatable = false

    static func option(_ name: String, _ value: String, _ help: String, repeatable: Bool = false) -> OptionSpec {
        OptionSpec(name: name, value: value, help: help, repeatable: repeatable)
    }

    static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, value: nil, help: help)
    }
}

/// A positional argument.
struct PositionalSpec: Sendable {
    var name: String
    var help: String
    var required = true
    /// Takes every remaining word (only the last positional).
    var variadic = false
}

/// How a command is called; the same table parses the arguments and prints `--help`.
struct CommandSpec: Sendable {
    /// The words after `agora`, e.g. `["model", "check"]`.
    var path: [String]
    /// One sentence: what the command does.
    var summary: String
    var positionals: [PositionalSpec] = []
    var options: [OptionSpec] = []
    /// More paragraphs for `--help`.
    var discussion: String = ""

    var usage: String {
        var parts = ["agora"] + path
        for p in positionals { parts.append(p.required ? p.name : "[\(p.name)]") }
        for o in options {
            parts.append("[\(o.name)\(o.value.map { " " + $0 } ?? "")]")
        }
        return parts.joined(separator: " ")
    }

    var help: String {
        var lines = [summary, "", "Usage: \(usage)"]
        if !positionals.isEmpty {
            lines.append("")
            lines.append("Arguments:")
            for p in positionals {
                lines.append("  \(p.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(p.help)")
            }
        }
        lines.append("")
        lines.append("Options:")
        for o in options + [.flag("--help", "Show this help.")] {
            let left = o.name + (o.value.map { " " + $0 } ?? "")
            lines.append("  \(left.padding(toLength: 24, withPad: " ", startingAt: 0)) \(o.help)")
        }
        if !discussion.isEmpty {
            lines.append("")
            lines.append(discussion)
        }
        return lines.joined(separator: "\n")
    }
}

/// Parsed arguments of one command.
struct ParsedArguments: Sendable {
    var positionals: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// The last value given for `name`.
    func value(_ name: String) -> String? { values[name]?.last }
    /// Every value given for a repeatable option, in order.
    func values(_ name: String) -> [String] { values[name] ?? [] }
    /// Whether a flag was given.
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// An integer option, checked.
    func int(_ name: String, range: ClosedRange<Int> = Int.min...Int.max) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            let bounds = range.lowerBound == Int.min ? "" : " between \(range.lowerBound) and \(range.upperBound)"
            throw UsageError("\(name) expects a whole number\(bounds), got \"\(text)\"")
        }
        return number
    }

    /// An unsigned 64-bit option (seeds).
    func uint64(_ name: String) throws(UsageError) -> UInt64? {
        guard let text = value(name) else { return nil }
        guard let number = UInt64(text) else {
            throw UsageError("\(name) expects a non-negative whole number, got \"\(text)\"")
        }
        return number
    }

    /// One of a fixed set of words.
    func choice(_ name: String, _ allowed: [String]) throws(UsageError) -> String? {
        guard let text = value(name) else { return nil }
        guard allowed.contains(text) else {
            throw UsageError("\(name) must be one of \(allowed.joined(separator: ", ")), got \"\(text)\"")
        }
        return text
    }

    /// Parses `arguments` (the words after the command path) against `spec`.
    static func parse(_ arguments: [String], spec: CommandSpec) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if onlyPositionals || !word.hasPrefix("--") || word == "-" {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            var name = word
            var inline: String?
            if let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                inline = String(word[word.index(after: equals)...])
            }
            guard let option = spec.options.first(where: { $0.name == name }) else {
                throw UsageError("unknown option \(name) for `agora \(spec.path.joined(separator: " "))`; see --help")
            }
            if let placeholder = option.value {
                let value: String
                if let inline {
                    value = inline
                } else {
                    guard index < arguments.count else { throw UsageError("\(name) needs a value (\(placeholder))") }
                    value = arguments[index]
                    index += 1
                }
                if !option.repeatable, parsed.values[name] != nil {
                    throw UsageError("\(name) is given twice")
                }
                parsed.values[name, default: []].append(value)
            } else {
                if inline != nil { throw UsageError("\(name) is a flag and takes no value") }
                parsed.flags.insert(name)
            }
        }
        let required = spec.positionals.filter(\.required).count
        if parsed.positionals.count < required {
            let missing = spec.positionals.filter(\.required)[parsed.positionals.count].name
            throw UsageError("missing \(missing); usage: \(spec.usage)")
        }
        if parsed.positionals.count > spec.positionals.count, spec.positionals.last?.variadic != true {
            throw UsageError(
                "unexpected argument \"\(parsed.positionals[spec.positionals.count])\"; usage: \(spec.usage)")
        }
        return parsed
    }
}

/// A mistake on the command line: one line, exit code 2.
struct UsageError: Error, Sendable, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
