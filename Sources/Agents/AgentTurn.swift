public import Inference
public import Memory

/// What the world engine gives an agent for one turn (or one urge call).
public struct TurnContext: Sendable {
    /// The conversation so far, perspective-free, with its roster.
    public var transcript: Transcript
    /// Scenario instructions shared by every participant (after the agent's own role instructions).
    public var scenario: String
    /// How the log is projected for every viewer of this world.
    public var projection: ProjectionConfig
    /// The world's turn index (0-based).
    public var turn: Int
    /// The world's completed rounds.
    public var round: Int
    /// How many turns this agent has already taken.
    public var ownTurns: Int
    /// The sampling seed for this call, drawn from the agent's own stream (run seed, agent id).
    public var seed: UInt64
    /// A narrator line appended to the last user message for this turn only (e.g. a phase instruction).
    public var cue: String?

    /// Creates a context.
    public init(
        transcript: Transcript, scenario: String = "", projection: ProjectionConfig = ProjectionConfig(), turn: Int = 0,
        round: Int = 0, ownTurns: Int = 0, seed: UInt64 = 0, cue: String? = nil
    ) {
        self.transcript = transcript
        self.scenario = scenario
        self.projection = projection
        self.turn = turn
        self.round = round
        self.ownTurns = ownTurns
        self.seed = seed
        self.cue = cue
    }
}

/// The result of one agent turn: an action, or a failure recorded instead of invented content.
public struct AgentTurn: Sendable {
    /// An action or a failure.
    public enum Outcome: Sendable {
        /// The agent acted; addressee names are resolved to roster display names.
        case action(AgentAction)
        /// The agent produced no usable action.
        case failed(TurnFailure)
    }

    /// The action or failure.
    public var outcome: Outcome
    /// The raw model texts, one per generation (empty when a behaviour policy decided).
    public var raw: [String]
    /// Whether the sanitiser cut a generation because it started writing for someone else.
    public var roleConfusion: Bool
    /// Names in `to` that matched no one present in the roster (dropped).
    public var unknownAddressees: [String]
    /// Tokens over all calls of this turn (calls that failed outright report none).
    public var usage: Usage
    /// Model calls made, repair rounds included.
    public var calls: Int
    /// Generations beyond the first (sanitiser regenerations).
    public var regenerations: Int
    /// What the agentic recall path did before the turn, if it ran.
    public var recall: RecallRecord?
    /// What the prompt showed and left out (window, memory budget, fitting); `nil` when no prompt
    /// was assembled (a behaviour policy decided).
    public var context: ContextRecord?

    /// Creates a turn result.
    public init(
        outcome: Outcome, raw: [String] = [], roleConfusion: Bool = false, unknownAddressees: [String] = [],
        usage: Usage = Usage(), calls: Int = 0, regenerations: Int = 0, recall: RecallRecord? = nil
    ) {
        self.outcome = outcome
        self.raw = raw
        self.roleConfusion = roleConfusion
        self.unknownAddressees = unknownAddressees
        self.usage = usage
        self.calls = calls
        self.regenerations = regenerations
        self.recall = recall
    }

    /// The action, if the turn did not fail.
    public var action: AgentAction? {
        if case .action(let action) = outcome { return action }
        return nil
    }

    /// The failure, if the turn failed.
    public var failure: TurnFailure? {
        if case .failed(let failure) = outcome { return failure }
        return nil
    }
}

/// Why a turn produced no action.
public struct TurnFailure: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The answer did not match the action schema, also after the repair round.
        case invalidAction
        /// Nothing was left after sanitising, also after regenerating.
        case emptyContent
        /// A private aside named no one present.
        case noAudience
        /// The model endpoint failed (see `underlying`; `isEndpointUnusable` there means stop the run).
        case model
        /// The world cannot carry out the action (e.g. a tool call without a tool executor).
        case unsupported
    }

    /// The kind.
    public var kind: Kind
    /// What happened, in one line.
    public var message: String
    /// The error underneath (usually an `InferenceError`).
    public var underlying: (any Error & Sendable)?

    /// Creates a failure.
    public init(_ kind: Kind, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    /// Whether the underlying error says the model endpoint is unusable (the run should stop, exit 3).
    public var isEndpointUnusable: Bool {
        (underlying as? InferenceError)?.isEndpointUnusable ?? false
    }

    /// Whether the underlying error stops the run (an unusable endpoint, a replay-only cache miss,
    /// a prompt too long for the model's window): never graded as the agent's behaviour.
    public var stopsRun: Bool {
        (underlying as? InferenceError)?.stopsRun ?? false
    }

    /// `kind: message`.
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// The result of an urge call (self-selected turn taking).
public struct UrgeResult: Sendable, Hashable {
    /// The urge 0–9, or `nil` when the call failed (the world treats it as 0).
    public var score: Int?
    /// Why the call failed, if it did.
    public var failure: String?
    /// Tokens used.
    public var usage: Usage
    /// Model calls made.
    public var calls: Int

    /// Creates a result.
    public init(score: Int?, failure: String? = nil, usage: Usage = Usage(), calls: Int = 0) {
        self.score = score
        self.failure = failure
        self.usage = usage
        self.calls = calls
    }
}
