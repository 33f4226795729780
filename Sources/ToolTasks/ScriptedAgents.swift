import Runs
import Storage

/// Replays a task's gold actions, one call per message, then says `x_gold_messages` (or the joined
/// `communicate_info`), then stops. A test and lint fixture: it reads the evaluation criteria.
public struct GoldReplayAgent: ToolTaskAgent {
    /// Creates the agent.
    public init() {}

    /// The next gold step of the viewer (the agent under test, or the domain party playing its own
    /// `x_party` actions), the closing text, or `###STOP###`. A domain party addresses its closing to the user.
    public func next(_ view: AgentView) async throws -> AgentMessage {
        let party = view.party
        let own = view.ownMessages
        let made = own.filter { !$0.toolCalls.isEmpty }.count
        let actions = view.task.actions.filter { $0.party == party }
        if made < actions.count {
            let action = actions[made]
            return .calls([
                ToolInvocation(
                    id: party.map { "gold_\($0)_\(made)" } ?? "gold_\(made)", name: action.name,
                    arguments: CanonicalJSON.string(action.arguments),
                    side: action.requestor)
            ])
        }
        let closing = view.task.goldClosingText(party: party)
        if own.contains(where: { $0.content == closing }) { return .text("###STOP###") }
        return .text(closing, to: party == nil ? [] : [view.userName])
    }
}

/// Does nothing: answers every turn with "I can't help with that." (linter rule 2's canonical no-op).
public struct NoOpAgent: ToolTaskAgent {
    /// Creates the agent.
    public init() {}

    /// Always the same refusal.
    public func next(_ view: AgentView) async throws -> AgentMessage { .text("I can't help with that.") }
}

/// Replays a fixed list of agent messages (tests), then `###STOP###`.
public struct ScriptedAgent: ToolTaskAgent {
    /// The messages, in order.
    public var messages: [AgentMessage]
    /// Creates the agent.
    public init(_ messages: [AgentMessage]) { self.messages = messages }

    /// The next scripted message.
    public func next(_ view: AgentView) async throws -> AgentMessage {
        let sent = view.ownMessages.count - 1  // minus the greeting
        return sent < messages.count ? messages[sent] : .text("###STOP###")
    }
}
