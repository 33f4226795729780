public import Inference
public import Memory
import Runs
public import Storage

/// How an episode ended (spec §10.7).
public enum EpisodeTermination: String, Sendable, Hashable, Codable, CaseIterable {
    /// The user emitted `###STOP###`.
    case userStop = "user_stop"
    /// The user emitted `###TRANSFER###`.
    case userTransferred = "user_transferred"
    /// The user emitted `###OUT-OF-SCOPE###`.
    case userOutOfScope = "user_out_of_scope"
    /// The agent emitted `###STOP###`.
    case agentStop = "agent_stop"
    /// A transfer tool ran in `terminate` mode.
    case agentTransfer = "agent_transfer"
    /// The step limit was reached.
    case maxSteps = "max_steps"
    /// Too many tool errors.
    case tooManyErrors = "too_many_errors"
    /// The agent broke the protocol or failed.
    case agentError = "agent_error"
    /// The user simulator failed.
    case userError = "user_error"
    /// The wall-clock limit was reached.
    case timeout
    /// The infrastructure failed (left out of metrics).
    case infraError = "infra_error"

    /// Whether a reward can be earned (user stops, agent stop, agent transfer).
    public var isRewardable: Bool {
        switch self {
        case .userStop, .userTransferred, .userOutOfScope, .agentStop, .agentTransfer: true
        default: false
        }
    }
}

/// One tool call in a transcript.
public struct ToolInvocation: Sendable, Hashable {
    /// The call id.
    public var id: String
    /// The tool.
    public var name: String
    /// The arguments as JSON text.
    public var arguments: String
    /// Which side runs it (the gold agent may act for the user).
    public var side: ToolSide

    /// Creates an invocation.
    public init(id: String, name: String, arguments: String, side: ToolSide = .agent) {
        self.id = id
        self.name = name
        self.arguments = arguments
        self.side = side
    }
}

/// One line of an episode transcript (`{turn, role, content | tool_calls | tool_result, side, error, ts}`).
public struct TranscriptEntry: Sendable, Hashable {
    /// The index of the entry.
    public var turn: Int
    /// `assistant`, `user` or `tool`.
    public var role: String
    /// Which party it belongs to.
    public var side: ToolSide
    /// Text, if it is a text message.
    public var content: String?
    /// Tool calls, if it is a tool-call message.
    public var toolCalls: [ToolInvocation]
    /// The result, if it is a tool result: (call id, tool name, text).
    public var toolResult: (id: String, name: String, content: String)?
    /// Whether the tool result is an error.
    public var error: Bool

    /// Equality.
    public static func == (a: TranscriptEntry, b: TranscriptEntry) -> Bool { a.json == b.json }
    /// Hash.
    public func hash(into hasher: inout Hasher) { hasher.combine(CanonicalJSON.string(json)) }

    /// The entry as a JSON object in a fixed key order; `ts` is the logical clock (the turn).
    public var json: JSONValue {
        var o = JSONObject([("turn", .integer(Int64(turn))), ("role", .string(role))])
        if let content { o["content"] = .string(content) }
        if !toolCalls.isEmpty {
            o["tool_calls"] = .array(
                toolCalls.map {
                    .object(
                        JSONObject([
                            ("id", .string($0.id)), ("name", .string($0.name)), ("arguments", .string($0.arguments)),
                            ("side", .string($0.side.rawValue)),
                        ]))
                })
        }
        if let r = toolResult {
            o["tool_result"] = .object(
                JSONObject([("id", .string(r.id)), ("name", .string(r.name)), ("content", .string(r.content))]))
        }
        o["side"] = .string(side.rawValue)
        o["error"] = .bool(error)
        o["ts"] = .integer(Int64(turn))
        return .object(o)
    }
}

/// What the agent under test sends: text or tool calls (never both, unless it breaks the protocol).
public struct AgentMessage: Sendable, Hashable {
    /// The text, if any.
    public var text: String?
    /// The tool calls, if any.
    public var calls: [ToolInvocation]

