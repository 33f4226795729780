public import Agents
public import Inference
public import Memory
import Storage

/// One N-party conversation: agents, the perspective-free log, turn taking and termination
/// (issue #5, item 2). A world is one unit of work; create it, `run()` it, read its results.
///
/// ```swift
/// var world = try World(agents: [moderator, alex, bo], options: WorldOptions(
///     turnTaking: .moderated(ModeratedTurns(moderator: moderator.id)), seed: 42))
/// let end = try await world.run()
/// // world.transcript.events, world.turns, world.failedTurns, world.modelCalls, world.usage
/// ```
///
/// Determinism: each agent draws its sampling seeds from its own stream (run seed, agent id), the
/// floor (tie breaks) from the stream (run seed, "floor"); nothing iterates a `Dictionary` or `Set`
/// into output; agents acting in one simultaneous round all see the log as it stood before the
/// round, and their events are appended in roster order whatever order their calls complete in.
/// The same seed and the same model answers give the same transcript.
public struct World: Sendable {
    /// The agents, in roster order (memory updated as the world runs).
    public private(set) var agents: [Agent]
    /// The log and roster (membership updated on join and leave).
    public private(set) var transcript: Transcript
    /// Every turn taken, in order.
    public private(set) var turns: [TurnRecord] = []
    /// Every model call made by the world (turns, urges, detector, memory), in order.
    public private(set) var modelCalls: [ModelCallRecord] = []
    /// Memory updates made, in order.
    public private(set) var memoryNotes: [MemoryNote] = []
    /// Why the world stopped, once it has.
    public private(set) var termination: Termination?
    /// The options in force (turn taking, rules and scenario change with phases).
    public private(set) var options: WorldOptions
    /// The current phase (0-based).
    public private(set) var phase = 0
    /// Completed rounds in the current phase.
    public private(set) var round = 0

    var streams: [RandomStream]
    var floor: RandomStream
    var pendingArrivals: [Arrival]
    // Phase counters.
    var phaseTurns = 0
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
    // Stall detection, kept incrementally.
    var utterances: [StallDetector.Utterance] = []
    var seenUtterances: Set<String> = []
    // Memory.
    var exchangesSinceUpdate: [Int]
    var memoryThrough: [Int]

    /// Creates a world; agents joining later must be listed in `options.arrivals`.
    ///
    /// - Throws: ``WorldError`` (`invalidInput`) for duplicate ids or names, an unknown
    ///   moderator, scripted participant or arrival, or a moderator that is an observer.
    public init(agents: [Agent], options: WorldOptions = WorldOptions()) throws(WorldError) {
        guard !agents.isEmpty else { throw WorldError(.invalidInput, "a world needs at least one agent") }
        let ids = agents.map(\.id)
        for arrival in options.arrivals where !ids.contains(arrival.participant) {
            throw WorldError(.invalidInput, "arrival \"\(arrival.participant)\" is not an agent of the world")
        }
        let roster = agents.map { agent in
            let late = options.arrivals.contains { $0.participant == agent.id }
            return Participant(
                id: agent.id, displayName: agent.profile.displayName, role: agent.role,
                membership: [Membership(start: late ? Int.max : 0)])
        }
        do {
            transcript = try Transcript(roster: roster, narratorLabel: options.projection.narratorLabel)
        } catch {
            throw WorldError(.invalidInput, "the world's roster is invalid: \(error.message)", underlying: error)
        }
        try Self.validate(options.turnTaking, ids: ids, agents: agents)
        self.agents = agents
        self.options = options
        let root = RandomStream(seed: options.seed)
        streams = agents.map { root.substream("agent/" + $0.id.raw) }
        floor = root.substream("floor")
        pendingArrivals = options.arrivals.sorted { $0.beforeTurn < $1.beforeTurn }
        ownPhaseTurns = Array(repeating: 0, count: agents.count)
        exchangesSinceUpdate = Array(repeating: 0, count: agents.count)
        memoryThrough = Array(repeating: -1, count: agents.count)
    }

