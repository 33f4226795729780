import Agents
import AgoraTesting
import Evaluation
import Foundation
import Inference
import Memory
import Runs
import Storage

/// Conversations, stores and scripted judges for the §C.3 checks.
enum ConsistencyFixtures {
    static let therapist = ParticipantID(unchecked: "p1")
    static let patient = ParticipantID(unchecked: "u")

    /// The §C.1 stub: the therapist at 0, 2, 4, 6 and the patient at 1, 3, 5, 7.
    static func stub(patientLines: Int = 4) throws -> JudgedConversation {
        let roster = [
            Participant(id: therapist, displayName: "Therapist", role: .moderator),
            Participant(id: patient, displayName: "Pat", role: .speaker),
        ]
        var events: [Event] = []
        for i in 0..<(2 * patientLines) {
            let speaker = i % 2 == 0 ? therapist : patient
            events.append(Event(seq: i, speaker: speaker, kind: .utterance, content: "line \(i)"))
        }
        return conversation(try Transcript(roster: roster, events: events), speakers: [patient])
    }

    static func conversation(_ transcript: Transcript, speakers: [ParticipantID]) -> JudgedConversation {
        let judged = speakers.map { id in
            let name = transcript.participant(id)?.displayName ?? id.raw
            let agent = Agent(
                id: id, profile: AgentProfile(displayName: name), role: .speaker,
                instructions: "Answer as yourself.", model: PromptOnlyModel())
            return JudgedSpeaker(
                participant: id, speaker: id.raw, name: name, persona: "You are \(name), 41, a baker in Leeds.",
                instructions: "Answer as yourself.", agent: agent)
        }
        return JudgedConversation(
            unitID: "session-1", unitIndex: 0, condition: "stub", scenario: "A therapy session.",
            transcript: transcript, speakers: judged, turnScenario: "A therapy session.")
    }

    /// A new run store in a fresh temporary folder holding `conversation`'s events as unit 0.
    static func store(_ conversation: JudgedConversation) async throws -> RunStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-eval-\(UUID().uuidString)")
        let manifest = RunManifest(
            runID: folder.lastPathComponent, kind: "focus-group", document: ["id": "stub"], sourceFile: nil, seed: 7,
            model: "scripted")
        let store = try await RunStore.create(
            at: folder, manifest: manifest, personas: [],
            units: [UnitSpec(index: 0, id: conversation.unitID, kind: "session", input: .null)])
        let events = conversation.transcript.events.map {
            RunEvent(seq: $0.seq, kind: $0.kind.rawValue, speaker: $0.speaker?.raw, content: $0.content)
        }
        try await store.commit(UnitOutcome(index: 0, status: .done, result: ["failures": []], events: events))
        return store
    }

    static func verdict(_ verdict: String, reason: String = "It fits.") -> String {
        #"{"reason": "\#(reason)", "verdict": "\#(verdict)"}"#
    }

    static func conflicts(_ list: [Int]) -> String {
        #"{"reason": "Compared.", "conflicts": [\#(list.map(String.init).joined(separator: ", "))]}"#
    }

    static func question(_ k: Int, answer: String, options: Int = 5) -> String {
        let list = (0..<options).map { #""option \#(k)-\#($0)""# }.joined(separator: ", ")
        return #"{"question": "What is fact \#(k) about you?", "options": [\#(list)], "answer": "\#(answer)"}"#
    }

    /// The user message of a request.
    static func user(_ request: ChatRequest) -> String {
        request.messages.last { $0.role == .user }?.content ?? ""
    }
}
