public import Inference
public import Memory
import Runs
public import Storage
public import Worlds

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
    /// The domain party that sent it (a supervisor who joined), or `nil` for the agent under test and
    /// the user; written as `party` only when set, so two-party transcripts are tau2's lines exactly.
    public var party: String? = nil

    /// Equality.
    public static func == (a: TranscriptEntry, b: TranscriptEntry) -> Bool { a.json == b.json }
    /// Hash.
    public func hash(into hasher: inout Hasher) { hasher.combine(CanonicalJSON.string(json)) }

    /// The entry as a JSON object in a fixed key order; `ts` is the logical clock (the turn).
    public var json: JSONValue {
        var o = JSONObject([("turn", .integer(Int64(turn))), ("role", .string(role))])
        if let party { o["party"] = .string(party) }
        if let content { o["content"] = .string(content) }
        if !toolCalls.isEmpty {
            o["tool_calls"] = .array(
                toolCalls.map {
                    .object(
                        JSONObject([
                            ("id", .string($0.id)), ("name", .string($0.name)), ("arguments", .string($0.arguments)),
                            ("side", .string($0.side.rawValue)),
                        ]))
                })
        }
        if let r = toolResult {
            o["tool_result"] = .object(
                JSONObject([("id", .string(r.id)), ("name", .string(r.name)), ("content", .string(r.content))]))
        }
        o["side"] = .string(side.rawValue)
        o["error"] = .bool(error)
        o["ts"] = .integer(Int64(turn))
        return .object(o)
    }
}

/// The perspective-free record of an episode: Memory's ``Transcript`` with the agent under test
/// (`agent`), the simulated user (`user`), any domain party that joins (a supervisor), and the
/// environment as narrator (speaker `nil`) of tool results.
///
/// Text messages are utterances; each tool call is a `toolCall` event whose audience is the caller
/// alone, directly followed by its `toolResult` with the same audience. So "the agent never sees the
/// user's tool calls and vice versa" (spec §10.7) is an audience rule that
/// ``Memory/isVisible(_:to:backlog:)`` and the projection's invariants enforce, and each side's chat
/// messages are the Egocentric Context Projection of the log (docs/transcript.md). The tau2-style
/// entries (``TranscriptEntry``) are kept beside the log, each mapped to the events it produced: an
/// episode's log is the world's transcript with the entries rebuilt from the world's turns
/// (``init(transcript:turns:)``), one entry per text or tool-call move and one per tool result.
public struct EpisodeLog: Sendable {
    /// The agent under test.
    public static let agent = ParticipantID(unchecked: "agent")
    /// The simulated user.
    public static let user = ParticipantID(unchecked: "user")
    /// The two-party roster: agent, then user.
    public static let roster = [
        Participant(id: agent, displayName: "Agent"), Participant(id: user, displayName: "User"),
    ]

    /// The projection used for every party: ECP defaults, except that the kickoff narration appears
    /// only when the viewer's first visible message would otherwise be its own (the agent's greeting).
    public static var projectionConfig: ProjectionConfig {
        var config = ProjectionConfig()
        config.kickoff = .whenNeeded
        return config
    }

    /// The perspective-free log.
    public private(set) var transcript: Transcript
    /// The tau2-style entries, in order (`turn` = position).
    public private(set) var entries: [TranscriptEntry] = []
    /// The seqs of the events each entry produced (a tool-call message's events are written with its results).
    public private(set) var eventsOfEntry: [[Int]] = []
    /// The entry each event came from, by seq (`-1` for an event of no entry: a join).
    public private(set) var entryOfEvent: [Int] = []
    /// Calls of the last tool-call message not yet answered: (entry, call, caller).
    private var pending: [(entry: Int, call: ToolInvocation, caller: ParticipantID)] = []

    /// An empty two-party log.
    public init() {
        do {
            transcript = try Transcript(roster: Self.roster)
        } catch {
            preconditionFailure("the episode roster is valid: \(error)")
        }
    }

    /// The two-party log of existing entries, appended in order.
    public init(entries: [TranscriptEntry]) throws(MemoryError) {
        self.init()
        for entry in entries { try append(entry) }
    }

    /// The log of an episode run on a ``World``: its transcript, and the entries rebuilt from its
    /// turns (a text move is one entry; a tool-call move is one entry for the calls, then one per result).
    public init(transcript: Transcript, turns: [TurnRecord]) {
        self.transcript = transcript
        entryOfEvent = Array(repeating: -1, count: transcript.events.count)
        for turn in turns {
            let (role, side, party) = Self.identity(turn.participant)
            func entry(
                _ role: String, _ side: ToolSide, content: String? = nil, calls: [ToolInvocation] = [],
                result: (id: String, name: String, content: String)? = nil, error: Bool = false
            ) -> TranscriptEntry {
                TranscriptEntry(
                    turn: entries.count, role: role, side: side, content: content, toolCalls: calls,
                    toolResult: result, error: error, party: party)
            }
            if let text = turn.spoken {
                add(entry(role, side, content: text), events: turn.events)
            } else if !turn.toolCalls.isEmpty {
                let calls = turn.toolCalls.map { made in
                    ToolInvocation(
                        id: made.request.call.id, name: made.request.call.name, arguments: made.request.call.arguments,
                        side: Self.side(of: turn.participant, toolset: made.request.toolset))
                }
                add(entry(role, side, calls: calls), events: turn.toolCalls.compactMap(\.events.first))
                for (call, made) in zip(calls, turn.toolCalls) {
                    add(
                        entry(
                            "tool", call.side, result: (call.id, call.name, made.execution.result),
                            error: made.execution.isError),
                        events: Array(made.events.dropFirst().prefix(1)))
                }
            }
        }
    }

