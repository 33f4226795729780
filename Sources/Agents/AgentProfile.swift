public import Storage

/// Who an agent is, as written into its own system message: a display name, the persona's
/// narrative and its attributes.
///
/// Built from a `Population.Persona` by the caller (`AgentProfile(personaID: p.id, displayName:
/// name, narrative: p.narrative, attributes: p.attributes)`) or written inline for roles such as
/// a moderator. Another participant's profile never enters an agent's prompt.
public struct AgentProfile: Sendable, Hashable {
    /// The persona id this profile came from (`p000042`), if any.
    public var personaID: String?
    /// The name others see and the agent answers to, e.g. `Alex`.
    public var displayName: String
    /// The persona narrative, in the second or third person.
    public var narrative: String?
    /// Persona attributes in their stored order (rendered as `- key: value` lines).
    public var attributes: JSONObject

    /// Creates a profile.
    public init(
        personaID: String? = nil, displayName: String, narrative: String? = nil, attributes: JSONObject = JSONObject()
    ) {
        self.personaID = personaID
        self.displayName = displayName
        self.narrative = narrative
        self.attributes = attributes
    }

    /// The persona block of the system message (empty when there is no narrative and no attribute).
    public var personaText: String {
        var parts: [String] = []
        if let narrative, !narrative.isEmpty { parts.append(narrative) }
        if attributes.count > 0 {
            var lines = ["About you:"]
            for (key, value) in attributes {
                lines.append("- \(key): \(Self.text(value))")
            }
            parts.append(lines.joined(separator: "\n"))
        }
        return parts.joined(separator: "\n\n")
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .array(let items): return items.map(text).joined(separator: ", ")
        case .null: return "unknown"
        default: return value.serialized()
        }
    }
}
