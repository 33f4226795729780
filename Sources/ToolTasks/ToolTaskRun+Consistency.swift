public import Evaluation
import Foundation
import Memory
import Population
public import Runs
import Storage

/// Tool-task episodes are conversations the consistency judges read (evaluation.md §C.2): the
/// judged speaker is the simulated user, scored against who it was told to be (the task's
/// `<scenario>` block, its population persona and its behaviour policy, as
/// ``LLMUser/profile(task:persona:population:)`` renders them). The agent under test, a domain
/// party that joins, and the tool calls and results are context the judges read, never judged; a
/// user message that is only a stop token (`###STOP###`) is a protocol move, not a line. Q&A is not
/// measured: the user is not an agent whose projection a probe could fork.
enum ToolTaskConversations {
    /// The done trials' episodes, rebuilt from the events the run store holds for each unit.
    ///
    /// - Parameters:
    ///   - policies: the run's sampled persona policies by id (others are rebuilt from their levels).
    ///   - scriptedUser: whether the run's user was the scripted one (its role instructions differ).
    /// - Throws: ``EvaluationError`` when a stored episode cannot be read back or its task is gone.
    static func conversations(
        _ data: RunData, domain: ToolDomain, policies: [String: PersonaPolicy], scriptedUser: Bool
    ) throws(EvaluationError) -> [JudgedConversation] {
        let library = domain.personas ?? PersonaLibrary.standard
        let roster = EpisodeLog.roster + domain.manifest.parties.map { Participant(id: $0.id, displayName: $0.name) }
        var conversations: [JudgedConversation] = []
        for unit in data.doneUnits {
            let spec = unit.spec
            let events = data.events[spec.index] ?? []
            let taskID = spec.input["task"]?.stringValue ?? ""
            guard let task = domain.task(taskID) else {
                throw EvaluationError(
                    .invalidRun,
                    "unit \(spec.id): the domain has no task \"\(taskID)\" any more; evaluate the run with the domain folder it ran on"
                )
            }
            let policy = spec.input["persona"]?["id"]?.stringValue.map { id in
                policies[id]
                    ?? library.policy(spec.input["persona"]?["levels"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            }
            let population = spec.input["population"].flatMap { try? Persona(json: $0, path: "population") }
            let transcript: Transcript
            do {
                transcript = try JudgedConversation.transcript(events, roster: roster) { ParticipantID(unchecked: $0) }
            } catch {
                throw EvaluationError(.invalidRun, "unit \(spec.id): \(error.message)", underlying: error)
            }
            // A bare stop token ends the episode; it says nothing about the person.
            let unjudged = transcript.events.filter { e in
                e.kind == .utterance && e.speaker == EpisodeLog.user
                    && StopToken.user.contains { $0.token == e.content.trimmingCharacters(in: .whitespacesAndNewlines) }
            }.map(\.seq)
            let user = JudgedSpeaker(
                participant: EpisodeLog.user, speaker: population?.id ?? policy?.id ?? EpisodeLog.user.raw,
                name: roster[1].displayName,
                persona: LLMUser.profile(task: task, persona: policy, population: population),
                instructions: scriptedUser ? scriptedInstructions : LLMUser.guidelines)
            conversations.append(
                JudgedConversation(
                    unitID: spec.id, unitIndex: spec.index, condition: domain.manifest.name,
                    scenario: description(task, domain: domain), transcript: transcript, speakers: [user],
                    projection: EpisodeLog.projectionConfig, unjudged: unjudged))
        }
        return conversations
    }

    /// The role instructions the judges read for the scripted user.
    static let scriptedInstructions =
        "A scripted customer: it opens with the reason for the call and answers the agent's questions from the facts it knows, then stops."

    /// What the judges are told about an episode.
    static func description(_ task: ToolTask, domain: ToolDomain) -> String {
        var text =
            "A customer-support conversation (the \(domain.manifest.name) domain, task \(task.id)): a simulated customer (User) contacts a support agent (Agent), who can use tools"
        let parties = domain.manifest.parties.map(\.name)
        if !parties.isEmpty { text += " and bring in \(parties.joined(separator: ", "))" }
        return text + "."
    }
}

extension ToolTaskRunKind: ConversationSource {
    /// Tool-task scenario files have no `evaluation` section: judge a finished run with `agora evaluate`.
    public var evaluation: EvaluationSettings? { nil }

    /// The done trials' episodes with the simulated user as the judged speaker.
    public func conversations(_ data: RunData) throws -> [JudgedConversation] {
        let scripted = if case .scripted = config.user { true } else { false }
        return try ToolTaskConversations.conversations(
            data, domain: domain, policies: policiesByID, scriptedUser: scripted)
    }
}

extension ToolTaskStoredRun: ConversationSource {
    /// Tool-task scenario files have no `evaluation` section.
    var evaluation: EvaluationSettings? { nil }

    /// The done trials' episodes, read with the domain folder the run's configuration names (its
    /// tasks hold the user's scenario) and the persona policies the run sampled from it.
    ///
    /// - Throws: ``EvaluationError`` when the domain folder no longer loads.
    func conversations(_ data: RunData) throws -> [JudgedConversation] {
        let path = document["domain"]?.stringValue ?? ""
        let domain: ToolDomain
        do {
            domain = try ToolDomain.load(URL(fileURLWithPath: path))
        } catch {
            throw EvaluationError(
                .invalidRun,
                "the run's domain folder \(path) does not load (\(error)); the judges need its tasks: restore the folder the run used",
                file: path, underlying: error)
        }
        let library = domain.personas ?? PersonaLibrary.standard
        let count = Int(document["personas"]?.intValue ?? 0)
        let sampled = count > 0 ? library.sample(count: count, seed: seed) : []
        return try ToolTaskConversations.conversations(
            data, domain: domain, policies: Dictionary(sampled.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
            scriptedUser: document["user"]?.stringValue == "scripted")
    }
}
