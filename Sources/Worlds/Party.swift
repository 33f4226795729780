public import Agents
import Inference
public import Memory

/// Someone who takes turns in a ``World``: an LLM ``Agent``, or any other party — a scripted
/// stand-in, an agent under test behind a webhook, a simulated user of a tool task.
///
/// The world hands the party the ``Floor`` and writes the ``Move`` it returns into the log; a party
/// never appends to the log itself. What a party's model may see is the projection of the log for
/// that party (ECP): a party that prompts a model projects ``Floor/context``'s transcript for itself,
/// as ``Agent`` does.
public protocol Party: Sendable {
    /// The roster entry: id, display name, role and membership. A party that is absent until a
    /// tool call brings it in (``ToolExecution/joins``) starts with `Membership(start: Int.max)`.
    var participant: Participant { get }
    /// The model behind the party, for the world's call records (`nil`: none the world should name).
    var modelIdentifier: String? { get }
    /// Makes one move on `floor`.
    ///
    /// A party that cannot act returns a failed turn (``Move/turn(_:)`` with a failed
    /// `AgentTurn`), never invented content. Throw only for cancellation or a bug: an ``AgentError``
    /// becomes a ``WorldError`` (`world`), `cancelled` a `CancellationError`.
    func move(on floor: Floor) async throws -> Move
}

extension Party {
    /// No model by default.
    public var modelIdentifier: String? { nil }
}

/// What a party is handed when it has the floor.
public struct Floor: Sendable {
    /// The log as it stands, the scenario, the projection settings, this party's seed and turn count.
    public var context: TurnContext
    /// Every turn the world has taken, in order (a party that groups its own earlier moves, as a
    /// tool-task participant rebuilds its tau2 messages, reads them here).
    public var turns: [TurnRecord]

    /// Creates a floor.
    public init(context: TurnContext, turns: [TurnRecord] = []) {
        self.context = context
        self.turns = turns
    }
}

/// What a party does with the floor.
public enum Move: Sendable {
    /// An action (speak, think, pass, leave, call_tool) or a failure, with the model calls that
    /// produced it: what ``Agent/act(in:)`` returns.
    case turn(AgentTurn)
    /// A batch of tool calls, as a chat model sends them (tau2's tool-call message): the world runs
    /// them in order through ``WorldOptions/toolExecutor``, writing each call and its result for the
    /// caller alone. Under ``TurnTaking/halfDuplex(_:)`` the caller keeps the floor.
    case toolCalls([ToolRequest])

    /// A move that says `text` to the room (or to `to`, display names).
    public static func say(_ text: String, to: [String] = []) -> Move {
        .turn(AgentTurn(outcome: .action(.speak(content: text, to: to, isPrivate: false))))
    }

    /// A failed move.
    public static func failed(_ failure: TurnFailure) -> Move {
        .turn(AgentTurn(outcome: .failed(failure)))
    }
}

extension Agent: Party {
    /// The agent's model.
    public var modelIdentifier: String? { model.identifier }

    /// One structured-output turn (``Agent/act(in:)``) on the floor's context.
    public func move(on floor: Floor) async throws -> Move {
        .turn(try await act(in: floor.context))
    }
}
