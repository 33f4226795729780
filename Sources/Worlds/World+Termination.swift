import Agents
import Inference
import Memory
import Storage

/// The rules checked after every turn (``TerminationRules``) and the floor bookkeeping they share.
extension World {
    mutating func completeRound() {
        round += 1
        turnsInRound = 0
        roundSize = max(1, eligible().count)
    }

    mutating func terminate(_ reason: Termination.Reason, _ detail: String, by participant: ParticipantID? = nil) {
        guard termination == nil else { return }
        termination = Termination(reason: reason, detail: detail, turn: turns.count, participant: participant)
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
        if let record = records.first(where: { $0.failure?.stopsRun == true }), let failure = record.failure {
            terminate(.endpointUnusable, failure.message, by: record.participant)
        }
        if consecutiveFailures >= rules.maxConsecutiveFailures {
            terminate(
                .failures, "\(consecutiveFailures) failed turns in a row",
                by: records.last { $0.isFailed }?.participant)
        }
        checkMoveRules(records, rules: rules)
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

    /// The rules of tool-using, half-duplex conversations, in tau2's order: tool errors, a tool that
    /// ends the conversation, stop tokens, then the step cap.
    mutating func checkMoveRules(_ records: [TurnRecord], rules: TerminationRules) {
        if let max = rules.maxToolErrors, phaseToolErrors >= max {
            terminate(
                .toolErrors, "\(phaseToolErrors) failed tool calls, the limit is \(max)",
                by: records.last { !$0.toolCalls.isEmpty }?.participant)
        }
        for record in records {
            if let ending = record.toolCalls.lazy.compactMap(\.execution.endsConversation).first {
                terminate(.toolEnded, ending, by: record.participant)
            }
            guard let text = record.spoken else { continue }
            let rule = rules.stopRules.first { rule in
                text.contains(rule.token) && (rule.speakers?.contains(record.participant) ?? true)
            }
            if let rule { terminate(.stopToken, rule.token, by: record.participant) }
        }
        if let max = rules.maxSteps, phaseSteps >= max {
            terminate(.stepCap, "\(phaseSteps) steps, the phase's limit")
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
}
