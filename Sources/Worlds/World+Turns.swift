import Agents
import Inference
import Memory
import Storage

/// How a move becomes log events and a ``TurnRecord``.
extension World {
    /// The context of party `i`'s next call; draws its seed from the party's own stream.
    mutating func context(for i: Int) -> TurnContext {
        TurnContext(
            transcript: transcript, scenario: options.scenario, projection: options.projection, turn: turns.count,
            round: round, ownTurns: ownPhaseTurns[i], seed: streams[i].next())
    }

    mutating func takeTurn(_ id: ParticipantID, urges: [TurnRecord.Urge]) async throws -> TurnRecord {
        let i = index(of: id)
        if let opening = openingText(for: id) {
            return try await apply(.say(opening), party: i, urges: urges)
        }
        try await settleMemoryBeforeActing(i)
        let floor = Floor(context: context(for: i), turns: turns)
        let party = parties[i]
        let move: Move
        do {
            move = try await party.move(on: floor)
        } catch {
            throw Self.map(error)
        }
        return try await apply(move, party: i, urges: urges)
    }

    /// The half-duplex opening, when `id` is about to take a phase's first turn and opens it.
    func openingText(for id: ParticipantID) -> String? {
        guard case .halfDuplex(let h) = options.turnTaking, phaseTurns == 0, let opening = h.opening,
            opening.participant == id
        else { return nil }
        return opening.text
    }

    mutating func simultaneousRound(_ ids: [ParticipantID]) async throws -> [TurnRecord] {
        let indices = ids.map { index(of: $0) }
        for i in indices { try await settleMemoryBeforeActing(i) }
        var floors: [Floor] = []
        for i in indices { floors.append(Floor(context: context(for: i), turns: turns)) }
        let frozen = floors
        let actors = indices.map { parties[$0] }
        let moves: [Move]
        do {
            moves = try await TaskWindow.map(count: actors.count, width: max(1, options.concurrency)) { k in
                try await actors[k].move(on: frozen[k])
            }
        } catch {
            throw Self.map(error)
        }
        var records: [TurnRecord] = []
        for (k, move) in moves.enumerated() {
            records.append(try await apply(move, party: indices[k], urges: []))
        }
        return records
    }

    static func map(_ error: any Error) -> any Error {
        guard let error = error as? AgentError else { return error }
        if error.code == .cancelled { return CancellationError() }
        return WorldError(.world, "an agent could not take its turn: \(error.message)", underlying: error)
    }