    static func validate(_ turnTaking: TurnTaking, ids: [ParticipantID], agents: [Agent]) throws(WorldError) {
        switch turnTaking {
        case .moderated(let m):
            guard let index = ids.firstIndex(of: m.moderator) else {
                throw WorldError(
                    .invalidInput, "the moderator \"\(m.moderator)\" is not a participant of the world")
            }
            guard agents[index].role != .observer else {
                throw WorldError(
                    .invalidInput, "the moderator \"\(m.moderator)\" is an observer; observers never speak")
            }
            for id in m.script ?? [] where !ids.contains(id) {
                throw WorldError(
                    .invalidInput, "the moderator's script names \"\(id)\", who is not a participant")
            }
        case .selfSelection(let k):
            guard k >= 1 else { throw WorldError(.invalidInput, "maxConsecutive must be at least 1, not \(k)") }
        case .roundRobin, .simultaneous:
            break
        }
    }

    // MARK: Results

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
        while termination == nil {
            let records = try await step()
            // Every scheduling path either takes a turn or ends the world; this keeps run() finite regardless.
            if records.isEmpty && termination == nil { terminate(.turnCap, "no one could be scheduled") }
        }
        try await flushMemory()
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
            try Self.validate(turnTaking, ids: agents.map(\.id), agents: agents)
            options.turnTaking = turnTaking
        }
        if let rules { options.termination = rules }
        if let scenario { options.scenario = scenario }
        termination = nil
        phase += 1
        phaseTurns = 0
        round = 0
        turnsInRound = 0
        roundSize = 0
        ownPhaseTurns = Array(repeating: 0, count: agents.count)
        passedSinceAction = []
        consecutiveFailures = 0
        consecutiveTurns = 0
        floorQueue = []
        moderatorNext = true
        scriptIndex = 0
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

    // MARK: Scheduling

    /// Present (member now), non-observer agents under their per-agent cap, in roster order.
    func eligible() -> [ParticipantID] {
        let seq = transcript.nextSeq
        let cap = options.termination.maxTurnsPerAgent
        var out: [ParticipantID] = []
        for (i, p) in transcript.roster.enumerated() where p.role != .observer && p.isMember(at: seq) {
            if let cap, ownPhaseTurns[i] >= cap { continue }
            out.append(p.id)
        }
        return out
    }

    func presentSpeakers() -> [ParticipantID] {
        let seq = transcript.nextSeq
        return transcript.roster.filter { $0.role != .observer && $0.isMember(at: seq) }.map(\.id)
    }

    func index(of id: ParticipantID) -> Int {
        // Ids come from the roster; the fallback keeps the function total.
        agents.firstIndex { $0.id == id } ?? 0
    }

    mutating func applyArrivals() throws {
        while let first = pendingArrivals.first, first.beforeTurn <= turns.count {
            pendingArrivals.removeFirst()
            try join(first.participant)
        }
    }

    /// Ends the world when too few are present; returns whether it did.
    mutating func checkPresence() -> Bool {
        let present = presentSpeakers()
        // Wait for arrivals before declaring an empty world.
        if present.count < options.termination.minimumPresent && (pendingArrivals.isEmpty || turns.count > 0) {
            terminate(.allLeft, "\(present.count) present, fewer than \(options.termination.minimumPresent)")
            return true
        }
        return false
    }

    mutating func nextSpeaker() async throws -> (id: ParticipantID, urges: [TurnRecord.Urge])? {
        let candidates = eligible()
        guard !candidates.isEmpty else {
            terminate(.turnCap, "every present speaker reached its per-agent cap")
            return nil
        }
        switch options.turnTaking {
        case .roundRobin, .simultaneous:
            return (nextInRosterOrder(after: lastSpeaker, among: candidates), [])
        case .moderated(let m):
            return nextModerated(m, candidates: candidates).map { ($0, []) }
        case .selfSelection(let k):
            var pool = candidates
            if let last = lastSpeaker, consecutiveTurns >= k, pool.count > 1 { pool.removeAll { $0 == last } }
            return try await selectByUrge(pool)
        }
    }

    func nextInRosterOrder(after previous: ParticipantID?, among candidates: [ParticipantID]) -> ParticipantID {
        let order = transcript.roster.map(\.id)
        guard let previous, let start = order.firstIndex(of: previous) else { return candidates[0] }
        for offset in 1...order.count {
            let id = order[(start + offset) % order.count]
            if candidates.contains(id) { return id }
        }
        return candidates[0]
    }

    mutating func nextModerated(_ m: ModeratedTurns, candidates: [ParticipantID]) -> ParticipantID? {
        let others = candidates.filter { $0 != m.moderator }
        if moderatorNext {
            guard candidates.contains(m.moderator) else {
                terminate(.turnCap, "the moderator reached its per-agent cap")
                return nil
            }
            return m.moderator
        }
        if let script = m.script {
            while scriptIndex < script.count {
                let id = script[scriptIndex]
                scriptIndex += 1
                if others.contains(id) { return id }
            }
            terminate(.scriptEnded, "no one scripted is left to speak")
            return nil
        }
        while let id = floorQueue.first {
            floorQueue.removeFirst()
            if others.contains(id) { return id }
        }
        guard !others.isEmpty else {
            moderatorNext = true
            return candidates.contains(m.moderator) ? m.moderator : nil
        }
        return nextInRosterOrder(after: lastFloorHolder ?? m.moderator, among: others)
    }

    mutating func selectByUrge(_ pool: [ParticipantID]) async throws -> (ParticipantID, [TurnRecord.Urge]) {
        let contexts = pool.map { id in context(for: index(of: id)) }
        let agentsInPool = pool.map { agents[index(of: $0)] }
        let results: [UrgeResult]
        do {
            results = try await concurrently(count: pool.count) { i in try await agentsInPool[i].urge(in: contexts[i]) }
        } catch let error as AgentError {
            throw Self.map(error)
        }
        var urges: [TurnRecord.Urge] = []
        var best = -1
        var tied: [ParticipantID] = []
        for (i, result) in results.enumerated() {
            urges.append(TurnRecord.Urge(participant: pool[i], score: result.score))
            modelCalls.append(
                ModelCallRecord(
                    purpose: .urge, participant: pool[i], turn: turns.count, model: agentsInPool[i].model.identifier,
                    usage: result.usage, calls: result.calls, failure: result.failure))
            let score = result.score ?? 0
            if score > best {
                best = score
                tied = [pool[i]]
            } else if score == best {
                tied.append(pool[i])
            }
        }
        let winner = tied.count == 1 ? tied[0] : tied[Int(floor.nextInt(below: UInt64(tied.count)))]
        return (winner, urges)
    }

    /// Runs `count` agent calls with at most `options.concurrency` in flight; results in index order.
    func concurrently<T: Sendable>(
        count: Int, _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> [T] {
        var results = [T?](repeating: nil, count: count)
        let width = max(1, options.concurrency)
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var started = 0
            while started < min(width, count) {
                let i = started
                group.addTask { (i, try await body(i)) }
                started += 1
            }
            while let (i, value) = try await group.next() {
                results[i] = value
                if started < count {
                    let j = started
                    group.addTask { (j, try await body(j)) }
                    started += 1
                }
            }
        }
        return results.compactMap { $0 }
    }

    // MARK: Turns

    /// The context of agent `i`'s next call; draws its seed from the agent's own stream.
    mutating func context(for i: Int) -> TurnContext {
        TurnContext(
            transcript: transcript, scenario: options.scenario, projection: options.projection, turn: turns.count,
            round: round, ownTurns: ownPhaseTurns[i], seed: streams[i].next())
    }

    mutating func takeTurn(_ id: ParticipantID, urges: [TurnRecord.Urge]) async throws -> TurnRecord {
        let i = index(of: id)
        let ctx = context(for: i)
        let agent = agents[i]
        let result: AgentTurn
        do {
            result = try await agent.act(in: ctx)
        } catch {
            throw Self.map(error)
        }
        return try await apply(result, agent: i, urges: urges)
    }

    mutating func simultaneousRound(_ ids: [ParticipantID]) async throws -> [TurnRecord] {
        let indices = ids.map { index(of: $0) }
        var contexts: [TurnContext] = []
        for i in indices { contexts.append(context(for: i)) }
        let frozen = contexts
        let actors = indices.map { agents[$0] }
        let results: [AgentTurn]
        do {
            results = try await concurrently(count: actors.count) { k in try await actors[k].act(in: frozen[k]) }
        } catch let error as AgentError {
            throw Self.map(error)
        }
        var records: [TurnRecord] = []
        for (k, result) in results.enumerated() {
            records.append(try await apply(result, agent: indices[k], urges: []))
        }
        return records
    }

    static func map(_ error: AgentError) -> any Error {
        if error.code == .cancelled { return CancellationError() }
        return WorldError(.world, "an agent could not take its turn: \(error.message)", underlying: error)
    }

    /// Turns an agent's result into log events and a turn record.
    mutating func apply(_ result: AgentTurn, agent i: Int, urges: [TurnRecord.Urge]) async throws -> TurnRecord {
        let id = agents[i].id
        var record = TurnRecord(
            index: turns.count, round: round, phase: phase, participant: id, action: result.action,
            failure: result.failure, events: [], roleConfusion: result.roleConfusion,
            unknownAddressees: result.unknownAddressees, raw: result.raw, usage: result.usage, calls: result.calls,
            urges: urges, recall: result.recall)
        if result.calls > 0 || result.failure != nil {
            modelCalls.append(
                ModelCallRecord(
                    purpose: .turn, participant: id, turn: turns.count, model: agents[i].model.identifier,
                    usage: result.usage, calls: result.calls, failure: result.failure?.description))
        }
        ownPhaseTurns[i] += 1
        phaseTurns += 1
        if lastSpeaker == id { consecutiveTurns += 1 } else { consecutiveTurns = 1 }
        lastSpeaker = id
        if let action = result.action {
            do {
                record.events = try await perform(action, by: id)
            } catch let failure as TurnFailure {
                record.action = nil
                record.failure = failure
            }
        }
        if record.failure != nil {
            consecutiveFailures += 1
        } else {
            consecutiveFailures = 0
            if record.action == .pass {
                if !passedSinceAction.contains(id) { passedSinceAction.append(id) }
            } else {
                passedSinceAction = []
            }
            if case .speak = record.action { exchangesSinceUpdate[i] += 1 }
        }
        turns.append(record)
        return record
    }

    /// Writes the events of an action; throws `TurnFailure` when the world cannot carry it out.
    mutating func perform(_ action: AgentAction, by id: ParticipantID) async throws -> [Int] {
        switch action {
        case .pass:
            return []
        case .think(let content):
            return [try append(speaker: id, kind: .thought, audience: .only([id]), content: content).seq]
        case .speak(let content, let to, let isPrivate):
            let addressees = ids(named: to)
            if isPrivate {
                var seqs = [
                    try append(
                        speaker: id, kind: .utterance, audience: .only([id] + addressees), addressees: addressees,
                        content: content
                    ).seq
                ]
                if options.projection.asideVisibility == .existence {
                    let audience = transcript.roster.map(\.id).filter { $0 != id && !addressees.contains($0) }
                    if !audience.isEmpty {
                        let text = "\(name(id)) whispered something to \(to.joined(separator: ", "))."
                        seqs.append(
                            try append(speaker: nil, kind: .narration, audience: .only(audience), content: text).seq)
                    }
                }
                return seqs
            }
            return [try append(speaker: id, kind: .utterance, addressees: addressees, content: content).seq]
        case .leave(let content):
            var seqs: [Int] = []
            if !content.isEmpty { seqs.append(try append(speaker: id, kind: .utterance, content: content).seq) }
            seqs.append(contentsOf: try recordLeave(id))
            return seqs
        case .callTool(let name, let arguments, _):
            guard let executor = options.toolExecutor else {
                throw TurnFailure(.unsupported, "\(self.name(id)) called tool \(name), but this world has no tools")
            }
            let execution: ToolExecution
            do {
                execution = try await executor.execute(
                    name: name, arguments: arguments, caller: id, transcript: transcript)
            } catch {
                throw TurnFailure(.unsupported, "tool \(name) failed: \(error)", underlying: error)
            }
            let callID = "call-\(turns.count)"
            let payload = ToolPayload(callID: callID, name: name, caller: id, arguments: arguments.serialized())
            var seqs = [
                try append(speaker: id, kind: .toolCall, audience: .only([id]), content: "", tool: payload).seq,
                try append(
                    speaker: nil, kind: .toolResult, audience: .only([id]), content: execution.result,
                    tool: ToolPayload(callID: callID, name: name, caller: id, arguments: "")
                ).seq,
            ]
            if let narration = execution.narration {
                seqs.append(try append(speaker: nil, kind: .narration, content: narration).seq)
            }
            return seqs
        }
    }

    @discardableResult
    mutating func recordLeave(_ id: ParticipantID) throws(WorldError) -> [Int] {
        let event = try append(speaker: id, kind: .leave, content: "")
        guard let participant = transcript.participant(id) else { return [event.seq] }
        var membership = participant.membership
        if let last = membership.last, last.end == nil {
            membership[membership.count - 1] = Membership(start: last.start, end: event.seq + 1)
        }
        do {
            try transcript.setMembership(membership, for: id)
        } catch {
            throw WorldError(.world, "cannot record \(id)'s leave: \(error.message)", underlying: error)
        }
        return [event.seq]
    }

    func ids(named names: [String]) -> [ParticipantID] {
        transcript.roster.filter { names.contains($0.displayName) }.map(\.id)
    }

    func name(_ id: ParticipantID) -> String {
        transcript.participant(id)?.displayName ?? id.raw
    }

    @discardableResult
    mutating func append(
        speaker: ParticipantID?, kind: EventKind, audience: Audience = .everyone, addressees: [ParticipantID] = [],
        content: String, tool: ToolPayload? = nil
    ) throws(WorldError) -> Event {
        do {
            let event = try transcript.append(
                speaker: speaker, kind: kind, audience: audience, addressees: addressees, content: content, tool: tool)
            if kind == .utterance, let speaker {
                StallDetector.append(content, by: speaker, to: &utterances, seen: &seenUtterances)
            }
            return event
        } catch {
            throw WorldError(
                .world, "cannot append a \(kind.rawValue) event: \(error.message)", underlying: error)
        }
    }

    // MARK: After a turn

    mutating func completeRound() {
        round += 1
        turnsInRound = 0
        roundSize = max(1, eligible().count)
    }

    mutating func terminate(_ reason: Termination.Reason, _ detail: String) {
        guard termination == nil else { return }
        termination = Termination(reason: reason, detail: detail, turn: turns.count)
    }

    mutating func afterTurns(_ records: [TurnRecord]) async throws {
        let rules = options.termination
        // Floor bookkeeping for moderated turns.
        if case .moderated(let m) = options.turnTaking, let record = records.last {
            if record.participant == m.moderator {
                moderatorNext = false
                if m.script == nil {
                    if case .speak(_, let to, _) = record.action {
                        floorQueue = ids(named: to).filter { $0 != m.moderator }
                    } else {
                        floorQueue = []
                    }
                }
                if let script = m.script, scriptIndex >= script.count {
                    terminate(.scriptEnded, "the moderator's script of \(script.count) turns is used up")
                }
            } else {
                lastFloorHolder = record.participant
                moderatorNext = floorQueue.isEmpty
            }
            if records.contains(where: { $0.participant == m.moderator && $0.action?.kind == .leave }) {
                terminate(.moderatorClosed, "the moderator left")
            }
        }
        if let failure = records.lazy.compactMap(\.failure).first(where: \.isEndpointUnusable) {
            terminate(.endpointUnusable, failure.message)
        }
        if consecutiveFailures >= rules.maxConsecutiveFailures {
            terminate(.failures, "\(consecutiveFailures) failed turns in a row")
        }
        let present = presentSpeakers()
        if present.count < rules.minimumPresent && pendingArrivals.isEmpty {
            terminate(.allLeft, "\(present.count) present, fewer than \(rules.minimumPresent)")
        }
        if rules.endWhenAllPass, !present.isEmpty, present.allSatisfy({ passedSinceAction.contains($0) }) {
            terminate(.allPassed, "every present speaker passed")
        }
        if phaseTurns >= rules.maxTurns {
            terminate(.turnCap, "\(phaseTurns) turns, the phase's cap")
        }
        if termination == nil, let stall = rules.stall,
            records.contains(where: { if case .speak = $0.action { true } else { false } }),
            let detail = stall.check(utterances)
        {
            terminate(.stalled, detail)
        }
        if termination == nil, let detector = rules.detector, turnsInRound == 0, round >= detector.firstRound {
            try await runDetector(detector)
        }
        if termination == nil, let updater = options.memoryUpdater {
            for record in records {
                let i = index(of: record.participant)
                if exchangesSinceUpdate[i] >= max(1, options.memoryChunk) {
                    try await updateMemory(i, updater: updater)
                }
            }
        }
    }

    mutating func runDetector(_ detector: TerminationDetector) async throws {
        let publicEvents = transcript.events.filter {
            $0.audience == .everyone && ($0.kind == .utterance || $0.kind == .narration || $0.kind == .leave)
        }
        let window = Array(publicEvents.suffix(detector.window))
        guard !window.isEmpty else { return }
        let lines = OmniscientTranscript.lines(
            window, roster: transcript.roster, narratorLabel: options.projection.narratorLabel)
        let nearCap = phaseTurns >= options.termination.maxTurns - 1
        guard nearCap || detector.containsClosingPhrase(lines.joined(separator: "\n")) else { return }
        do {
            let result = try await StructuredGenerator(model: detector.model).generate(
                detector.request(lines: lines), schema: TerminationDetector.schema, name: "termination")
            modelCalls.append(
                ModelCallRecord(
                    purpose: .detector, participant: nil, turn: turns.count, model: detector.model.identifier,
                    usage: result.usage, calls: result.attempts, failure: nil))
            if result.value["end"]?.boolValue == true {
                terminate(.detector, result.value["reason"]?.stringValue ?? "")
            }
        } catch {
            if error.code == .cancelled { throw CancellationError() }
            modelCalls.append(
                ModelCallRecord(
                    purpose: .detector, participant: nil, turn: turns.count, model: detector.model.identifier,
                    usage: Usage(), calls: 1, failure: error.message))
        }
    }

    // MARK: Memory

    /// Runs the pending memory updates (the end-of-session chunk, as `MemListenerSchedule` ends it):
    /// every agent that spoke, or saw anything other than a thought, since its last update — a
    /// listener learns about the others too. `run()` calls it at the end of each phase.
    public mutating func flushMemory() async throws {
        guard let updater = options.memoryUpdater else { return }
        for i in agents.indices where exchangesSinceUpdate[i] > 0 || sawSinceUpdate(i) {
            try await updateMemory(i, updater: updater)
        }
    }

    /// Whether agent `i` saw an event other than a thought since its last memory update.
    func sawSinceUpdate(_ i: Int) -> Bool {
        guard let me = transcript.roster.first(where: { $0.id == agents[i].id }) else { return false }
        let since = memoryThrough[i]
        return transcript.events.contains {
            $0.seq > since && $0.kind != .thought && isVisible($0, to: me, backlog: options.projection.backlog)
        }
    }

    mutating func updateMemory(_ i: Int, updater: any MemoryUpdater) async throws {
        let agent = agents[i]
        let since = memoryThrough[i]
        let chunk = transcript.events.filter { $0.seq > since }
        let through = transcript.events.last?.seq ?? since
        exchangesSinceUpdate[i] = 0
        memoryThrough[i] = through
        guard !chunk.isEmpty else { return }
        do {
            let update = try await updater.update(
                memory: agent.memory, agent: agent.profile, viewer: agent.id, chunk: chunk, roster: transcript.roster)
            agents[i].memory = update.memory
            memoryNotes.append(
                MemoryNote(participant: agent.id, throughSeq: through, note: update.note, record: update.record))
            modelCalls.append(
                ModelCallRecord(
                    purpose: .memory, participant: agent.id, turn: turns.count, model: agent.model.identifier,
                    usage: update.usage, calls: update.calls, failure: update.record?.failure))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            modelCalls.append(
                ModelCallRecord(
                    purpose: .memory, participant: agent.id, turn: turns.count, model: agent.model.identifier,
                    usage: Usage(), calls: 1, failure: "\(error)"))
        }
    }
}

/// One memory update made by the world's ``MemoryUpdater``.
public struct MemoryNote: Sendable {
    /// Whose memory changed.
    public var participant: ParticipantID
    /// The last log seq the update covered.
    public var throughSeq: Int
    /// The updater's account of what changed.
    public var note: String
    /// The MemListener's record (ops and outcomes), when one ran.
    public var record: MemListenerRecord?
}
