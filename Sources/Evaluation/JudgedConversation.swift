public import Agents
public import Inference
public import Memory
public import Runs
import Storage

/// A run kind whose units hold conversations the consistency judges can read (interviews, focus
/// groups, brainstorms, simulated users of tool tasks): `agora evaluate` accepts runs of these
/// kinds only.
public protocol ConversationSource: Sendable {
    /// The conversations of the run's done units, in unit order, each with the simulated speakers
    /// to judge; a pure function of the stored data.
    func conversations(_ data: RunData) throws -> [JudgedConversation]

    /// The scenario's `evaluation` section, if it has one (run inline after the run).
    var evaluation: EvaluationSettings? { get }
}

/// One simulated speaker of a conversation: who the judges score.
public struct JudgedSpeaker: Sendable {
    /// The speaker's participant id in ``JudgedConversation/transcript``.
    public var participant: ParticipantID
    /// The speaker id the run store uses (the persona id): what `--speakers` and the outputs name.
    public var speaker: String
    /// The display name.
    public var name: String
    /// The persona as the speaker's prompt showed it (``Persona/promptText``).
    public var persona: String
    /// The role instructions the speaker was given.
    public var instructions: String
    /// The speaker as an agent (persona, role, settings) whose projection Q&A probes fork; `nil`
    /// when the kind cannot rebuild it (Q&A is then not measured for this speaker).
    public var agent: Agent?

    /// Creates a speaker.
    public init(
        participant: ParticipantID, speaker: String, name: String, persona: String, instructions: String,
        agent: Agent? = nil
    ) {
        self.participant = participant
        self.speaker = speaker
        self.name = name
        self.persona = persona
        self.instructions = instructions
        self.agent = agent
    }
}

/// One finished conversation as the judges see it.
public struct JudgedConversation: Sendable {
    /// The unit id (`session-1`, `r000003`).
    public var unitID: String
    /// The unit index (outputs are ordered by it).
    public var unitIndex: Int
    /// The condition it belongs to (the scenario id; conditions are aggregated separately).
    public var condition: String
    /// The scenario description the judges read.
    public var scenario: String
    /// The perspective-free log with its roster, rebuilt from the run store.
    public var transcript: Transcript
    /// The simulated speakers to judge, in roster order.
    public var speakers: [JudgedSpeaker]
    /// The scenario text the speakers' turn prompts carried (what a Q&A probe's prompt carries).
    public var turnScenario: String
    /// How the log was projected for the speakers.
    public var projection: ProjectionConfig
    /// The seqs of utterances that stay context and are never judged (a tool-task user's bare
    /// `###STOP###`: a protocol token, not something the person says).
    public var unjudged: [Int]

    /// Creates a conversation.
    public init(
        unitID: String, unitIndex: Int, condition: String, scenario: String, transcript: Transcript,
        speakers: [JudgedSpeaker], turnScenario: String = "", projection: ProjectionConfig = ProjectionConfig(),
        unjudged: [Int] = []
    ) {
        self.unitID = unitID
        self.unitIndex = unitIndex
        self.condition = condition
        self.scenario = scenario
        self.transcript = transcript
        self.speakers = speakers
        self.turnScenario = turnScenario
        self.projection = projection
        self.unjudged = unjudged
    }

    /// The utterances of `participant` (asides included) not marked ``unjudged``, in log order: the
    /// lines judged.
    public func lines(of participant: ParticipantID) -> [Event] {
        transcript.events.filter {
            $0.kind == .utterance && $0.speaker == participant && !unjudged.contains($0.seq)
        }
    }

    /// Rebuilds a unit's log from its stored events: speakers through `participant` (persona id →
    /// participant id), `to` display names and `audience` ids as the conversation kinds store them.
    /// Tool calls and results are kept when they carry their payload in `data.tool` (`callID`,
    /// `name`, `caller`, `arguments`, as tool-task episodes store them), else left out.
    ///
    /// - Throws: ``EvaluationError`` when an event names someone not on the roster.
    public static func transcript(
        _ events: [RunEvent], roster: [Participant], participant: (String) -> ParticipantID
    ) throws(EvaluationError) -> Transcript {
        var rebuilt: [Event] = []
        for e in events {
            guard let kind = EventKind(rawValue: e.kind) else { continue }
            var tool: ToolPayload? = nil
            if kind == .toolCall || kind == .toolResult {
                guard let payload = e.data["tool"], let callID = payload["callID"]?.stringValue,
                    let name = payload["name"]?.stringValue, let caller = payload["caller"]?.stringValue
                else { continue }
                tool = ToolPayload(
                    callID: callID, name: name, caller: participant(caller),
                    arguments: payload["arguments"]?.stringValue ?? "")
            }
            var audience = Audience.everyone
            if let ids = e.data["audience"]?.arrayValue {
                audience = .only(ids.compactMap { $0.stringValue.map { ParticipantID(unchecked: $0) } })
            }
            var addressees: [ParticipantID] = []
            for name in e.data["to"]?.arrayValue ?? [] {
                if let match = roster.first(where: { $0.displayName == name.stringValue }) {
                    addressees.append(match.id)
                }
            }
            rebuilt.append(
                Event(
                    seq: e.seq, speaker: e.speaker.map(participant), kind: kind, audience: audience,
                    addressees: addressees, content: e.content, tool: tool))
        }
        do {
            return try Transcript(roster: roster, events: rebuilt)
        } catch {
            throw EvaluationError(.invalidRun, "a stored conversation cannot be read back: \(error)", underlying: error)
        }
    }
}

/// A stand-in model for agents rebuilt only for their prompts (``JudgedSpeaker/agent``): the probe
/// asks the simulator model itself, never this one.
public struct PromptOnlyModel: LanguageModel {
    /// Creates the placeholder.
    public init() {}

    /// `prompt-only`.
    public var identifier: String { "prompt-only" }

    /// Always throws: this model only stands in for prompt assembly.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        throw InferenceError(.invalidConfiguration, "a prompt-only agent was asked to answer")
    }
}
