public import Agents
import Inference
public import Memory

/// Who speaks next (issue #5, item 2).
public enum TurnTaking: Sendable, Hashable {
    /// Present speakers in roster order, one turn each, over and over.
    case roundRobin
    /// A moderator holds the floor between participants' turns; see ``ModeratedTurns``.
    case moderated(ModeratedTurns)
    /// Every candidate states an urge 0–9 in a cheap structured call; the highest speaks, ties are
    /// broken by the world's seeded `floor` stream, and no one speaks more than `maxConsecutive`
    /// turns in a row.
    case selfSelection(maxConsecutive: Int)
    /// Everyone present acts on the same snapshot of the log; the events are appended in roster order.
    case simultaneous
    /// One party at a time, tool calls inside a turn (tau2's orchestrator); see ``HalfDuplexTurns``.
    case halfDuplex(HalfDuplexTurns)
}

/// Half-duplex turn taking with tools: one party holds the floor at a time; a move that calls tools
/// keeps it (the caller reads the results and moves again); a text move passes it on:
/// 1. to the first present party it addresses (`to`), in roster order;
/// 2. else to the party a tool call brought in during the speaker's turn (the newest one): a warm
///    transfer, where the one called in speaks next;
/// 3. else to the last other present party who spoke (the one being answered);
/// 4. else to the next present party in roster order.
///
/// With two parties this is strict alternation. A failed move passes the floor like a text move.
public struct HalfDuplexTurns: Sendable, Hashable {
    /// The fixed first move of each phase, or `nil` to let the first present party in roster order move.
    public var opening: Opening?

    /// A fixed first move: `participant` says `text` without being asked (tau2's agent greeting).
    public struct Opening: Sendable, Hashable {
        /// Who opens.
        public var participant: ParticipantID
        /// What it says.
        public var text: String

        /// Creates an opening.
        public init(participant: ParticipantID, text: String) {
            self.participant = participant
            self.text = text
        }
    }

    /// Creates half-duplex turn taking.
    public init(opening: Opening? = nil) {
        self.opening = opening
    }
}

/// A stop token: a text move containing `token` ends the world (``Termination/Reason/stopToken``)
/// once the move is written, so the text before or around the token stays in the log.
public struct StopRule: Sendable, Hashable {
    /// The token, matched anywhere in the text (tau2: `###STOP###`).
    public var token: String
    /// Who may stop the world with it (`nil`: anyone).
    public var speakers: [ParticipantID]?

    /// Creates a rule.
    public init(token: String, speakers: [ParticipantID]? = nil) {
        self.token = token
        self.speakers = speakers
    }
}

/// Moderator-directed turn taking.
///
/// Without a script the moderator names the next speakers: after each moderator turn, the present
/// participants it addressed (`to`, public or private) speak once each in roster order, then the
/// floor returns to the moderator. A moderator turn that names no one gives the floor to the next
/// participant in roster order after the last one who held it. With a script the floor goes, after
/// each moderator turn, to the next scripted participant (absent ones are skipped); when the script
/// is used up the moderator has one last turn and the world ends with ``Termination/Reason/scriptEnded``.
public struct ModeratedTurns: Sendable, Hashable {
    /// The moderator (a participant of the world).
    public var moderator: ParticipantID
    /// The order in which participants get the floor, or `nil` to let the moderator name them.
    public var script: [ParticipantID]?

    /// Creates moderated turn taking.
    public init(moderator: ParticipantID, script: [ParticipantID]? = nil) {
        self.moderator = moderator
        self.script = script
    }
}

/// When a world stops (spec memory.md §A.6). Caps count the turns of the current phase; every
/// turn taken counts, passes and failed turns included.
public struct TerminationRules: Sendable {
    /// Turns in the phase after which the world ends (`turnCap`).
    public var maxTurns: Int
    /// Turns one agent may take in the phase; an agent at its cap is no longer scheduled, and when
    /// no one can be scheduled the world ends (`turnCap`).
    public var maxTurnsPerAgent: Int?
    /// The world ends (`allLeft`) when fewer present non-observers remain.
    public var minimumPresent: Int
    /// End (`allPassed`) once every present speaker passed since the last action that was not a pass.
    public var endWhenAllPass: Bool
    /// End (`failures`) after this many failed turns in a row.
    public var maxConsecutiveFailures: Int
    /// The model-based termination detector, or `nil` for none.
    public var detector: TerminationDetector?
    /// Stall detection, or `nil` for none.
    public var stall: StallDetector?
    /// Steps in the phase after which the world ends (``Termination/Reason/stepCap``): every move
    /// counts one step and a move that ran tools one more for its results (tau2's `max_steps`);
    /// `nil`: no step limit.
    public var maxSteps: Int?
    /// Failed tool calls in the phase at which the world ends (``Termination/Reason/toolErrors``,
    /// checked after each move); `nil`: no limit.
    public var maxToolErrors: Int?
    /// Stop tokens, in priority order: the first one a text move contains ends the world.
    public var stopRules: [StopRule]

