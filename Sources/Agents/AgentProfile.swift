public import Population
public import Storage

/// Who an agent is in a conversation: the name others see and, for a simulated person, the
/// `Population.Persona` it plays.
///
/// A role-facing view built once from the one person type (``init(_:)``); roles with no population
/// persona (a scripted interviewer) have only a display name. The persona enters the agent's own
/// system message through the one renderer, `Persona.promptText`; another participant's persona
/// never enters an agent's prompt.
public struct AgentProfile: Sendable, Hashable {
    /// The name others see and the agent answers to, e.g. `Alex`.
    public var displayName: String
    /// The persona the agent plays, if any.
    public var persona: Persona?

    /// The profile of an agent playing `persona`, called by its ``Persona/displayName``.
    public init(_ persona: Persona) {
        displayName = persona.displayName
        self.persona = persona
    }

    /// A profile written in code (a role with no population persona, tests, benchmarks): with a
    /// `personaID`, a `narrative` or `attributes` it carries a persona built from them (its id is
    /// `personaID`, else the display name); with none of them, no persona.
    public init(
        personaID: String? = nil, displayName: String, narrative: String? = nil, attributes: JSONObject = JSONObject()
    ) {
        self.displayName = displayName
        if personaID == nil, narrative == nil, attributes.isEmpty {
            persona = nil
        } else {
            persona = Persona(
                id: personaID ?? displayName, name: displayName, attributes: attributes, narrative: narrative)
        }
    }

    /// The id of the persona the agent plays (`p000042`), if any.
    public var personaID: String? { persona?.id }

    /// The persona block of the system message (`Persona.promptText`; empty without a persona).
    public var personaText: String { persona?.promptText ?? "" }
}