    /// A text message.
    public static func text(_ s: String) -> AgentMessage { AgentMessage(text: s, calls: []) }
    /// A tool-call message.
    public static func calls(_ c: [ToolInvocation]) -> AgentMessage { AgentMessage(text: nil, calls: c) }
}

/// The perspective-free record of an episode: Memory's ``Transcript`` with two speakers, `agent`
/// and `user`, and the environment as narrator (speaker `nil`) of tool results.
///
/// Text messages are utterances for everyone; each tool call is a `toolCall` event whose audience is
/// the caller alone, directly followed by its `toolResult` with the same audience. So "the agent
/// never sees the user's tool calls and vice versa" (spec §10.7) is an audience rule that
/// ``Memory/isVisible(_:to:backlog:)`` and the projection's invariants enforce, and each side's chat
/// messages are the Egocentric Context Projection of the log (docs/transcript.md). The tau2-style
/// entries (``TranscriptEntry``) are kept beside the log, each mapped to the events it produced.
public struct EpisodeLog: Sendable {
    /// The agent under test.
    public static let agent = ParticipantID(unchecked: "agent")
    /// The simulated user.
    public static let user = ParticipantID(unchecked: "user")
    /// The roster: agent, then user.
    public static let roster = [
        Participant(id: agent, displayName: "Agent"), Participant(id: user, displayName: "User"),
    ]

    /// The projection used for both sides: ECP defaults, except that the kickoff narration appears
    /// only when the viewer's first visible message would otherwise be its own (the agent's greeting).
    public static var projectionConfig: ProjectionConfig {
        var config = ProjectionConfig()
        config.kickoff = .whenNeeded
        return config
    }

    /// The perspective-free log.
    public private(set) var transcript: Transcript
    /// The tau2-style entries, in order (`turn` = position).
    public private(set) var entries: [TranscriptEntry] = []
    /// The seqs of the events each entry produced (a tool-call message's events are written with its results).
    public private(set) var eventsOfEntry: [[Int]] = []
    /// The entry each event came from, by seq.
    public private(set) var entryOfEvent: [Int] = []
    /// Calls of the last tool-call message not yet answered: (entry, call, caller).
    private var pending: [(entry: Int, call: ToolInvocation, caller: ParticipantID)] = []

    /// An empty log.
    public init() {
        do {
            transcript = try Transcript(roster: Self.roster)
        } catch {
            preconditionFailure("the episode roster is valid: \(error)")
        }
    }

    /// The log of existing entries, appended in order.
    public init(entries: [TranscriptEntry]) throws(MemoryError) {
        self.init()
        for entry in entries { try append(entry) }
    }

    /// The participant a tau2 role belongs to (`assistant` → agent, `user` → user).
    static func participant(role: String) -> ParticipantID? {
        switch role {
        case "assistant": agent
        case "user": user
        default: nil
        }
    }

    /// Appends an entry (its `turn` is set to its position) and writes its events: a text message is
    /// an utterance for everyone; a tool-call message's calls wait for their results; a tool result
    /// writes its call (audience: the caller) and itself right after it.
    public mutating func append(_ entry: TranscriptEntry) throws(MemoryError) {
        var entry = entry
        entry.turn = entries.count
        let index = entries.count
        var seqs: [Int] = []
        if entry.toolResult == nil { pending = [] }
        if let result = entry.toolResult {
            guard !pending.isEmpty else {
                throw MemoryError(
                    .orphanToolResult, "episode turn \(index): tool result \"\(result.id)\" answers no tool call")
            }
            let (callEntry, call, caller) = pending.removeFirst()
            let audience = Audience.only([caller])
            let callEvent = try transcript.append(
                speaker: caller, kind: .toolCall, audience: audience, content: "",
                tool: ToolPayload(callID: result.id, name: call.name, caller: caller, arguments: call.arguments))
            eventsOfEntry[callEntry].append(callEvent.seq)
            entryOfEvent.append(callEntry)
            let resultEvent = try transcript.append(
                speaker: nil, kind: .toolResult, audience: audience, content: result.content,
                tool: ToolPayload(callID: result.id, name: result.name, caller: caller, arguments: ""))
            seqs.append(resultEvent.seq)
            entryOfEvent.append(index)
        } else if let speaker = Self.participant(role: entry.role) {
            if let content = entry.content {
                seqs.append(try transcript.append(speaker: speaker, kind: .utterance, content: content).seq)
                entryOfEvent.append(index)
            }
            pending = entry.toolCalls.map { (index, $0, speaker) }
        } else {
            throw MemoryError(
                .invalidEvent, "episode turn \(index): role \"\(entry.role)\" is neither assistant, user nor tool")
        }
        entries.append(entry)
        eventsOfEntry.append(seqs)
    }

