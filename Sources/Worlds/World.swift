public import Agents
public import Inference
public import Memory
import Storage

/// One conversation — N parties or two — on the one engine: parties, the perspective-free log, turn
/// taking and termination (issue #5, item 2). A world is one unit of work; create it, `run()` it,
/// read its results.
///
/// ```swift
/// var world = try World(agents: [moderator, alex, bo], options: WorldOptions(
///     turnTaking: .moderated(ModeratedTurns(moderator: moderator.id)), seed: 42))
/// let end = try await world.run()
/// // world.transcript.events, world.turns, world.failedTurns, world.modelCalls, world.usage
/// ```
///
/// Parties are LLM ``Agent``s or anything else conforming to ``Party`` (tool tasks host a scripted or
/// model agent under test and a simulated user on ``TurnTaking/halfDuplex(_:)`` turn taking, with
/// their tools run by a ``ToolExecutor``). The engine is split by concern: this file holds the state
/// and the driving API; `World+Scheduling` who speaks next, `World+Turns` how a move becomes events,
/// `World+Termination` the rules checked after each turn, `World+Memory` the MemListener schedule.
///
/// Determinism: each party draws its sampling seeds from its own stream (run seed, party id), the
/// floor (tie breaks) from the stream (run seed, "floor"); nothing iterates a `Dictionary` or `Set`
/// into output; parties acting in one simultaneous round all see the log as it stood before the
/// round, and their events are appended in roster order whatever order their calls complete in.
/// The same seed and the same model answers give the same transcript.
public struct World: Sendable {
    /// The parties, in roster order (agents' memory updated as the world runs).
    public internal(set) var parties: [any Party]
    /// The log and roster (membership updated on join and leave).
    public internal(set) var transcript: Transcript
    /// Every turn taken, in order.
    public internal(set) var turns: [TurnRecord] = []
    /// Every model call made by the world (turns, urges, detector, memory), in order.
    public internal(set) var modelCalls: [ModelCallRecord] = []
    /// Memory updates made, in order.
    public internal(set) var memoryNotes: [MemoryNote] = []
    /// Why the world stopped, once it has.
    public internal(set) var termination: Termination?
    /// The options in force (turn taking, rules and scenario change with phases).
    public internal(set) var options: WorldOptions
    /// The current phase (0-based).
    public internal(set) var phase = 0
    /// Completed rounds in the current phase.
    public internal(set) var round = 0

    var streams: [RandomStream]
    var floor: RandomStream
    var pendingArrivals: [Arrival]
    /// Tool calls run so far (all phases): the `n` of assigned call ids `call_<n>`.
    var toolCallCount = 0
    // Phase counters.
    var phaseTurns = 0
    var phaseSteps = 0
    var phaseToolErrors = 0
    var ownPhaseTurns: [Int]
    var turnsInRound = 0
    var roundSize = 0
    var passedSinceAction: [ParticipantID] = []
    var consecutiveFailures = 0
    // Floor state.
    var lastSpeaker: ParticipantID?
    var consecutiveTurns = 0
    var floorQueue: [ParticipantID] = []
    var moderatorNext = true
    var scriptIndex = 0
    var lastFloorHolder: ParticipantID?
    /// Parties a tool call brought in that have not had the floor yet (half-duplex), oldest first.
    var newcomers: [ParticipantID] = []
    // Stall detection, kept incrementally.
    var utterances: [StallDetector.Utterance] = []
    var seenUtterances: Set<String> = []
    // Memory.
    var exchangesSinceUpdate: [Int]
    var memoryThrough: [Int]
    /// Memory updates running in the background (``WorldOptions/memoryInBackground``), per party.
    var pendingMemory: [PendingMemoryUpdate?]

    /// Creates a world of LLM agents; agents joining later must be listed in `options.arrivals`.
    ///
    /// - Throws: ``WorldError`` (`invalidInput`) for duplicate ids or names, an unknown
    ///   moderator, scripted participant or arrival, or a moderator that is an observer.
    public init(agents: [Agent], options: WorldOptions = WorldOptions()) throws(WorldError) {
        try self.init(parties: agents, options: options)
    }

