import Agents
import Memory
import Storage

/// Who speaks next: the turn-taking policies of ``TurnTaking``.
extension World {
    /// Present (member now), non-observer parties under their per-agent cap, in roster order.
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
        transcript.roster.firstIndex { $0.id == id } ?? 0
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
        case .halfDuplex(let h):
            return (nextHalfDuplex(h, candidates: candidates), [])
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

    /// The half-duplex floor (``HalfDuplexTurns``): the opener first; the caller again after a move
    /// that ran tools; else an addressee, a newcomer, the last other speaker, the next in roster order.
    mutating func nextHalfDuplex(_ h: HalfDuplexTurns, candidates: [ParticipantID]) -> ParticipantID {
        let phaseRecords = turns.suffix(phaseTurns)
        guard let last = phaseRecords.last else {
            if let opener = h.opening?.participant, candidates.contains(opener) { return opener }
            return candidates[0]
        }
        if !last.toolCalls.isEmpty && last.failure == nil && candidates.contains(last.participant) {
            return last.participant
        }
        let others = candidates.filter { $0 != last.participant }
        guard !others.isEmpty else { return candidates[0] }
        let newcomer = newcomers.last { others.contains($0) }
        newcomers = []
        if case .speak(_, let to, _) = last.action, let addressee = ids(named: to).first(where: others.contains) {
            return addressee
        }
        if let newcomer { return newcomer }
        for record in turns.reversed() where record.spoken != nil && others.contains(record.participant) {
            return record.participant
        }
        return nextInRosterOrder(after: last.participant, among: others)
    }

    mutating func selectByUrge(_ pool: [ParticipantID]) async throws -> (ParticipantID, [TurnRecord.Urge]) {
        for id in pool { try await settleMemoryBeforeActing(index(of: id)) }
        let contexts = pool.map { id in context(for: index(of: id)) }
        let candidates = pool.map { parties[index(of: $0)] }
        let results: [UrgeResult]
        do {
            results = try await TaskWindow.map(count: pool.count, width: max(1, options.concurrency)) { i in
                guard let agent = candidates[i] as? Agent else {
                    return UrgeResult(score: nil, failure: "\(candidates[i].participant.displayName) states no urge")
                }
                return try await agent.urge(in: contexts[i])
            }
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
                    purpose: .urge, participant: pool[i], turn: turns.count,
                    model: candidates[i].modelIdentifier ?? "", usage: result.usage, calls: result.calls,
                    failure: result.failure))
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
}
