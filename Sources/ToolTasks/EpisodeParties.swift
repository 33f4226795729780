import Agents
public import Inference
public import Memory
import Runs
import Storage
import Worlds

/// What the agent under test sends: text or tool calls (never both, unless it breaks the protocol).
public struct AgentMessage: Sendable, Hashable {
    /// The text, if any.
    public var text: String?
    /// The tool calls, if any.
    public var calls: [ToolInvocation]
    /// Whom the text addresses, by display name (empty: whoever the floor passes to; used when more
    /// than two parties are present, e.g. a supervisor answering the user).
    public var to: [String] = []

    /// A text message.
    public static func text(_ s: String, to: [String] = []) -> AgentMessage { AgentMessage(text: s, calls: [], to: to) }
    /// A tool-call message.
    public static func calls(_ c: [ToolInvocation]) -> AgentMessage { AgentMessage(text: nil, calls: c) }
}

/// What an agent sees before it acts: the task context and the episode log, projected for the agent.
public struct AgentView: Sendable {
    /// The task (agents under test must not read its evaluation criteria; the gold agent does).
    public var task: ToolTask
    /// The domain policy (system prompt); for a domain party, that party's policy.
    public var policy: String
    /// The tools this party may call.
    public var tools: [ToolSpec]
    /// The episode so far (perspective-free).
    public var log: EpisodeLog
    /// The entries the viewer may see (user text, its own messages, its tool results), in order.
    public let entries: [TranscriptEntry]
    /// Whether transfers end the episode (`terminate`) and the transfer tool's name.
    public var transferTool: String?
    /// Who is looking: the agent under test (``EpisodeLog/agent``) or a domain party on its side.
    public var viewer: ParticipantID

    /// Creates a view; ``entries`` are the log's entries visible to `viewer`.
    public init(
        task: ToolTask, policy: String, tools: [ToolSpec], log: EpisodeLog, transferTool: String?,
        viewer: ParticipantID = EpisodeLog.agent
    ) {
        self.task = task
        self.policy = policy
        self.tools = tools
        self.log = log
        self.entries = log.entries(visibleTo: viewer)
        self.transferTool = transferTool
        self.viewer = viewer
    }

    /// The viewer's domain party tag (`nil` for the agent under test), as entries carry it.
    public var party: String? { EpisodeLog.identity(viewer).party }

    /// The viewer's own messages (text and tool calls), in order.
    public var ownMessages: [TranscriptEntry] { entries.filter { $0.role == "assistant" && $0.party == party } }

    /// The display name of the simulated user (whom a domain party addresses).
    public var userName: String { log.transcript.participant(EpisodeLog.user)?.displayName ?? "User" }

    /// The viewer's chat messages: the policy as system prompt, then the projection of the log.
    public func messages() throws(MemoryError) -> [ChatMessage] {
        try log.messages(for: viewer, system: policy)
    }
}

/// What a simulated user sees: the scenario, its persona policy and the episode log, projected for the user.
public struct UserView: Sendable {
    /// The task (for its user scenario).
    public var task: ToolTask
    /// The persona policy, if any.
    public var persona: PersonaPolicy?
    /// The episode so far (perspective-free).
    public var log: EpisodeLog
    /// The entries the user may see (the agent side's text, its own messages and tool results), in order.
    public let entries: [TranscriptEntry]
    /// The user-side tools.
    public var tools: [ToolSpec]

    /// Creates a view; ``entries`` are the log's entries visible to ``EpisodeLog/user``.
    public init(task: ToolTask, persona: PersonaPolicy?, log: EpisodeLog, tools: [ToolSpec]) {
        self.task = task
        self.persona = persona
        self.log = log
        self.entries = log.entries(visibleTo: EpisodeLog.user)
        self.tools = tools
    }

    /// The agent side's text messages (the agent's, and a joined party's), in order.
    public var agentTexts: [String] {
        entries.filter { $0.role == "assistant" && $0.content != nil }.compactMap(\.content)
    }
    /// The user's own text messages, in order.
    public var ownTexts: [String] { entries.filter { $0.role == "user" && $0.content != nil }.compactMap(\.content) }

    /// The user's chat messages under `system`: the projection of the log with the roles flipped
    /// (its own messages `assistant`, everyone else's `user`).
    public func messages(system: String) throws(MemoryError) -> [ChatMessage] {
        try log.messages(for: EpisodeLog.user, system: system)
    }
}

/// An agent under test (or a scripted stand-in), or a domain party on the agent's side.
public protocol ToolTaskAgent: Sendable {
    /// The next message given the agent's view.
    func next(_ view: AgentView) async throws -> AgentMessage
}