    /// Creates a world of any parties. A party is absent from the start when it is listed in
    /// `options.arrivals` or its ``Party/participant`` says so (a tool call brings it in).
    ///
    /// - Throws: ``WorldError`` (`invalidInput`) as ``init(agents:options:)``, and for a
    ///   half-duplex opening by someone who is not a party or is an observer.
    public init(parties: [any Party], options: WorldOptions = WorldOptions()) throws(WorldError) {
        guard !parties.isEmpty else { throw WorldError(.invalidInput, "a world needs at least one party") }
        let roster = parties.map { party in
            let p = party.participant
            guard options.arrivals.contains(where: { $0.participant == p.id }) else { return p }
            return Participant(
                id: p.id, displayName: p.displayName, role: p.role, membership: [Membership(start: Int.max)])
        }
        let ids = roster.map(\.id)
        for arrival in options.arrivals where !ids.contains(arrival.participant) {
            throw WorldError(.invalidInput, "arrival \"\(arrival.participant)\" is not a party of the world")
        }
        do {
            transcript = try Transcript(roster: roster, narratorLabel: options.projection.narratorLabel)
        } catch {
            throw WorldError(.invalidInput, "the world's roster is invalid: \(error.message)", underlying: error)
        }
        try Self.validate(options.turnTaking, roster: roster)
        self.parties = parties
        self.options = options
        let root = RandomStream(seed: options.seed)
        streams = ids.map { root.substream("agent/" + $0.raw) }
        floor = root.substream("floor")
        pendingArrivals = options.arrivals.sorted { $0.beforeTurn < $1.beforeTurn }
        ownPhaseTurns = Array(repeating: 0, count: parties.count)
        exchangesSinceUpdate = Array(repeating: 0, count: parties.count)
        memoryThrough = Array(repeating: -1, count: parties.count)
        pendingMemory = Array(repeating: nil, count: parties.count)
    }

    static func validate(_ turnTaking: TurnTaking, roster: [Participant]) throws(WorldError) {
        func speaker(_ id: ParticipantID, _ what: String) throws(WorldError) {
            guard let p = roster.first(where: { $0.id == id }) else {
                throw WorldError(.invalidInput, "\(what) \"\(id)\" is not a participant of the world")
            }
            guard p.role != .observer else {
                throw WorldError(.invalidInput, "\(what) \"\(id)\" is an observer; observers never speak")
            }
        }
        switch turnTaking {
        case .moderated(let m):
            try speaker(m.moderator, "the moderator")
            for id in m.script ?? [] where !roster.contains(where: { $0.id == id }) {
                throw WorldError(
                    .invalidInput, "the moderator's script names \"\(id)\", who is not a participant")
            }
        case .selfSelection(let k):
            guard k >= 1 else { throw WorldError(.invalidInput, "maxConsecutive must be at least 1, not \(k)") }
        case .halfDuplex(let h):
            if let opening = h.opening { try speaker(opening.participant, "the opening party") }
        case .roundRobin, .simultaneous:
            break
        }
    }

    // MARK: Results

    /// The parties that are LLM agents, in roster order (their memory as updated by the world).
    public var agents: [Agent] { parties.compactMap { $0 as? Agent } }

    /// The turns that failed (no action recorded; never invented content).
    public var failedTurns: [TurnRecord] { turns.filter(\.isFailed) }

    /// Tokens used by every model call of the world.
    public var usage: Usage { modelCalls.reduce(Usage()) { $0 + $1.usage } }

    /// Whether the world has stopped.
    public var isFinished: Bool { termination != nil }

    /// The number of turns taken (all phases).
    public var turnCount: Int { turns.count }

    // MARK: Driving

    /// Runs turns until a termination rule fires, then flushes pending memory updates.
    ///
    /// - Throws: `CancellationError` when the task is cancelled; ``WorldError`` (`world`) when
    ///   the log cannot be projected or appended to (a bug, not a model failure).
    @discardableResult
    public mutating func run() async throws -> Termination {
        do {
            while termination == nil {
                let records = try await step()
                // Every scheduling path either takes a turn or ends the world; this keeps run() finite regardless.
                if records.isEmpty && termination == nil { terminate(.turnCap, "no one could be scheduled") }
            }
            try await flushMemory()
        } catch {
            cancelPendingMemory()
            throw error
        }
        return termination ?? Termination(reason: .closed, detail: "", turn: turns.count)
    }

