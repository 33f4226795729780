/// What kind of thing an event records.
public enum EventKind: String, Codable, Sendable, CaseIterable {
    /// Something a participant said.
    case utterance
    /// A private thought; visible to its speaker only.
    case thought
    /// A participant called a tool.
    case toolCall
    /// The environment answered a tool call.
    case toolResult
    /// The environment describes something (a card shown, time remaining).
    case narration
    /// A participant joined.
    case join
    /// A participant left.
    case leave
    /// A stored summary of earlier events (backlog summaries, windowing).
    case summary
}

/// Who may see an event.
public enum Audience: Hashable, Codable, Sendable {
    /// Every member present at the event.
    case everyone
    /// Only the listed participants (kept in roster order, deduplicated).
    case only([ParticipantID])

    /// The listed ids, or nil for `.everyone`.
    public var listed: [ParticipantID]? {
        if case .only(let ids) = self { return ids }
        return nil
    }

    /// Whether `id` is explicitly listed (`false` for `.everyone`).
    public func lists(_ id: ParticipantID) -> Bool {
        if case .only(let ids) = self { return ids.contains(id) }
        return false
    }

    /// Whether `id` may see the event by audience alone.
    public func admits(_ id: ParticipantID) -> Bool {
        switch self {
        case .everyone: return true
        case .only(let ids): return ids.contains(id)
        }
    }

    /// Wire form: `"everyone"` or `["id", …]`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard text == "everyone" else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "audience must be \"everyone\" or an array of ids")
            }
            self = .everyone
        } else {
            self = .only(try container.decode([ParticipantID].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .everyone: try container.encode("everyone")
        case .only(let ids): try container.encode(ids)
        }
    }
}

/// The tool part of a `toolCall` or `toolResult` event.
public struct ToolPayload: Hashable, Codable, Sendable {
    /// The call identifier that links a result to its call.
    public let callID: String
    /// The tool name.
    public let name: String
    /// The participant who called the tool.
    public let caller: ParticipantID
    /// The call arguments as JSON text (empty for results).
    public let arguments: String

    /// Creates a payload.
    public init(callID: String, name: String, caller: ParticipantID, arguments: String = "{}") {
        self.callID = callID
        self.name = name
        self.caller = caller
        self.arguments = arguments
    }

    enum CodingKeys: String, CodingKey {
        case callID, name, caller, arguments
    }
}

/// One entry of the perspective-free log.
public struct Event: Hashable, Codable, Sendable {
    /// Logical time: strictly increasing and dense, assigned by the world engine.
    public let seq: Int
    /// A stable, run-scoped identifier.
    public let id: String
    /// Who produced the event; `nil` for the narrator or environment.
    public let speaker: ParticipantID?
    /// What the event records.
    public let kind: EventKind
    /// Who may see it; thoughts are implicitly speaker-only whatever this says.
    public let audience: Audience
    /// To whom a public utterance is addressed (may be empty).
    public let addressees: [ParticipantID]
    /// The text, verbatim; projection never rewrites it.
    public let content: String
    /// The tool call or result, for `toolCall` and `toolResult` events.
    public let tool: ToolPayload?

    /// Creates an event.
    public init(
        seq: Int, id: String? = nil, speaker: ParticipantID?, kind: EventKind, audience: Audience = .everyone,
        addressees: [ParticipantID] = [], content: String, tool: ToolPayload? = nil
    ) {
        self.seq = seq
        self.id = id ?? "e\(seq)"
        self.speaker = speaker
        self.kind = kind
        self.audience = audience
        self.addressees = addressees
        self.content = content
        self.tool = tool
    }

    /// The same event with another sequence number (and id, when the id was derived from it).
    public func renumbered(_ newSeq: Int) -> Event {
        Event(
            seq: newSeq, id: id == "e\(seq)" ? nil : id, speaker: speaker, kind: kind, audience: audience,
            addressees: addressees, content: content, tool: tool)
    }

    enum CodingKeys: String, CodingKey {
        case seq, id, speaker, kind, audience, addressees, content, tool
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int.self, forKey: .seq)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? "e\(seq)"
        speaker = try c.decodeIfPresent(ParticipantID.self, forKey: .speaker)
        kind = try c.decode(EventKind.self, forKey: .kind)
        audience = try c.decodeIfPresent(Audience.self, forKey: .audience) ?? .everyone
        addressees = try c.decodeIfPresent([ParticipantID].self, forKey: .addressees) ?? []
        content = try c.decodeIfPresent(String.self, forKey: .content) ?? ""
        tool = try c.decodeIfPresent(ToolPayload.self, forKey: .tool)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(id, forKey: .id)
        try c.encode(speaker, forKey: .speaker)
        try c.encode(kind, forKey: .kind)
        try c.encode(audience, forKey: .audience)
        try c.encode(addressees, forKey: .addressees)
        try c.encode(content, forKey: .content)
        try c.encodeIfPresent(tool, forKey: .tool)
    }
}
