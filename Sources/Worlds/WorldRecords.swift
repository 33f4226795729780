public import Agents
public import Inference
public import Memory

/// What one turn of one agent produced: the raw material for the run store and reports.
public struct TurnRecord: Sendable {
    /// The world turn index (0-based, over all phases).
    public var index: Int
    /// The completed rounds when the turn was taken.
    public var round: Int
    /// The phase (0 for the first; see ``World/beginPhase(turnTaking:termination:scenario:)``).
    public var phase: Int
    /// Who took the turn.
    public var participant: ParticipantID
    /// The action, with addressees resolved and text sanitised; `nil` when the turn failed or was a
    /// batch of tool calls (``toolCalls``).
    public var action: AgentAction?
    /// Why the turn failed, if it did.
    public var failure: TurnFailure?
    /// The seqs of the events this turn appended (empty for a pass or a failure).
    public var events: [Int]
    /// Whether the sanitiser cut the generation (role confusion).
    public var roleConfusion: Bool
    /// Addressee names that matched no one (dropped).
    public var unknownAddressees: [String]
    /// The raw model texts of the turn.
    public var raw: [String]
    /// Tokens used by the turn.
    public var usage: Usage
    /// Model calls made by the turn.
    public var calls: Int
    /// For self-selected turns: every candidate's urge (roster order; `nil` = the call failed).
    public var urges: [Urge]
    /// What the agentic recall path did before the turn, if it ran (its calls are in ``calls``).
    public var recall: RecallRecord? = nil
    /// What the turn's prompt showed and left out (history window, memory budget, fitting).
    public var context: ContextRecord? = nil
    /// The tool calls the turn ran, in order (a `call_tool` action's one call, or a batch).
    public var toolCalls: [ToolCallRecord] = []

    /// One candidate's urge.
    public struct Urge: Sendable, Hashable {
        /// The candidate.
        public var participant: ParticipantID
        /// Its urge 0–9, or `nil` when the call failed (counted as 0).
        public var score: Int?
    }

    /// Whether the turn failed.
    public var isFailed: Bool { failure != nil }

    /// The text the turn said aloud (a `speak` action's content), if it spoke.
    public var spoken: String? {
        if case .speak(let content, _, _) = action { return content }
        return nil
    }
}

/// One model call (or one structured call with its repair round) made by the world.
public struct ModelCallRecord: Sendable, Hashable {
    /// What the call was for.
    public enum Purpose: String, Sendable, Hashable, Codable {
        /// An agent turn.
        case turn
        /// An urge call (self-selection).
        case urge
        /// The termination detector.
        case detector
        /// A memory update.
        case memory
    }

    /// What the call was for.
    public var purpose: Purpose
    /// The agent concerned (nil for the detector).
    public var participant: ParticipantID?
    /// The world turn index it belongs to.
    public var turn: Int
    /// The model identifier.
    public var model: String
    /// Tokens used.
    public var usage: Usage
    /// Calls made (a repair round counts).
    public var calls: Int
    /// Why it failed, if it did.
    public var failure: String?
}