    /// Takes one turn (or one simultaneous round) and checks the termination rules. Does nothing
    /// once the world has stopped. Returns the records of the turns taken.
    @discardableResult
    public mutating func step() async throws -> [TurnRecord] {
        guard termination == nil else { return [] }
        try Task.checkCancellation()
        try applyArrivals()
        if checkPresence() { return [] }
        if roundSize == 0 { roundSize = max(1, eligible().count) }
        var records: [TurnRecord] = []
        switch options.turnTaking {
        case .simultaneous:
            let ids = eligible()
            guard !ids.isEmpty else {
                terminate(.turnCap, "every present speaker reached its per-agent cap")
                return []
            }
            records = try await simultaneousRound(ids)
            completeRound()
        default:
            guard let next = try await nextSpeaker() else { return [] }
            let record = try await takeTurn(next.id, urges: next.urges)
            records = [record]
            turnsInRound += 1
            if turnsInRound >= roundSize { completeRound() }
        }
        try await afterTurns(records)
        return records
    }

    /// Starts a new phase: the turn cap and round counters restart; the turn taking, rules and
    /// scenario text change when given. Clears a previous termination, so a scenario can run phases
    /// with their own budgets (call it after `run()` returned).
    public mutating func beginPhase(
        turnTaking: TurnTaking? = nil, termination rules: TerminationRules? = nil, scenario: String? = nil
    ) throws(WorldError) {
        if let turnTaking {
            try Self.validate(turnTaking, roster: transcript.roster)
            options.turnTaking = turnTaking
        }
        if let rules { options.termination = rules }
        if let scenario { options.scenario = scenario }
        termination = nil
        phase += 1
        phaseTurns = 0
        phaseSteps = 0
        phaseToolErrors = 0
        round = 0
        turnsInRound = 0
        roundSize = 0
        ownPhaseTurns = Array(repeating: 0, count: parties.count)
        passedSinceAction = []
        consecutiveFailures = 0
        consecutiveTurns = 0
        floorQueue = []
        moderatorNext = true
        scriptIndex = 0
        newcomers = []
    }

    /// Appends a narration (a phase instruction, "Ten minutes remain") to `audience`.
    @discardableResult
    public mutating func narrate(_ text: String, to audience: Audience = .everyone) throws(WorldError) -> Event {
        try append(speaker: nil, kind: .narration, audience: audience, content: text)
    }

    /// Stops the world with reason `closed` (a scenario rule, a closing narration already appended).
    public mutating func close(_ detail: String) {
        terminate(.closed, detail)
    }

    /// Lets `id` join now (a `join` event; it sees the log from here under `backlog: .fromJoin`).
    public mutating func join(_ id: ParticipantID) throws(WorldError) {
        guard let participant = transcript.participant(id) else {
            throw WorldError(.invalidInput, "\"\(id)\" is not a participant of the world")
        }
        let seq = transcript.nextSeq
        guard !participant.isMember(at: seq) else { return }
        var membership = participant.membership.filter { $0.start != Int.max }
        membership.append(Membership(start: seq))
        do {
            try transcript.setMembership(membership, for: id)
        } catch {
            throw WorldError(.world, "cannot record \(id)'s join: \(error.message)", underlying: error)
        }
        try append(speaker: id, kind: .join, content: "")
        pendingArrivals.removeAll { $0.participant == id }
    }

    /// Makes `id` leave now (a `leave` event) without a turn.
    public mutating func remove(_ id: ParticipantID) throws(WorldError) {
        guard let participant = transcript.participant(id) else {
            throw WorldError(.invalidInput, "\"\(id)\" is not a participant of the world")
        }
        guard participant.isMember(at: transcript.nextSeq) else { return }
        try recordLeave(id)
    }
}
