import Agents
import Inference
import Memory
import Runs
import Storage
public import Worlds

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
    /// The user's tokens, in the order they are checked, with the termination each asks for.
    public static let user: [(token: String, termination: EpisodeTermination)] = [
        ("###STOP###", .userStop), ("###TRANSFER###", .userTransferred), ("###OUT-OF-SCOPE###", .userOutOfScope),
    ]
    /// The agent side's token (`agentStop`).
    public static let agent = "###STOP###"

    /// The termination a user's text turn asks for, if it holds a token (detected anywhere in the text).
    public static func termination(in text: String) -> EpisodeTermination? {
        user.first { text.contains($0.token) }?.termination
    }
}

/// A tool-task episode on the one conversation engine (spec §10.7): a ``World`` whose parties are the
/// agent under test, the simulated user and any domain party a tool brings in (a supervisor), on
/// tau2's half-duplex turn taking — the agent's fixed greeting first, tool calls inside a turn, the
/// stop tokens, the step and error limits as termination rules — with the tools run on the
/// episode's ``ToolEnvironment``. Each party acts on its own projection of the world's log (ECP).
public enum Episode {
    /// The world of one episode, ready to run. Domain parties (``DomainManifest/parties``) are played
    /// by `staff` (default: ``GoldReplayAgent``, which replays the task's gold actions of that party).
    public static func world(
        task: ToolTask, environment: ToolEnvironment, agent: any ToolTaskAgent, user: any UserSimulator,
        persona: PersonaPolicy? = nil, limits: EpisodeLimits = EpisodeLimits(),
        staff: any ToolTaskAgent = GoldReplayAgent(), onTurn: (@Sendable (TurnProgress) -> Void)? = nil
    ) throws(WorldError) -> World {
        let domain = environment.domain
        let manifest = domain.manifest
        var parties: [any Party] = [
            AgentParty(
                participant: EpisodeLog.roster[0], agent: agent, task: task, policy: domain.policy,
                tools: domain.tools(for: .agent), transferTool: manifest.transferTool, limits: limits),
            UserParty(
                participant: EpisodeLog.roster[1], user: user, task: task, persona: persona,
                tools: domain.tools(for: .user)),
        ]
        for party in manifest.parties {
            parties.append(
                AgentParty(
                    participant: Participant(
                        id: party.id, displayName: party.name, membership: [Membership(start: Int.max)]),
                    agent: staff, task: task, policy: party.policy,
                    tools: domain.tools(for: .agent, party: party.id.raw),
                    transferTool: manifest.transferTool, limits: limits))
        }
        let company = [EpisodeLog.agent] + manifest.parties.map(\.id)
        let rules = TerminationRules(
            maxTurns: .max, maxTurnsPerAgent: nil, endWhenAllPass: false, maxConsecutiveFailures: 1, detector: nil,
            stall: nil, maxSteps: task.maxSteps ?? limits.maxSteps, maxToolErrors: task.maxErrors ?? limits.maxErrors,
            stopRules: StopToken.user.map { StopRule(token: $0.token, speakers: [EpisodeLog.user]) }
                + [StopRule(token: StopToken.agent, speakers: company)])
        let opening = HalfDuplexTurns.Opening(participant: EpisodeLog.agent, text: manifest.firstAgentMessage)
        var options = WorldOptions(
            turnTaking: .halfDuplex(HalfDuplexTurns(opening: opening)), termination: rules,
            projection: EpisodeLog.projectionConfig, toolExecutor: EpisodeTools(environment: environment),
            concurrency: 1)
        options.onTurn = onTurn
        return try World(parties: parties, options: options)
    }

    /// Runs one episode to its termination on `environment` (which holds the final state for grading).
    ///
    /// - Parameter onTurn: called after every move (a progress display).
    /// - Throws: `CancellationError`, or the error of an endpoint that cannot be used; every other way
    ///   an episode can end is an outcome.
    public static func run(
        task: ToolTask, environment: ToolEnvironment, agent: any ToolTaskAgent, user: any UserSimulator,
        persona: PersonaPolicy? = nil, limits: EpisodeLimits = EpisodeLimits(),
        staff: any ToolTaskAgent = GoldReplayAgent(), onTurn: (@Sendable (TurnProgress) -> Void)? = nil
    ) async throws -> EpisodeOutcome {
        var world: World
        do {
            world = try Self.world(
                task: task, environment: environment, agent: agent, user: user, persona: persona, limits: limits,
                staff: staff, onTurn: onTurn)
        } catch {
            return EpisodeOutcome(
                transcript: [], log: EpisodeLog(), termination: .infraError, errors: 0,
                failure: "episode world: \(error)")
        }
        do {
            try await world.run()
        } catch is CancellationError {
            throw CancellationError()
        } catch let error where Self.stopsRun(error) {
            throw error
        } catch {
            // The log refused an event: a bug in the engine, not the agent's fault.
            return outcome(of: world, failure: "episode log: \(error)")
        }
        return outcome(of: world)
    }

    /// Whether `error` means the run cannot go on (an unusable endpoint, a replay-only cache miss,
    /// cancellation) rather than something a participant did.
    static func stopsRun(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        if let world = error as? WorldError, let underlying = world.underlying { return stopsRun(underlying) }
        return (error as? InferenceError)?.stopsRun == true
    }

    /// The outcome of a finished episode world: its log and tau2 entries, the tool errors, and the
    /// world's termination in tau2's terms.
    public static func outcome(of world: World, failure: String? = nil) -> EpisodeOutcome {
        let log = EpisodeLog(transcript: world.transcript, turns: world.turns)
        let errors = world.turns.reduce(0) { $0 + $1.toolCalls.filter(\.execution.isError).count }
        var termination = EpisodeTermination.infraError
        var reason = failure
        if failure == nil, let end = world.termination {
            let byUser = end.participant == EpisodeLog.user
            switch end.reason {
            case .stopToken:
                termination =
                    byUser ? StopToken.user.first { $0.token == end.detail }?.termination ?? .userStop : .agentStop
            case .toolEnded: termination = .agentTransfer
            case .toolErrors: termination = .tooManyErrors
            case .stepCap: termination = .maxSteps
            case .failures, .endpointUnusable:
                termination = byUser ? .userError : .agentError
                reason = world.failedTurns.last?.failure?.message ?? end.detail
            default:
                reason = "the episode world ended with \(end.reason.rawValue): \(end.detail)"
            }
        }
        return EpisodeOutcome(
            transcript: log.entries, log: log, termination: termination, errors: errors, failure: reason)
    }
}
