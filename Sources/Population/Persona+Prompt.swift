public import Storage

/// The one rendering of a persona into a prompt.
extension Persona {
    /// The persona block of a prompt: the narrative, then `About you:` with one `- key: value` line per
    /// attribute in stored order; sections are separated by a blank line. Empty when the persona has
    /// neither a narrative nor an attribute to show.
    ///
    /// Every role renders a persona through this one property: survey respondents, agents,
    /// interviewers and moderators (through `AgentProfile`) and tool-task users (after the persona is
    /// made task-safe). The `name` attribute is left out: the role's own line names the speaker
    /// ("You are Alex."). Values are written by ``promptValue(_:)``; empty ones are left out.
    public var promptText: String {
        var sections: [String] = []
        if let narrative, !narrative.isEmpty { sections.append(narrative) }
        var lines: [String] = []
        for (key, value) in attributes where key != "name" {
            let text = Self.promptValue(value)
            if !text.isEmpty { lines.append("- \(key): \(text)") }
        }
        if !lines.isEmpty { sections.append((["About you:"] + lines).joined(separator: "\n")) }
        return sections.joined(separator: "\n\n")
    }

    /// An attribute value as prompt text: strings as written, Booleans `yes`/`no`, numbers as
    /// canonical JSON (`34`, `2.5`), lists joined with `, ` (empty items dropped), objects as canonical
    /// JSON, `null` as the empty string.
    public static func promptValue(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "yes" : "no"
        case .null: return ""
        case .array(let items): return items.map(promptValue).filter { !$0.isEmpty }.joined(separator: ", ")
        case .integer, .number, .object: return CanonicalJSON.string(value)
        }
    }
}
