public import Inference

/// How a log is projected into one viewer's chat messages (spec memory.md §A.5).
public struct ProjectionConfig: Hashable, Codable, Sendable {
    /// When other speakers' utterances carry a `Name: ` label.
    public enum LabelPolicy: String, Hashable, Codable, Sendable, CaseIterable {
        /// Always label.
        case always
        /// Label unless the roster has exactly one other non-observer (SPASM's PARTNER form).
        case whenMultiParty
        /// Never label (content verbatim).
        case never
    }

    /// What a late joiner sees of the talk before it joined.
    public enum BacklogPolicy: String, Hashable, Codable, Sendable, CaseIterable {
        /// Nothing before the join.
        case fromJoin
        /// Public events before the first join (never earlier asides).
        case full
        /// A stored `summary` event addressed to the joiner (projection renders it like `.fromJoin`).
        case summary
    }

    /// What third parties learn of an aside; the engine writes any notice into the log itself.
    public enum AsideVisibility: String, Hashable, Codable, Sendable, CaseIterable {
        /// Nothing.
        case hidden
        /// The engine appends a public narration such as "Alex whispered something to Bo."
        case existence
    }

    /// Where the viewer's own thoughts go.
    public enum OwnThoughts: String, Hashable, Codable, Sendable, CaseIterable {
        /// Never in the chat body; prompt assembly may surface them in `system`.
        case omit
    }

    /// How the viewer's own past utterances are written.
    public enum OwnTurnFormat: String, Hashable, Codable, Sendable, CaseIterable {
        /// The content verbatim (private ones prefixed `(privately to …) `).
        case plainText
        /// The action object the viewer emits: `{"action":"speak",…,"content":…}`.
        case actionJSON
    }

    /// Whether the body opens with the kickoff narration.
    public enum KickoffPolicy: String, Hashable, Codable, Sendable, CaseIterable {
        /// Always (prefix-stable from the first event on).
        case always
        /// Only when the first visible event is the viewer's own or there is none (strict SPASM).
        case whenNeeded
    }

    /// Egocentric projection or one of the ablation baselines.
    public var mode: ProjectionMode = .egocentric
    /// When to label others.
    public var labelOthers: LabelPolicy = .whenMultiParty
    /// What late joiners see.
    public var backlog: BacklogPolicy = .fromJoin
    /// Aside notices (engine-side; recorded here so a run states it).
    public var asideVisibility: AsideVisibility = .hidden
    /// Whether joins and leaves are announced.
    public var announceMembership = true
    /// Whether observers' joins and leaves are announced.
    public var announceObservers = false
    /// Where own thoughts go.
    public var ownThoughts: OwnThoughts = .omit
    /// How own turns are written.
    public var ownTurnFormat: OwnTurnFormat = .plainText
    /// When the kickoff appears.
    public var kickoff: KickoffPolicy = .always
    /// The kickoff text.
    public var kickoffText = "[Narrator] The conversation begins."
    /// The cue appended when the body would end with the viewer's own message.
    public var turnCueText = "[Narrator] It is your turn to speak."
    /// The label of narrator lines, `[Narrator] …`.
    public var narratorLabel = "Narrator"

    /// The default configuration.
    public init() {}
}

/// The projection algorithm: the egocentric projection, or a baseline for ablations.
public enum ProjectionMode: String, Hashable, Codable, Sendable, CaseIterable {
    /// Egocentric Context Projection: own words `assistant`, others' `user` (§A.5).
    case egocentric
    /// The whole visible history in one `user` message as `Name: text` lines (CONCAT baseline).
    case concatTranscript
    /// Everyone gets the same list: the first non-observer is `user`, all others `assistant`.
    case fixedRoles
}

/// One message of a projection: the chat message plus the event seqs that produced it.
public struct ProjectedMessage: Hashable, Sendable {
    /// The chat message sent to the model.
    public var message: ChatMessage
    /// The seqs of the events merged into it (for tests and debugging; never sent).
    public var sources: [Int]

    /// Creates a projected message.
    public init(message: ChatMessage, sources: [Int]) {
        self.message = message
        self.sources = sources
    }

    /// The chat role.
    public var role: ChatMessage.Role { message.role }
    /// The text.
    public var content: String { message.content }
    /// The tool calls (assistant messages only).
    public var toolCalls: [ToolCall] { message.toolCalls }
    /// The answered call (tool messages only).
    public var toolCallID: String? { message.toolCallID }
}
