/// A behaviour policy shapes a simulated user beyond its persona: extra guidance for a turn, or an
/// action taken without asking the model (e.g. leaving when patience runs out).
///
/// Policies are pure functions of ``BehaviourState``, so runs stay deterministic.
public protocol BehaviourPolicy: Sendable {
    /// Extra instructions for this turn, appended to the system message; `nil` for none.
    func guidance(for state: BehaviourState) -> String?
    /// An action to take instead of calling the model; `nil` to let the model decide.
    func override(for state: BehaviourState) -> AgentAction?
}

/// What a behaviour policy may look at.
public struct BehaviourState: Sendable, Hashable {
    /// How many turns this agent has already taken in the world (0 on its first).
    public var ownTurns: Int
    /// The world's turn index (0-based).
    public var turn: Int
    /// The world's completed rounds.
    public var round: Int

    /// Creates a state.
    public init(ownTurns: Int, turn: Int, round: Int) {
        self.ownTurns = ownTurns
        self.turn = turn
        self.round = round
    }
}

/// A simulated user with fixed guidance (a style, a difficulty) that leaves after a number of its
/// own turns.
public struct PatiencePolicy: BehaviourPolicy, Hashable {
    /// Guidance added to every turn (e.g. "You are in a hurry; keep answers short.").
    public var style: String?
    /// The agent leaves on its turn once it has taken this many turns; `nil`: never.
    public var patience: Int?

    /// Creates a policy.
    public init(style: String? = nil, patience: Int? = nil) {
        self.style = style
        self.patience = patience
    }

    /// The fixed style.
    public func guidance(for state: BehaviourState) -> String? { style }

    /// `leave` (with no parting line) once patience is used up.
    public func override(for state: BehaviourState) -> AgentAction? {
        if let patience, state.ownTurns >= patience { return .leave(content: "") }
        return nil
    }
}