    /// Appends a rebuilt entry and maps it to its events.
    private mutating func add(_ entry: TranscriptEntry, events: [Int]) {
        for seq in events where entryOfEvent.indices.contains(seq) { entryOfEvent[seq] = entries.count }
        entries.append(entry)
        eventsOfEntry.append(events)
    }

    /// The tau2 role, side and party tag of a participant: the user is `user`, everyone else is the
    /// agent's side (`assistant`), tagged with its id unless it is the agent under test.
    static func identity(_ id: ParticipantID) -> (role: String, side: ToolSide, party: String?) {
        if id == user { return ("user", .user, nil) }
        return ("assistant", .agent, id == agent ? nil : id.raw)
    }

    /// The side a call runs on: the toolset it names, else the caller's own.
    static func side(of caller: ParticipantID, toolset: String?) -> ToolSide {
        toolset.flatMap(ToolSide.init(rawValue:)) ?? (caller == user ? .user : .agent)
    }

    /// The participant a tau2 entry belongs to (`assistant` → the agent or its party, `user` → user).
    static func participant(of entry: TranscriptEntry) -> ParticipantID? {
        switch entry.role {
        case "assistant": entry.party.flatMap { try? ParticipantID($0) } ?? agent
        case "user": user
        default: nil
        }
    }

    /// Appends an entry (its `turn` is set to its position) and writes its events: a text message is
    /// an utterance for everyone; a tool-call message's calls wait for their results; a tool result
    /// writes its call (audience: the caller) and itself right after it.
    public mutating func append(_ entry: TranscriptEntry) throws(MemoryError) {
        var entry = entry
        entry.turn = entries.count
        let index = entries.count
        var seqs: [Int] = []
        if entry.toolResult == nil { pending = [] }
        if let result = entry.toolResult {
            guard !pending.isEmpty else {
                throw MemoryError(
                    .orphanToolResult, "episode turn \(index): tool result \"\(result.id)\" answers no tool call")
            }
            let (callEntry, call, caller) = pending.removeFirst()
            let audience = Audience.only([caller])
            let callEvent = try transcript.append(
                speaker: caller, kind: .toolCall, audience: audience, content: "",
                tool: ToolPayload(callID: result.id, name: call.name, caller: caller, arguments: call.arguments))
            eventsOfEntry[callEntry].append(callEvent.seq)
            entryOfEvent.append(callEntry)
            let resultEvent = try transcript.append(
                speaker: nil, kind: .toolResult, audience: audience, content: result.content,
                tool: ToolPayload(callID: result.id, name: result.name, caller: caller, arguments: ""))
            seqs.append(resultEvent.seq)
            entryOfEvent.append(index)
        } else if let speaker = Self.participant(of: entry) {
            if let content = entry.content {
                seqs.append(try transcript.append(speaker: speaker, kind: .utterance, content: content).seq)
                entryOfEvent.append(index)
            }
            pending = entry.toolCalls.map { (index, $0, speaker) }
        } else {
            throw MemoryError(
                .invalidEvent, "episode turn \(index): role \"\(entry.role)\" is neither assistant, user nor tool")
        }
        entries.append(entry)
        eventsOfEntry.append(seqs)
    }

    /// The entries `viewer` may see: those with at least one event visible to it (Memory's rule).
    public func entries(visibleTo viewer: ParticipantID) -> [TranscriptEntry] {
        guard let participant = transcript.participant(viewer) else { return [] }
        let backlog = Self.projectionConfig.backlog
        return entries.indices.filter { i in
            eventsOfEntry[i].contains { isVisible(transcript.events[$0], to: participant, backlog: backlog) }
        }.map { entries[$0] }
    }

    /// The chat messages `viewer` is sent: the Egocentric Context Projection of the log (own text
    /// and tool calls `assistant`, own tool results `tool`, everyone else's text `user`).
    public func messages(for viewer: ParticipantID, system: String) throws(MemoryError) -> [ChatMessage] {
        try transcript.projection(for: viewer, system: system, config: Self.projectionConfig).map(\.message)
    }

    /// The log as run-store events, the way conversation units store theirs: one row per Memory
    /// event (kind, speaker id and display name, verbatim content) with its audience and tool
    /// payload in `data`; the first event of each tau2 entry also carries that entry under `tau2`,
    /// so `episodes.jsonl` is rebuilt from the store byte for byte.
    func runEvents() -> [RunEvent] {
        let roster = transcript.roster
        var firstOfEntry = Set<Int>()
        for seqs in eventsOfEntry { if let first = seqs.min() { firstOfEntry.insert(first) } }
        return transcript.events.map { e in
            var data = JSONObject()
            if !e.addressees.isEmpty {
                data["to"] = .array(
                    e.addressees.map { id in .string(roster.first { $0.id == id }?.displayName ?? id.raw) })
            }
            if case .only(let ids) = e.audience { data["audience"] = .array(ids.map { .string($0.raw) }) }
            if let tool = e.tool {
                data["tool"] = .object(
                    JSONObject([
                        ("callID", .string(tool.callID)), ("name", .string(tool.name)),
                        ("caller", .string(tool.caller.raw)),
                        ("arguments", .string(tool.arguments)),
                    ]))
            }
            if firstOfEntry.contains(e.seq) { data["tau2"] = entries[entryOfEvent[e.seq]].json }
            let name = e.speaker.map { id in roster.first { $0.id == id }?.displayName ?? id.raw }
            return RunEvent(
                seq: e.seq, kind: e.kind.rawValue, speaker: e.speaker?.raw, speakerName: name, content: e.content,
                data: data.count == 0 ? .null : .object(data))
        }
    }
}