    /// Turns a party's move into log events and a turn record.
    mutating func apply(_ move: Move, party i: Int, urges: [TurnRecord.Urge]) async throws -> TurnRecord {
        let id = transcript.roster[i].id
        let result: AgentTurn
        var requests: [ToolRequest] = []
        switch move {
        case .turn(let turn):
            result = turn
            if let snapshot = turn.context?.memorySnapshot, var agent = parties[i] as? Agent {
                agent.memorySnapshot = snapshot
                parties[i] = agent
            }
        case .toolCalls(let calls):
            // A batch carries no action (the record's action stays nil) and no model calls the world saw.
            result = AgentTurn(outcome: .action(.pass))
            requests = calls
        }
        var record = TurnRecord(
            index: turns.count, round: round, phase: phase, participant: id,
            action: requests.isEmpty ? result.action : nil, failure: result.failure, events: [],
            roleConfusion: result.roleConfusion, unknownAddressees: result.unknownAddressees, raw: result.raw,
            usage: result.usage, calls: result.calls, urges: urges, recall: result.recall, context: result.context)
        if result.calls > 0 || result.failure != nil {
            modelCalls.append(
                ModelCallRecord(
                    purpose: .turn, participant: id, turn: turns.count, model: parties[i].modelIdentifier ?? "",
                    usage: result.usage, calls: result.calls, failure: result.failure?.description))
        }
        ownPhaseTurns[i] += 1
        phaseTurns += 1
        options.onTurn?(
            TurnProgress(
                phaseTurns: phaseTurns, budget: options.termination.maxTurns, totalTurns: turns.count + 1,
                speaker: name(id)))
        if lastSpeaker == id { consecutiveTurns += 1 } else { consecutiveTurns = 1 }
        lastSpeaker = id
        do {
            if !requests.isEmpty {
                try await runTools(requests, by: id, into: &record)
            } else if let action = result.action {
                try await perform(action, by: id, into: &record)
            }
        } catch let failure as TurnFailure {
            record.action = nil
            record.failure = failure
        }
        if record.failure != nil {
            consecutiveFailures += 1
        } else {
            consecutiveFailures = 0
            phaseSteps += record.toolCalls.isEmpty ? 1 : 2
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
    mutating func perform(_ action: AgentAction, by id: ParticipantID, into record: inout TurnRecord) async throws {
        switch action {
        case .pass:
            return
        case .think(let content):
            record.events = [try append(speaker: id, kind: .thought, audience: .only([id]), content: content).seq]
        case .speak(let content, let to, let isPrivate):
            let addressees = ids(named: to)
            guard isPrivate else {
                record.events = [
                    try append(speaker: id, kind: .utterance, addressees: addressees, content: content).seq
                ]
                return
            }
            record.events = [
                try append(
                    speaker: id, kind: .utterance, audience: .only([id] + addressees), addressees: addressees,
                    content: content
                ).seq
            ]
            if options.projection.asideVisibility == .existence {
                let audience = transcript.roster.map(\.id).filter { $0 != id && !addressees.contains($0) }
                if !audience.isEmpty {
                    let text = "\(name(id)) whispered something to \(to.joined(separator: ", "))."
                    record.events.append(
                        try append(speaker: nil, kind: .narration, audience: .only(audience), content: text).seq)
                }
            }
        case .leave(let content):
            if !content.isEmpty {
                record.events.append(try append(speaker: id, kind: .utterance, content: content).seq)
            }
            record.events.append(contentsOf: try recordLeave(id))
        case .callTool(let name, let arguments, _):
            let call = ToolCall(id: "", name: name, arguments: arguments.serialized())
            try await runTools([ToolRequest(call)], by: id, into: &record)
        }
    }

    /// Runs tool calls in order: for each, the call and its result for the caller alone, then any
    /// public narration and joins. Throws `TurnFailure` when there is no executor or it throws.
    mutating func runTools(_ requests: [ToolRequest], by id: ParticipantID, into record: inout TurnRecord) async throws
    {
        guard let executor = options.toolExecutor else {
            let names = requests.map(\.call.name).joined(separator: ", ")
            throw TurnFailure(.unsupported, "\(name(id)) called tool \(names), but this world has no tools")
        }
        for var request in requests {
            toolCallCount += 1
            if request.call.id.isEmpty { request.call.id = "call_\(toolCallCount)" }
            let call = request.call
            let execution: ToolExecution
            do {
                execution = try await executor.execute(request, caller: id, transcript: transcript)
            } catch {
                throw TurnFailure(.unsupported, "tool \(call.name) failed: \(error)", underlying: error)
            }
            var seqs = [
                try append(
                    speaker: id, kind: .toolCall, audience: .only([id]), content: "",
                    tool: ToolPayload(callID: call.id, name: call.name, caller: id, arguments: call.arguments)
                ).seq,
                try append(
                    speaker: nil, kind: .toolResult, audience: .only([id]), content: execution.result,
                    tool: ToolPayload(callID: call.id, name: call.name, caller: id, arguments: "")
                ).seq,
            ]
            if let narration = execution.narration {
                seqs.append(try append(speaker: nil, kind: .narration, content: narration).seq)
            }
            for joiner in execution.joins {
                guard let participant = transcript.participant(joiner) else {
                    throw WorldError(
                        .invalidInput, "tool \(call.name) brings in \"\(joiner)\", who is not a party of the world")
                }
                guard !participant.isMember(at: transcript.nextSeq) else { continue }
                try join(joiner)
                seqs.append(transcript.nextSeq - 1)
                newcomers.append(joiner)
            }
            if execution.isError { phaseToolErrors += 1 }
            record.events += seqs
            record.toolCalls.append(ToolCallRecord(request: request, execution: execution, events: seqs))
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
}