    /// The entries `viewer` may see: those with at least one event visible to it (Memory's rule).
    public func entries(visibleTo viewer: ParticipantID) -> [TranscriptEntry] {
        guard let participant = transcript.participant(viewer) else { return [] }
        let backlog = Self.projectionConfig.backlog
        return entries.indices.filter { i in
            eventsOfEntry[i].contains { isVisible(transcript.events[$0], to: participant, backlog: backlog) }
        }.map { entries[$0] }
    }

    /// The chat messages `viewer` is sent: the Egocentric Context Projection of the log (own text
    /// and tool calls `assistant`, own tool results `tool`, the other side's text `user`).
    public func messages(for viewer: ParticipantID, system: String) throws(MemoryError) -> [ChatMessage] {
        try transcript.projection(for: viewer, system: system, config: Self.projectionConfig).map(\.message)
    }
}

/// What an agent sees before it acts: the task context and the episode log, projected for the agent.
public struct AgentView: Sendable {
    /// The task (agents under test must not read its evaluation criteria; the gold agent does).
    public var task: ToolTask
    /// The domain policy (system prompt).
    public var policy: String
    /// The agent-side tools.
    public var tools: [ToolSpec]
    /// The episode so far (perspective-free).
    public var log: EpisodeLog
    /// The entries the agent may see (user text, its own messages, its tool results), in order.
    public let entries: [TranscriptEntry]
    /// Whether transfers end the episode (`terminate`) and the transfer tool's name.
    public var transferTool: String?

    /// Creates a view; ``entries`` are the log's entries visible to ``EpisodeLog/agent``.
    public init(task: ToolTask, policy: String, tools: [ToolSpec], log: EpisodeLog, transferTool: String?) {
        self.task = task
        self.policy = policy
        self.tools = tools
        self.log = log
        self.entries = log.entries(visibleTo: EpisodeLog.agent)
        self.transferTool = transferTool
    }

    /// The agent's chat messages: the policy as system prompt, then the projection of the log.
    public func messages() throws(MemoryError) -> [ChatMessage] {
        try log.messages(for: EpisodeLog.agent, system: policy)
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
    /// The entries the user may see (agent text, its own messages and tool results), in order.
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

    /// The agent's text messages, in order.
    public var agentTexts: [String] {
        entries.filter { $0.role == "assistant" && $0.content != nil }.compactMap(\.content)
    }
    /// The user's own text messages, in order.
    public var ownTexts: [String] { entries.filter { $0.role == "user" && $0.content != nil }.compactMap(\.content) }

    /// The user's chat messages under `system`: the projection of the log with the roles flipped
    /// (its own messages `assistant`, the agent's `user`).
    public func messages(system: String) throws(MemoryError) -> [ChatMessage] {
        try log.messages(for: EpisodeLog.user, system: system)
    }
}

/// An agent under test (or a scripted stand-in).
public protocol ToolTaskAgent: Sendable {
    /// The next message given the agent's view.
    func next(_ view: AgentView) async throws -> AgentMessage
}

/// A simulated user (spec §10.6): text, tool calls, or a stop token in text.
public protocol UserSimulator: Sendable {
    /// The next message given the user's view.
    func next(_ view: UserView) async throws -> AgentMessage
}

/// Limits and protocol switches for one episode.
public struct EpisodeLimits: Sendable, Hashable {
    /// Messages plus tool-result batches (default 100).
    public var maxSteps: Int = 100
    /// Tool errors before `tooManyErrors` (default 10).
    public var maxErrors: Int = 10
    /// Whether a mixed or empty agent message ends the episode with `agentError`.
    public var strictTurns: Bool = false
    /// `1` executes only the first call of a message (tau-bench v1); `nil` all of them.
    public var maxToolCallsPerMessage: Int? = nil