/// A simulated user (spec §10.6): text, tool calls, or a stop token in text.
public protocol UserSimulator: Sendable {
    /// The next message given the user's view.
    func next(_ view: UserView) async throws -> AgentMessage
}

/// A ``ToolTaskAgent`` as a party of the episode's world: the agent under test, or a domain party
/// on its side (a supervisor brought in by a tool). Each move rebuilds the episode log from the
/// world's transcript and turns, asks the agent, and turns its message into a ``Move``: a thrown
/// error or (with `strictTurns`) a mixed or empty message is a failed move. A domain party's text
/// that names no one is addressed to the user.
struct AgentParty: Party {
    let participant: Participant
    let agent: any ToolTaskAgent
    let task: ToolTask
    let policy: String
    let tools: [ToolSpec]
    let transferTool: String?
    let limits: EpisodeLimits

    func move(on floor: Floor) async throws -> Move {
        let log = EpisodeLog(transcript: floor.context.transcript, turns: floor.turns)
        let view = AgentView(
            task: task, policy: policy, tools: tools, log: log, transferTool: transferTool, viewer: participant.id)
        let message: AgentMessage
        do {
            message = try await agent.next(view)
        } catch {
            // An endpoint that cannot be used is infrastructure, not the agent's behaviour: it stops
            // the run (exit 3) and the unit stays pending for --resume.
            if Episode.stopsRun(error) { throw error }
            return .failed(TurnFailure(.model, "\(error)", underlying: error))
        }
        let hasText = !(message.text ?? "").isEmpty
        if limits.strictTurns, hasText == !message.calls.isEmpty {
            return .failed(
                TurnFailure(
                    .invalidAction,
                    hasText ? "the agent sent text and tool calls in one message" : "the agent sent an empty message"))
        }
        guard !message.calls.isEmpty else {
            // A domain party is there for the customer: its words go to the user unless it names someone.
            let to = message.to.isEmpty && participant.id != EpisodeLog.agent ? [view.userName] : message.to
            return .say(message.text ?? "", to: to)
        }
        var calls = message.calls
        if let cap = limits.maxToolCallsPerMessage { calls = Array(calls.prefix(cap)) }
        return .toolCalls(
            calls.map {
                ToolRequest(ToolCall(id: $0.id, name: $0.name, arguments: $0.arguments), toolset: $0.side.rawValue)
            })
    }
}

/// A ``UserSimulator`` as a party of the episode's world: its tool calls run on the user's side; a
/// thrown error is a failed move.
struct UserParty: Party {
    let participant: Participant
    let user: any UserSimulator
    let task: ToolTask
    let persona: PersonaPolicy?
    let tools: [ToolSpec]

    func move(on floor: Floor) async throws -> Move {
        let log = EpisodeLog(transcript: floor.context.transcript, turns: floor.turns)
        let message: AgentMessage
        do {
            message = try await user.next(UserView(task: task, persona: persona, log: log, tools: tools))
        } catch {
            if Episode.stopsRun(error) { throw error }
            return .failed(TurnFailure(.model, "\(error)", underlying: error))
        }
        guard !message.calls.isEmpty else { return .say(message.text ?? "", to: message.to) }
        return .toolCalls(
            message.calls.map {
                ToolRequest(
                    ToolCall(id: $0.id, name: $0.name, arguments: $0.arguments), toolset: ToolSide.user.rawValue)
            })
    }
}

/// Runs an episode's tool calls on its ``ToolEnvironment`` (the world's ``ToolExecutor``): the side is
/// the request's toolset or the caller's own; a tool reserved for a domain party is unknown to
/// everyone else; a successful transfer by the agent's side ends the conversation in `terminate`
/// mode; a successful call of a party's `joinsOn` tool brings that party in.
struct EpisodeTools: ToolExecutor {
    let environment: ToolEnvironment

    func execute(_ request: ToolRequest, caller: ParticipantID, transcript: Transcript) async throws -> ToolExecution {
        let domain = environment.domain
        let call = request.call
        let side = EpisodeLog.side(of: caller, toolset: request.toolset)
        let tool = domain.tool(named: call.name, side: side)
        if let owner = tool?.party, owner != caller.raw {
            return ToolExecution(result: "Error: Tool '\(call.name)' not found.", isError: true)
        }
        let result = environment.call(call.name, argumentsText: call.arguments, side: side)
        var execution = ToolExecution(result: result.content, isError: result.error)
        guard !result.error, caller != EpisodeLog.user else { return execution }
        if tool?.kind == .transfer, domain.manifest.transferBehavior == "terminate" {
            execution.endsConversation = "\(call.name) transferred the conversation"
        }
        execution.joins = domain.manifest.parties.filter { $0.joinsOn == call.name }.map(\.id)
        return execution
    }
}
