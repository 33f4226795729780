import Agents
import AgoraTesting
import Inference
import Memory
import Storage

/// Builders shared by the Agents tests.
enum Fixture {
    static let alexID = ParticipantID(unchecked: "alex")
    static let boID = ParticipantID(unchecked: "bo")
    static let chenID = ParticipantID(unchecked: "chen")

    static func speak(_ content: String, to: [String] = [], isPrivate: Bool = false) -> String {
        AgentAction.speak(content: content, to: to, isPrivate: isPrivate).json.serialized()
    }

    static func agent(
        _ id: ParticipantID, _ name: String, model: any LanguageModel, narrative: String? = nil,
        memory: (any AgentMemory)? = nil, behaviour: (any BehaviourPolicy)? = nil
    ) -> Agent {
        Agent(
            id: id, profile: AgentProfile(displayName: name, narrative: narrative, attributes: ["age": 34]),
            instructions: "You take part in a focus group.", model: model, memory: memory, behaviour: behaviour)
    }

    static func roster() -> [Participant] {
        [
            Participant(id: alexID, displayName: "Alex"), Participant(id: boID, displayName: "Bo"),
            Participant(id: chenID, displayName: "Chen"),
        ]
    }

    /// A transcript where Bo said something public and Chen whispered to Alex.
    static func transcript() throws -> Transcript {
        var t = try Transcript(roster: roster())
        try t.append(speaker: boID, kind: .utterance, content: "I like the blue one.")
        try t.append(
            speaker: chenID, kind: .utterance, audience: .only([chenID, alexID]), addressees: [alexID],
            content: "Psst, Alex.")
        return t
    }
}
