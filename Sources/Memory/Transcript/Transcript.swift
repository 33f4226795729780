/// The perspective-free, append-only event log of one conversation, with its roster.
///
/// Every append is checked: dense increasing `seq` from 0, known participants, the fields each
/// kind needs, and tool results directly after their calls. Audiences are normalised to roster
/// order without duplicates.
public struct Transcript: Hashable, Sendable {
    /// Who takes part, in roster order (the order used for lists and parallel turns).
    public private(set) var roster: [Participant]
    /// The events, in `seq` order.
    public private(set) var events: [Event]

    /// Creates an empty transcript after validating the roster.
    public init(roster: [Participant], narratorLabel: String = "Narrator") throws(MemoryError) {
        try Participant.validateRoster(roster, narratorLabel: narratorLabel)
        self.roster = roster
        self.events = []
    }

    /// Creates a transcript from stored events, checking each as if appended.
    public init(roster: [Participant], events: [Event], narratorLabel: String = "Narrator") throws(MemoryError) {
        try self.init(roster: roster, narratorLabel: narratorLabel)
        for e in events { try append(e) }
    }

    /// The sequence number the next event must carry.
    public var nextSeq: Int { (events.last?.seq ?? -1) + 1 }

    /// The participant with `id`, if any.
    public func participant(_ id: ParticipantID) -> Participant? {
        roster.first { $0.id == id }
    }

    /// Appends an event after checking it; returns the stored (audience-normalised) event.
    @discardableResult
    public mutating func append(_ event: Event) throws(MemoryError) -> Event {
        let ids = Set(roster.map(\.id))
        try LogIntegrity.checkOrder(event, after: events.last, dense: true)
        try LogIntegrity.checkParticipants(event, rosterIDs: ids)
        try LogIntegrity.checkToolAdjacency(event, after: events.last)
        if let last = events.last, last.kind == .toolCall, event.kind != .toolResult {
            // A call may stay unanswered only at the end of the log; the engine writes call and
            // result together, so anything else here is a lost result.
            throw MemoryError(
                .orphanToolResult,
                "event seq \(event.seq) (\(event.id)): toolCall seq \(last.seq) has no result; write the toolResult right after its call"
            )
        }
        if event.kind == .toolResult, let call = events.last,
            Set(normalise(call.audience).listed ?? []) != Set(normalise(event.audience).listed ?? [])
        {
            throw MemoryError(
                .invalidEvent,
                "event seq \(event.seq) (\(event.id)): a tool result must have the same audience as its call (seq \(call.seq))"
            )
        }
        let normalised = Event(
            seq: event.seq, id: event.id, speaker: event.speaker, kind: event.kind,
            audience: normalise(event.audience), addressees: event.addressees, content: event.content,
            tool: event.tool)
        events.append(normalised)
        return normalised
    }

    /// Appends an event with the next sequence number.
    @discardableResult
    public mutating func append(
        speaker: ParticipantID?, kind: EventKind, audience: Audience = .everyone, addressees: [ParticipantID] = [],
        content: String, tool: ToolPayload? = nil, id: String? = nil
    ) throws(MemoryError) -> Event {
        try append(
            Event(
                seq: nextSeq, id: id, speaker: speaker, kind: kind, audience: audience, addressees: addressees,
                content: content, tool: tool))
    }

    /// Replaces a participant's membership (for example when it leaves); seqs already logged keep
    /// their meaning because intervals are in log seqs.
    public mutating func setMembership(_ membership: [Membership], for id: ParticipantID) throws(MemoryError) {
        guard let index = roster.firstIndex(where: { $0.id == id }) else {
            throw MemoryError(.unknownParticipant, "unknown participant \"\(id)\"; add it to the roster first")
        }
        var updated = roster
        let p = updated[index]
        updated[index] = Participant(id: p.id, displayName: p.displayName, role: p.role, membership: membership)
        try Participant.validateRoster(updated)
        roster = updated
    }

    /// The projection of this transcript for `viewer` (see ``project(log:viewer:roster:system:config:)``).
    public func projection(
        for viewer: ParticipantID, system: String, config: ProjectionConfig = ProjectionConfig()
    ) throws(MemoryError) -> [ProjectedMessage] {
        try project(log: events, viewer: viewer, roster: roster, system: system, config: config)
    }

    private func normalise(_ audience: Audience) -> Audience {
        guard case .only(let ids) = audience else { return audience }
        return .only(roster.map(\.id).filter { ids.contains($0) })
    }
}