    /// Default limits.
    public init(maxSteps: Int = 100, maxErrors: Int = 10, strictTurns: Bool = false, maxToolCallsPerMessage: Int? = nil)
    {
        self.maxSteps = maxSteps
        self.maxErrors = maxErrors
        self.strictTurns = strictTurns
        self.maxToolCallsPerMessage = maxToolCallsPerMessage
    }
}

/// The record of a finished episode.
public struct EpisodeOutcome: Sendable {
    /// Every entry, in order (the tau2-style transcript).
    public var transcript: [TranscriptEntry]
    /// The perspective-free log the entries were recorded in.
    public var log: EpisodeLog
    /// How it ended.
    public var termination: EpisodeTermination
    /// Tool errors counted.
    public var errors: Int
    /// Why the agent or user failed, if it did.
    public var failure: String?

    /// The transcript as JSON Lines (byte-stable: fixed key order, logical clock).
    public var jsonl: String { transcript.map { $0.json.serialized() + "\n" }.joined() }
}

/// The stop tokens of the user simulator.
public enum StopToken {
    /// The termination a text turn asks for, if it holds a token (detected anywhere in the text).
    public static func termination(in text: String) -> EpisodeTermination? {
        if text.contains("###STOP###") { return .userStop }
        if text.contains("###TRANSFER###") { return .userTransferred }
        if text.contains("###OUT-OF-SCOPE###") { return .userOutOfScope }
        return nil
    }
}

/// Runs one episode with tau2's half-duplex state machine (spec §10.7): the turn-taking policy of a
/// tool-task world. Every message and tool result is recorded in an ``EpisodeLog``; each side acts on
/// its projection of that log.
public enum EpisodeRunner {
    /// Runs `agent` against `user` on `environment` until a termination.
    public static func run(
        task: ToolTask, environment: ToolEnvironment, agent: any ToolTaskAgent, user: any UserSimulator,
        persona: PersonaPolicy? = nil, limits: EpisodeLimits = EpisodeLimits()
    ) async -> EpisodeOutcome {
        let domain = environment.domain
        var log = EpisodeLog()
        var steps = 0
        var errors = 0
        var callCounter = 0
        func append(
            _ role: String, _ side: ToolSide, content: String? = nil, calls: [ToolInvocation] = [],
            result: (String, String, String)? = nil, error: Bool = false
        ) throws(MemoryError) {
            try log.append(
                TranscriptEntry(
                    turn: log.entries.count, role: role, side: side, content: content, toolCalls: calls,
                    toolResult: result.map { (id: $0.0, name: $0.1, content: $0.2) }, error: error))
        }
        func execute(_ calls: [ToolInvocation], side: ToolSide) throws(MemoryError) -> (errors: Int, transferred: Bool)
        {
            var failed = 0
            var transferred = false
            for var call in calls {
                callCounter += 1
                if call.id.isEmpty { call.id = "call_\(callCounter)" }
                let result = environment.call(call.name, argumentsText: call.arguments, side: call.side)
                try append("tool", call.side, result: (call.id, call.name, result.content), error: result.error)
                if result.error { failed += 1 }
                if !result.error, domain.tool(named: call.name, side: call.side)?.kind == .transfer {
                    transferred = true
                }
            }
            return (failed, transferred)
        }
        let maxSteps = task.maxSteps ?? limits.maxSteps
        let maxErrors = task.maxErrors ?? limits.maxErrors
        var failure: String? = nil
        var termination = EpisodeTermination.infraError
        do {
            try append("assistant", .agent, content: domain.manifest.firstAgentMessage)
            steps += 1
            var userTurn = true
            loop: while true {
                if steps >= maxSteps {
                    termination = .maxSteps
                    break
                }
                if userTurn {
                    let message: AgentMessage
                    do {
                        message = try await user.next(
                            UserView(task: task, persona: persona, log: log, tools: domain.tools(for: .user)))
                    } catch {
                        failure = "\(error)"
                        termination = .userError
                        break
                    }
                    if !message.calls.isEmpty {
                        let calls = message.calls.map {
                            ToolInvocation(id: $0.id, name: $0.name, arguments: $0.arguments, side: .user)
                        }
                        try append("user", .user, calls: calls)
                        let outcome = try execute(calls, side: .user)
                        errors += outcome.errors
                        steps += 2
                        if errors >= maxErrors {
                            termination = .tooManyErrors
                            break
                        }
                        continue
                    }
                    let text = message.text ?? ""
                    try append("user", .user, content: text)
                    steps += 1
                    if let stop = StopToken.termination(in: text) {
                        termination = stop
                        break
                    }
                    userTurn = false
                } else {
                    let message: AgentMessage
                    do {
                        message = try await agent.next(
                            AgentView(
                                task: task, policy: domain.policy, tools: domain.tools(for: .agent), log: log,
                                transferTool: domain.manifest.transferTool))
                    } catch {
                        failure = "\(error)"
                        termination = .agentError
                        break
                    }
                    let hasText = !(message.text ?? "").isEmpty
                    if limits.strictTurns, hasText == !message.calls.isEmpty {
                        failure =
                            hasText
                            ? "the agent sent text and tool calls in one message" : "the agent sent an empty message"
                        termination = .agentError
                        break
                    }
                    if !message.calls.isEmpty {
                        var calls = message.calls
                        if let cap = limits.maxToolCallsPerMessage { calls = Array(calls.prefix(cap)) }
                        calls = calls.enumerated().map { i, c in
                            ToolInvocation(
                                id: c.id.isEmpty ? "call_\(callCounter + i + 1)" : c.id, name: c.name,
                                arguments: c.arguments, side: c.side)
                        }
                        try append("assistant", .agent, calls: calls)
                        let outcome = try execute(calls, side: .agent)
                        errors += outcome.errors
                        steps += 2
                        if errors >= maxErrors {
                            termination = .tooManyErrors
                            break
                        }
                        if outcome.transferred, domain.manifest.transferBehavior == "terminate" {
                            termination = .agentTransfer
                            break
                        }
                        continue
                    }
                    let text = message.text ?? ""
                    try append("assistant", .agent, content: text)
                    steps += 1
                    if text.contains("###STOP###") {
                        termination = .agentStop
                        break loop
                    }
                    userTurn = true
                }
            }
        } catch {
            // The log refused an entry: a bug in the orchestrator, not the agent's fault.
            failure = "episode log: \(error)"
            termination = .infraError
        }
        return EpisodeOutcome(
            transcript: log.entries, log: log, termination: termination, errors: errors, failure: failure)
    }
}

extension EpisodeLog {
    /// The log as run-store events, the way conversation units store theirs: one row per Memory
    /// event (kind, speaker id and display name, verbatim content) with its audience and tool
    /// payload in `data`; the first event of each tau2 entry also carries that entry under `tau2`,
    /// so `episodes.jsonl` is rebuilt from the store byte for byte.
    func runEvents() -> [RunEvent] {
        let roster = transcript.roster
        var firstOfEntry = Set<Int>()
        for seqs in eventsOfEntry { if let first = seqs.min() { firstOfEntry.insert(first) } }
        return transcript.events.map { e in
            var data = JSONObject()
            if case .only(let ids) = e.audience { data["audience"] = .array(ids.map { .string($0.raw) }) }
            if let tool = e.tool {
                data["tool"] = .object(
                    JSONObject([
                        ("callID", .string(tool.callID)), ("name", .string(tool.name)),
                        ("caller", .string(tool.caller.raw)),
                        ("arguments", .string(tool.arguments)),
                    ]))
            }
            if firstOfEntry.contains(e.seq) { data["tau2"] = entries[entryOfEvent[e.seq]].json }
            let name = e.speaker.map { id in roster.first { $0.id == id }?.displayName ?? id.raw }
            return RunEvent(
                seq: e.seq, kind: e.kind.rawValue, speaker: e.speaker?.raw, speakerName: name, content: e.content,
                data: data.count == 0 ? .null : .object(data))
        }
    }
}
