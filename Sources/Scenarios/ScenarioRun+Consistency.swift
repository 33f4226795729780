import Agents
public import Evaluation
import Memory
import Population
public import Runs
import Storage

extension ConversationUnit {
    /// The role instructions of a simulated speaker (a session participant, an interviewee).
    var speakerInstructions: String {
        switch scenario.kind {
        case .interview:
            return "You are being interviewed (\(scenario.title)). Answer as yourself, in a few sentences."
        default:
            let what = scenario.kind == .brainstorm ? "a brainstorm" : "a focus group"
            return "You take part in \(what) (\(scenario.title)). Speak as yourself, briefly (one to three sentences)."
        }
    }

    /// The scenario line of an interview's turn prompts.
    var interviewScenario: String { "An interview: \(scenario.title)." }

    /// The scenario line of a session's phase `index` (0-based): its narration and turn prompts.
    func phaseScenario(_ index: Int) -> String {
        guard let spec = scenario.session, spec.phases.indices.contains(index) else { return "" }
        let phase = spec.phases[index]
        return "Phase \(index + 1) of \(spec.phases.count), \(phase.name): \(phase.topic)"
            + (phase.instructions.isEmpty ? "" : " \(phase.instructions)")
    }
}

/// Interviews, focus groups and brainstorms are conversations the consistency judges read
/// (evaluation.md §C.2): the simulated speakers are the interviewee and the session participants
/// (not the moderator or interviewer).
extension ScenarioRunKind: ConversationSource {
    /// The scenario's `evaluation` section.
    public var evaluation: EvaluationSettings? { scenario.evaluation }

    /// The done units' conversations, rebuilt from the store.
    ///
    /// - Throws: ``EvaluationError`` for a survey run (it has no conversations).
    public func conversations(_ data: RunData) throws -> [JudgedConversation] {
        guard scenario.kind != .survey else {
            throw EvaluationError(
                .invalidRun,
                "a survey run has no conversations to judge; evaluate an interview, focus-group, brainstorm or tool-task run"
            )
        }
        let context = ScenarioUnitContext(
            scenario: scenario, run: UnitContext(seed: data.manifest.seed, personas: data.personas))
        var conversations: [JudgedConversation] = []
        for unit in data.doneUnits {
            let events = data.events[unit.spec.index] ?? []
            let conversationUnit = ConversationUnit(context: context, unit: unit.spec)
            // Who took part, in the world's roster order, as (persona id or interviewer, role).
            var people: [(id: String, persona: Persona?, role: ParticipantRole)] = []
            if let session = scenario.session {
                for id in session.participants {
                    people.append((id, try context.persona(id), id == session.moderator ? .moderator : .speaker))
                }
            } else if let interview = scenario.interview {
                if let id = interview.interviewerPersona {
                    people.append((id, try context.persona(id), .moderator))
                } else {
                    people.append((ConversationUnit.interviewerID, nil, .moderator))
                }
                let respondent = unit.spec.input["persona"]?.stringValue ?? ""
                people.append((respondent, try context.persona(respondent), .speaker))
            }
            func name(_ id: String, _ persona: Persona?) -> String {
                events.first { $0.speaker == id }?.speakerName ?? persona?.displayName
                    ?? scenario.interview?.interviewerName ?? id
            }
            let roster = people.map { person in
                Participant(
                    id: ConversationUnit.participantID(person.id), displayName: name(person.id, person.persona),
                    role: person.role)
            }
            let transcript: Transcript
            do {
                transcript = try JudgedConversation.transcript(events, roster: roster) {
                    ConversationUnit.participantID($0)
                }
            } catch {
                throw EvaluationError(
                    .invalidRun, "unit \(unit.spec.id): \(error.message)", underlying: error)
            }
            var speakers: [JudgedSpeaker] = []
            for person in people where person.role == .speaker {
                guard let persona = person.persona else { continue }
                let agent = conversationUnit.agent(
                    persona, role: .speaker, instructions: conversationUnit.speakerInstructions,
                    model: PromptOnlyModel())
                speakers.append(
                    JudgedSpeaker(
                        participant: agent.id, speaker: person.id, name: name(person.id, persona),
                        persona: persona.promptText, instructions: conversationUnit.speakerInstructions, agent: agent))
            }
            conversations.append(
                JudgedConversation(
                    unitID: unit.spec.id, unitIndex: unit.spec.index, condition: scenario.id,
                    scenario: judgeDescription, transcript: transcript, speakers: speakers,
                    turnScenario: scenario.kind == .interview
                        ? conversationUnit.interviewScenario : conversationUnit.phaseScenario(0)))
        }
        return conversations
    }

    /// What the judges are told about the scenario.
    var judgeDescription: String {
        switch scenario.kind {
        case .interview: return "An interview (\(scenario.title))."
        case .brainstorm, .focusGroup:
            let what = scenario.kind == .brainstorm ? "A brainstorm" : "A focus group"
            let phases = (scenario.session?.phases ?? []).map { "\($0.name): \($0.topic)" }
            return "\(what) (\(scenario.title)). Phases: \(phases.joined(separator: "; "))."
        case .survey: return scenario.title
        }
    }

}

extension Scenario {
    /// The `evaluation` section: `{"judge": SPEC, "metrics": [...], "sample": N}` (conversation kinds).
    static func parseEvaluation(_ document: JSONValue, kind: Kind, file: String?) throws(RunError)
        -> EvaluationSettings?
    {
        guard let section = document["evaluation"] else { return nil }
        guard kind != .survey else {
            throw RunError(
                .invalidInput, "a survey has no conversations to judge; remove the evaluation section", file: file,
                path: "$.evaluation")
        }
        do {
            return try EvaluationSettings.parse(section, file: file)
        } catch {
            throw RunError(.invalidInput, error.message, file: file, path: error.path, underlying: error)
        }
    }
}