    /// Creates rules.
    public init(
        maxTurns: Int = 50, maxTurnsPerAgent: Int? = 25, minimumPresent: Int = 2, endWhenAllPass: Bool = true,
        maxConsecutiveFailures: Int = 6, detector: TerminationDetector? = nil, stall: StallDetector? = StallDetector(),
        maxSteps: Int? = nil, maxToolErrors: Int? = nil, stopRules: [StopRule] = []
    ) {
        self.maxTurns = maxTurns
        self.maxTurnsPerAgent = maxTurnsPerAgent
        self.minimumPresent = minimumPresent
        self.endWhenAllPass = endWhenAllPass
        self.maxConsecutiveFailures = maxConsecutiveFailures
        self.detector = detector
        self.stall = stall
        self.maxSteps = maxSteps
        self.maxToolErrors = maxToolErrors
        self.stopRules = stopRules
    }
}

/// A participant that joins after the start.
public struct Arrival: Sendable, Hashable {
    /// Who joins (an agent of the world).
    public var participant: ParticipantID
    /// The world turn index before which it joins (0: before the first turn).
    public var beforeTurn: Int

    /// Creates an arrival.
    public init(participant: ParticipantID, beforeTurn: Int) {
        self.participant = participant
        self.beforeTurn = beforeTurn
    }
}

/// Everything that shapes a world besides its parties.
public struct WorldOptions: Sendable {
    /// Who speaks next.
    public var turnTaking: TurnTaking
    /// When it stops.
    public var termination: TerminationRules
    /// How the log is projected for every viewer (aside notices follow `asideVisibility`).
    public var projection: ProjectionConfig
    /// Scenario instructions shown to every agent (after its own role instructions).
    public var scenario: String
    /// The run seed; each agent's stream derives from (seed, agent id), the floor's from (seed, "floor").
    public var seed: UInt64
    /// Participants that join later (absent until then).
    public var arrivals: [Arrival]
    /// The MemListener seam: when set, each agent's memory is updated after each chunk of
    /// `memoryChunk` exchanges involving it, and at the end.
    public var memoryUpdater: (any MemoryUpdater)?
    /// Exchanges per memory update (spec memory.md §B.2.4: up to 3).
    public var memoryChunk: Int
    /// Whether memory updates run in the background while others speak. In the background an
    /// agent's update is applied before its first turn (or urge call) that comes at least one
    /// round (a turn per party) after the update started, waiting for it if needed; in the
    /// foreground it is applied at once. The update's input is fixed when it starts and the rule
    /// counts turns, never time, so outputs are deterministic either way (but differ between the
    /// two settings). Keep it off with a model that answers from a queue in arrival order (a
    /// scripted test model).
    public var memoryInBackground = false
    /// Carries out tool calls (`call_tool` actions and ``Move/toolCalls(_:)``); without one a tool
    /// call is a failed turn (`unsupported`).
    public var toolExecutor: (any ToolExecutor)?
    /// Model calls in flight at once within a world (simultaneous rounds, urge calls).
    public var concurrency: Int
    /// Called after every turn (for a progress display; never part of any output).
    public var onTurn: (@Sendable (TurnProgress) -> Void)? = nil

    /// Creates options.
    public init(
        turnTaking: TurnTaking = .roundRobin, termination: TerminationRules = TerminationRules(),
        projection: ProjectionConfig = ProjectionConfig(), scenario: String = "", seed: UInt64 = 0,
        arrivals: [Arrival] = [], memoryUpdater: (any MemoryUpdater)? = nil, memoryChunk: Int = 3,
        toolExecutor: (any ToolExecutor)? = nil, concurrency: Int = 8
    ) {
        self.turnTaking = turnTaking
        self.termination = termination
        self.projection = projection
        self.scenario = scenario
        self.seed = seed
        self.arrivals = arrivals
        self.memoryUpdater = memoryUpdater
        self.memoryChunk = memoryChunk
        self.toolExecutor = toolExecutor
        self.concurrency = concurrency
    }
}

/// Where a world stands after a turn, for a progress display.
public struct TurnProgress: Sendable, Hashable {
    /// Turns taken in the current phase.
    public var phaseTurns: Int
    /// The phase's turn budget, if any.
    public var budget: Int?
    /// Turns taken in the whole world.
    public var totalTurns: Int
    /// Who just moved (display name).
    public var speaker: String

    /// Creates a progress value.
    public init(phaseTurns: Int, budget: Int?, totalTurns: Int, speaker: String) {
        self.phaseTurns = phaseTurns
        self.budget = budget
        self.totalTurns = totalTurns
        self.speaker = speaker
    }
}
