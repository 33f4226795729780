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
                    .object(JSONObject([("id", .string($0.id)), ("name", .string($0.name)), ("arguments", .string($0.arguments)), ("side", .string($0.side.rawValue))]))
                })
        }
        if let r = toolResult {
            o["tool_result"] = .object(JSONObject([("id", .string(r.id)), ("name", .string(r.name)), ("content", .string(r.content))]))
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

/// What an agent sees before it acts: the task context and its own view of the transcript.
public struct AgentView: Sendable {
    /// The task (agents under test must not read its evaluation criteria; the gold agent does).
    public var task: ToolTask
    /// The domain policy (system prompt).
    public var policy: String
    /// The agent-side tools.
    public var tools: [ToolSpec]
    /// The entries the agent may see (user text, its own messages, its tool results), in order.
    public var entries: [TranscriptEntry]
    /// Whether transfers end the episode (`terminate`) and the transfer tool's name.
    public var transferTool: String?
}

/// What a simulated user sees: the scenario, its persona policy and its own view of the transcript.
public struct UserView: Sendable {
    /// The task (for its user scenario).
    public var task: ToolTask
    /// The persona policy, if any.
    public var persona: PersonaPolicy?
    /// The entries the user may see (agent text, its own messages and tool results), in order.
    public var entries: [TranscriptEntry]
    /// The user-side tools.
    public var tools: [ToolSpec]

    /// The agent's text messages, in order.
    public var agentTexts: [String] { entries.filter { $0.role == "assistant" && $0.content != nil }.compactMap(\.content) }
    /// The user's own text messages, in order.
    public var ownTexts: [String] { entries.filter { $0.role == "user" && $0.content != nil }.compactMap(\.content) }
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
    public init(maxSteps: Int = 100, maxErrors: Int = 10, strictTurns: Bool = false, maxToolCallsPerMessage: Int? = nil) {
        self.maxSteps = maxSteps
        self.maxErrors = maxErrors
        self.strictTurns = strictTurns
        self.maxToolCallsPerMessage = maxToolCallsPerMessage
    }
}

/// The record of a finished episode.
public struct EpisodeOutcome: Sendable {
    /// Every entry, in order.
    public var transcript: [TranscriptEntry]
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

/// Runs one episode with tau2's half-duplex state machine (spec §10.7).
public enum EpisodeRunner {
    /// Runs `agent` against `user` on `environment` until a termination.
    public static func run(
        task: ToolTask, environment: ToolEnvironment, agent: any ToolTaskAgent, user: any UserSimulator,
        persona: PersonaPolicy? = nil, limits: EpisodeLimits = EpisodeLimits()
    ) async -> EpisodeOutcome {
        let domain = environment.domain
        var entries: [TranscriptEntry] = []
        var steps = 0
        var errors = 0
        var callCounter = 0
        func append(_ role: String, _ side: ToolSide, content: String? = nil, calls: [ToolInvocation] = [], result: (String, String, String)? = nil, error: Bool = false) {
            entries.append(TranscriptEntry(turn: entries.count, role: role, side: side, content: content, toolCalls: calls, toolResult: result.map { (id: $0.0, name: $0.1, content: $0.2) }, error: error))
        }
        func view(for side: ToolSide) -> [TranscriptEntry] {
            entries.filter { e in
                switch e.role {
                case "assistant": return side == .agent || (e.content != nil)
                case "user": return side == .user || (e.content != nil)
                default: return e.side == side
                }
            }
        }
        func execute(_ calls: [ToolInvocation], side: ToolSide) -> (errors: Int, transferred: Bool) {
            var failed = 0
            var transferred = false
            for var call in calls {
                callCounter += 1
                if call.id.isEmpty { call.id = "call_\(callCounter)" }
                let result = environment.call(call.name, argumentsText: call.arguments, side: call.side)
                append("tool", call.side, result: (call.id, call.name, result.content), error: result.error)
                if result.error { failed += 1 }
                if !result.error, domain.tool(named: call.name, side: call.side)?.kind == .transfer { transferred = true }
            }
            return (failed, transferred)
        }
        let maxSteps = task.maxSteps ?? limits.maxSteps
        let maxErrors = task.maxErrors ?? limits.maxErrors
        append("assistant", .agent, content: domain.manifest.firstAgentMessage)
        steps += 1
        var userTurn = true
        var failure: String? = nil
        let termination: EpisodeTermination
        loop: while true {
            if steps >= maxSteps { termination = .maxSteps; break }
            if userTurn {
                let message: AgentMessage
                do {
                    message = try await user.next(UserView(task: task, persona: persona, entries: view(for: .user), tools: domain.tools(for: .user)))
                } catch {
                    failure = "\(error)"
                    termination = .userError
                    break
                }
                if !message.calls.isEmpty {
                    let calls = message.calls.map { ToolInvocation(id: $0.id, name: $0.name, arguments: $0.arguments, side: .user) }
                    append("user", .user, calls: calls)
                    let outcome = execute(calls, side: .user)
                    errors += outcome.errors
                    steps += 2
                    if errors >= maxErrors { termination = .tooManyErrors; break }
                    continue
                }
                let text = message.text ?? ""
                append("user", .user, content: text)
                steps += 1
                if let stop = StopToken.termination(in: text) { termination = stop; break }
                userTurn = false
            } else {
                let message: AgentMessage
                do {
                    message = try await agent.next(
                        AgentView(task: task, policy: domain.policy, tools: domain.tools(for: .agent), entries: view(for: .agent), transferTool: domain.manifest.transferTool))
                } catch {
                    failure = "\(error)"
                    termination = .agentError
                    break
                }
                let hasText = !(message.text ?? "").isEmpty
                if limits.strictTurns, hasText == !message.calls.isEmpty {
                    failure = hasText ? "the agent sent text and tool calls in one message" : "the agent sent an empty message"
                    termination = .agentError
                    break
                }
                if !message.calls.isEmpty {
                    var calls = message.calls
                    if let cap = limits.maxToolCallsPerMessage { calls = Array(calls.prefix(cap)) }
                    calls = calls.enumerated().map { i, c in
                        ToolInvocation(id: c.id.isEmpty ? "call_\(callCounter + i + 1)" : c.id, name: c.name, arguments: c.arguments, side: c.side)
                    }
                    append("assistant", .agent, calls: calls)
                    let outcome = execute(calls, side: .agent)
                    errors += outcome.errors
                    steps += 2
                    if errors >= maxErrors { termination = .tooManyErrors; break }
                    if outcome.transferred, domain.manifest.transferBehavior == "terminate" { termination = .agentTransfer; break }
                    continue
                }
                let text = message.text ?? ""
                append("assistant", .agent, content: text)
                steps += 1
                if text.contains("###STOP###") { termination = .agentStop; break loop }
                userTurn = true
            }
        }
        return EpisodeOutcome(transcript: entries, termination: termination, errors: errors, failure: failure)
    }
}
