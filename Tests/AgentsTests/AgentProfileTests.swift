import Agents
import AgoraTesting
import Inference
import Memory
import Population
import Storage
import Testing

@Suite("AgentProfile")
struct AgentProfileTests {
    static let maria = Persona(
        id: "p000001",
        attributes: JSONObject([("name", "Maria Lopez"), ("age", 34), ("occupation", "nurse"), ("smoker", false)]),
        narrative: "Maria is a night-shift nurse in Phoenix.")

    @Test("a profile built from a persona carries it: its display name, id and the one rendering")
    func builtFromPersona() {
        let profile = AgentProfile(Self.maria)
        #expect(profile.displayName == "Maria Lopez")
        #expect(profile.personaID == "p000001")
        #expect(profile.persona == Self.maria)
        #expect(profile.personaText == Self.maria.promptText)
        #expect(!profile.personaText.contains("- name:"))
    }

    @Test("a role with no persona has only a name; a profile written in code carries a persona built from its parts")
    func writtenInCode() {
        let interviewer = AgentProfile(displayName: "Interviewer")
        #expect(interviewer.persona == nil && interviewer.personaID == nil && interviewer.personaText.isEmpty)
        let alex = AgentProfile(displayName: "Alex", narrative: "Alex cycles.", attributes: ["age": 34])
        #expect(alex.personaText == "Alex cycles.\n\nAbout you:\n- age: 34")
        #expect(AgentProfile(personaID: "p7", displayName: "Bo").personaID == "p7")
    }

    @Test("the agent's system message holds the persona block exactly as Persona.promptText renders it")
    func systemMessageUsesTheOneRenderer() throws {
        let agent = Agent(
            id: Fixture.alexID, profile: AgentProfile(Self.maria), instructions: "You take part in a focus group.",
            model: ScriptedModel(replies: []))
        let roster = [agent.participant, Participant(id: Fixture.boID, displayName: "Bo")]
        let system = agent.systemMessage(for: TurnContext(transcript: try Transcript(roster: roster)))
        #expect(
            system.hasPrefix(
                "You are Maria Lopez. Also present: Bo.\n\n" + Self.maria.promptText
                    + "\n\nYou take part in a focus group."))
    }
}
