/// The integrity rules every log obeys, shared by `Transcript` (append time) and projection.
enum LogIntegrity {
    /// Checks one event against the roster: known participants, fields its kind needs.
    static func checkParticipants(_ e: Event, rosterIDs: Set<ParticipantID>) throws(MemoryError) {
        func known(_ id: ParticipantID, _ field: String) throws(MemoryError) {
            guard rosterIDs.contains(id) else {
                throw MemoryError(
                    .unknownParticipant,
                    "event seq \(e.seq) (\(e.id)): unknown participant \"\(id)\" in \"\(field)\"; add it to the roster")
            }
        }
        if let speaker = e.speaker { try known(speaker, "speaker") }
        for a in e.addressees { try known(a, "addressees") }
        if case .only(let ids) = e.audience { for a in ids { try known(a, "audience") } }
        if let tool = e.tool { try known(tool.caller, "tool.caller") }
        switch e.kind {
        case .utterance, .thought, .toolCall, .join, .leave:
            guard e.speaker != nil else {
                throw MemoryError(
                    .invalidEvent, "event seq \(e.seq) (\(e.id)): a \(e.kind.rawValue) event needs a \"speaker\"")
            }
        case .toolResult, .narration, .summary:
            break
        }
        switch e.kind {
        case .toolCall:
            guard let tool = e.tool else {
                throw MemoryError(
                    .invalidEvent, "event seq \(e.seq) (\(e.id)): a toolCall event needs a \"tool\" object")
            }
            guard tool.caller == e.speaker else {
                throw MemoryError(
                    .invalidEvent,
                    "event seq \(e.seq) (\(e.id)): tool.caller \"\(tool.caller)\" must equal the speaker of a toolCall")
            }
        case .toolResult:
            guard e.tool != nil else {
                throw MemoryError(
                    .invalidEvent, "event seq \(e.seq) (\(e.id)): a toolResult event needs a \"tool\" object")
            }
        default:
            break
        }
    }

    /// Checks the order of `e` after `previous`; `dense` requires `seq == previous.seq + 1` (or 0 first).
    static func checkOrder(_ e: Event, after previous: Event?, dense: Bool) throws(MemoryError) {
        if let previous {
            let ok = dense ? e.seq == previous.seq + 1 : e.seq > previous.seq
            guard ok else {
                throw MemoryError(
                    .nonMonotonicSequence,
                    "event \(e.id): seq \(e.seq) follows seq \(previous.seq); seq must be strictly increasing\(dense ? " and dense" : "")"
                )
            }
        } else if dense && e.seq != 0 {
            throw MemoryError(
                .nonMonotonicSequence, "event \(e.id): the first event must have seq 0, not \(e.seq)")
        }
    }

    /// Checks that a tool result directly follows its call in the log.
    static func checkToolAdjacency(_ e: Event, after previous: Event?) throws(MemoryError) {
        guard e.kind == .toolResult, let tool = e.tool else { return }
        guard let previous, previous.kind == .toolCall, let call = previous.tool, call.callID == tool.callID,
            call.caller == tool.caller
        else {
            throw MemoryError(
                .orphanToolResult,
                "event seq \(e.seq) (\(e.id)): tool result for call \"\(tool.callID)\" must directly follow its toolCall by \(tool.caller)"
            )
        }
    }
}
