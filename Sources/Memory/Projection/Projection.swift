import Inference

/// Projects the perspective-free log into `viewer`'s chat messages (Egocentric Context Projection,
/// spec memory.md §A.5).
///
/// A pure function: the output depends only on its arguments, ordered by `seq` and roster order.
/// The system message comes first when `system` is non-empty. Throws ``MemoryError`` for an
/// unknown viewer or participant, a seq that does not increase, or a visible tool result that does
/// not directly follow its visible call.
public func project(
    log: [Event], viewer: ParticipantID, roster: [Participant], system: String,
    config: ProjectionConfig = ProjectionConfig()
) throws(MemoryError) -> [ProjectedMessage] {
    let engine = try ProjectionEngine(roster: roster, viewer: viewer, config: config)
    return try engine.project(log: log, system: system)
}

/// Whether `viewer` may see `event` under `backlog` (spec §A.5.2).
public func isVisible(_ event: Event, to viewer: Participant, backlog: ProjectionConfig.BacklogPolicy) -> Bool {
    let v = viewer.id
    switch event.kind {
    case .thought:
        return event.speaker == v
    case .toolCall:
        return event.speaker == v || event.audience.lists(v)
    case .toolResult:
        return event.tool?.caller == v || event.audience.lists(v)
    case .utterance, .narration, .join, .leave, .summary:
        if event.speaker == v { return true }
        guard event.audience.admits(v) else { return false }
        if viewer.isMember(at: event.seq) { return true }
        return backlog == .full && event.audience == .everyone && event.seq < viewer.firstJoin
    }
}

/// Helpers for the text prompt assembly puts around a projection.
public enum ProjectionText {
    /// The roster line of the system message, e.g.
    /// `You are Bo. Also present: Dana (moderator), Alex; Chen joins later.`
    /// Observers are listed only when `includeObservers` is set.
    public static func rosterLine(
        for viewer: ParticipantID, roster: [Participant], includeObservers: Bool = false
    ) -> String {
        guard let me = roster.first(where: { $0.id == viewer }) else { return "" }
        var present: [String] = []
        var later: [String] = []
        for p in roster where p.id != viewer {
            if p.role == .observer && !includeObservers { continue }
            let label = p.role == .speaker ? p.displayName : "\(p.displayName) (\(p.role.rawValue))"
            if p.firstJoin <= me.firstJoin { present.append(label) } else { later.append(label) }
        }
        var line = "You are \(me.displayName)."
        if !present.isEmpty { line += " Also present: " + present.joined(separator: ", ") }
        if !later.isEmpty {
            line +=
                (present.isEmpty ? " " : "; ") + later.joined(separator: ", ")
                + (later.count == 1 ? " joins later" : " join later")
        }
        return line + "."
    }

    /// The convention sentence stated once in the system message.
    public static let convention =
        "Messages from others appear as \"Name: text\". Your own earlier messages are your replies. "
        + "Reply as yourself, with no name prefix."
}

/// One rendered event before merging.
struct Segment {
    var role: ChatMessage.Role
    var content: String
    var toolCalls: [ToolCall] = []
    var toolCallID: String? = nil
    var source: Int?
    var isNarrator = false
}

/// The projection algorithm for one (roster, viewer, config).
struct ProjectionEngine {
    let roster: [Participant]
    let viewer: Participant
    let config: ProjectionConfig
    let indexByID: [ParticipantID: Int]
    /// Roster ids and names as flat arrays: rosters are small, so a linear scan with string
    /// equality beats hashing on the hot path.
    let ids: [ParticipantID]
    let names: [String]
    let labelled: Bool

    init(roster: [Participant], viewer: ParticipantID, config: ProjectionConfig) throws(MemoryError) {
        try Participant.validateRoster(roster, narratorLabel: config.narratorLabel)
        var index: [ParticipantID: Int] = [:]
        for (i, p) in roster.enumerated() { index[p.id] = i }
        guard let vi = index[viewer] else {
            throw MemoryError(.unknownParticipant, "unknown viewer \"\(viewer)\"; pass the id of a roster participant")
        }
        self.roster = roster
        self.viewer = roster[vi]
        self.config = config
        self.indexByID = index
        self.ids = roster.map(\.id)
        self.names = roster.map(\.displayName)
        let others = roster.filter { $0.id != viewer && $0.role != .observer }.count
        switch config.labelOthers {
        case .always: labelled = true
        case .never: labelled = false
        case .whenMultiParty: labelled = others != 1
        }
    }

    @inline(__always) func position(_ id: ParticipantID) -> Int? {
        if ids.count > 16 { return indexByID[id] }
        for i in ids.indices where ids[i] == id { return i }
        return nil
    }

    func name(_ id: ParticipantID) -> String {
        position(id).map { names[$0] } ?? id.raw
    }

    /// Names of `ids` in roster order, without `excluding`, the viewer written as `you` when `youForViewer`.
    func list(_ ids: [ParticipantID], excluding: ParticipantID?, youForViewer: Bool = true) -> String {
        var names: [String] = []
        for i in self.ids.indices where self.ids[i] != excluding && ids.contains(self.ids[i]) {
            names.append(self.ids[i] == viewer.id && youForViewer ? "you" : self.names[i])
        }
        return names.joined(separator: ", ")
    }

    func narrator(_ text: String) -> String { "[\(config.narratorLabel)] \(text)" }

    /// Validates the log and returns the events the viewer sees.
    func visibleEvents(_ log: [Event]) throws(MemoryError) -> [Event] {
        try visibleIndices(log).map { log[$0] }
    }

    /// Validates the log and returns the indices of the events the viewer sees.
    func visibleIndices(_ log: [Event]) throws(MemoryError) -> [Int] {
        var visible: [Int] = []
        visible.reserveCapacity(log.count)
        for i in log.indices {
            if i > 0 && log[i].seq <= log[i - 1].seq {
                try LogIntegrity.checkOrder(log[i], after: log[i - 1], dense: false)
            }
            try checkKnown(log[i])
            guard isVisible(log[i], to: viewer, backlog: config.backlog) else { continue }
            if log[i].kind == .toolResult {
                try LogIntegrity.checkToolAdjacency(log[i], after: visible.last.map { log[$0] })
            }
            visible.append(i)
        }
        return visible
    }

    private func checkKnown(_ e: Event) throws(MemoryError) {
        func known(_ id: ParticipantID, _ field: String) throws(MemoryError) {
            guard position(id) != nil else {
                throw MemoryError(
                    .unknownParticipant,
                    "event seq \(e.seq) (\(e.id)): unknown participant \"\(id)\" in \"\(field)\"; add it to the roster")
            }
        }
        if let s = e.speaker { try known(s, "speaker") }
        for a in e.addressees { try known(a, "addressees") }
        if case .only(let ids) = e.audience { for a in ids { try known(a, "audience") } }
        if let t = e.tool { try known(t.caller, "tool.caller") }
        switch e.kind {
        case .utterance, .thought, .toolCall, .join, .leave:
            if e.speaker == nil {
                throw MemoryError(
                    .invalidEvent, "event seq \(e.seq) (\(e.id)): a \(e.kind.rawValue) event needs a speaker")
            }
        case .toolResult:
            if e.tool == nil {
                throw MemoryError(
                    .invalidEvent, "event seq \(e.seq) (\(e.id)): a toolResult event needs a \"tool\" object")
            }
        case .narration, .summary:
            break
        }
        if e.kind == .toolCall && e.tool == nil {
            throw MemoryError(.invalidEvent, "event seq \(e.seq) (\(e.id)): a toolCall event needs a \"tool\" object")
        }
    }

    func project(log: [Event], system: String) throws(MemoryError) -> [ProjectedMessage] {
        let visible = try visibleIndices(log)
        var out: [ProjectedMessage] = []
        if !system.isEmpty {
            out.append(ProjectedMessage(message: ChatMessage(role: .system, content: system), sources: []))
        }
        switch config.mode {
        case .egocentric:
            // Streamed: no intermediate array of rendered segments (it costs cache on long logs).
            out += assemble(visible.lazy.compactMap { egocentric(log[$0]) })
        case .fixedRoles:
            out += assemble(visible.lazy.compactMap { fixedRole(log[$0]) })
        case .concatTranscript:
            out.append(concat(visible.map { log[$0] }))
        }
        return out
    }

    /// The merged body with kickoff and turn cue.
    func assemble<Segments: Sequence<Segment>>(_ segments: Segments) -> [ProjectedMessage] {
        var body: [ProjectedMessage] = []
        var iterator = segments.makeIterator()
        let first = iterator.next()
        let needsKickoff = config.kickoff == .always || first.map { $0.role != .user } ?? true
        var pending: [String] = []
        var pendingRole: ChatMessage.Role?
        var pendingSources: [Int] = []
        func flush() {
            guard let role = pendingRole else { return }
            body.append(
                ProjectedMessage(
                    message: ChatMessage(role: role, content: pending.joined(separator: "\n\n")),
                    sources: pendingSources))
            pending = []
            pendingRole = nil
            pendingSources = []
        }
        if needsKickoff {
            pending = [config.kickoffText]
            pendingRole = .user
        }
        var next = first
        while let s = next {
            next = iterator.next()
            let plain = s.role == .user || (s.role == .assistant && s.toolCalls.isEmpty)
            if plain && pendingRole == s.role {
                pending.append(s.content)
                if let src = s.source { pendingSources.append(src) }
                continue
            }
            flush()
            if plain {
                pendingRole = s.role
                pending = [s.content]
                pendingSources = s.source.map { [$0] } ?? []
            } else {
                body.append(
                    ProjectedMessage(
                        message: ChatMessage(
                            role: s.role, content: s.content, toolCalls: s.toolCalls, toolCallID: s.toolCallID),
                        sources: s.source.map { [$0] } ?? []))
            }
        }
        flush()
        if body.last?.role == .assistant {
            body.append(ProjectedMessage(message: ChatMessage(role: .user, content: config.turnCueText), sources: []))
        }
        return body
    }

    // MARK: egocentric rendering (§A.5.3)

    func egocentric(_ e: Event) -> Segment? {
        let v = viewer.id
        let own = e.speaker == v
        switch e.kind {
        case .thought:
            return nil
        case .utterance:
            guard let speaker = e.speaker else { return nil }
            if own { return Segment(role: .assistant, content: ownUtterance(e), source: e.seq) }
            let who = name(speaker)
            if case .only(let ids) = e.audience {
                let to = "(privately to \(list(ids, excluding: speaker)))"
                return Segment(
                    role: .user, content: labelled ? "\(who) \(to): \(e.content)" : "\(to) \(e.content)", source: e.seq)
            }
            guard labelled else { return Segment(role: .user, content: e.content, source: e.seq) }
            let addressees = list(e.addressees, excluding: speaker)
            if !addressees.isEmpty {
                return Segment(role: .user, content: "\(who) (to \(addressees)): \(e.content)", source: e.seq)
            }
            return Segment(role: .user, content: "\(who): \(e.content)", source: e.seq)
        case .narration, .summary:
            return Segment(role: .user, content: narrator(e.content), source: e.seq, isNarrator: true)
        case .join, .leave:
            guard config.announceMembership, let subject = e.speaker else { return nil }
            let verb = e.kind == .join ? "joined." : "left."
            if subject == v {
                return Segment(role: .user, content: narrator("You \(verb)"), source: e.seq, isNarrator: true)
            }
            if let i = position(subject), roster[i].role == .observer, !config.announceObservers { return nil }
            return Segment(role: .user, content: narrator("\(name(subject)) \(verb)"), source: e.seq, isNarrator: true)
        case .toolCall:
            guard let tool = e.tool else { return nil }
            if own {
                return Segment(
                    role: .assistant, content: "",
                    toolCalls: [ToolCall(id: tool.callID, name: tool.name, arguments: tool.arguments)], source: e.seq)
            }
            return Segment(
                role: .user, content: "[\(name(tool.caller)) used tool \(tool.name)] \(tool.arguments)", source: e.seq)
        case .toolResult:
            guard let tool = e.tool else { return nil }
            if tool.caller == v {
                return Segment(role: .tool, content: e.content, toolCallID: tool.callID, source: e.seq)
            }
            return Segment(role: .user, content: "[Tool result shared with you] \(e.content)", source: e.seq)
        }
    }

    func ownUtterance(_ e: Event) -> String {
        let privateTo: String? = {
            if case .only(let ids) = e.audience { return list(ids, excluding: viewer.id) }
            return nil
        }()
        switch config.ownTurnFormat {
        case .plainText:
            guard let privateTo else { return e.content }
            return privateTo.isEmpty ? "(privately) \(e.content)" : "(privately to \(privateTo)) \(e.content)"
        case .actionJSON:
            var fields: [String] = ["\"action\":\"speak\""]
            if case .only(let ids) = e.audience {
                let names = roster.filter { $0.id != viewer.id && ids.contains($0.id) }.map(\.displayName)
                fields.append("\"privatelyTo\":[" + names.map(JSONText.quote).joined(separator: ",") + "]")
            } else {
                let names = roster.filter { $0.id != viewer.id && e.addressees.contains($0.id) }.map(\.displayName)
                if !names.isEmpty { fields.append("\"to\":[" + names.map(JSONText.quote).joined(separator: ",") + "]") }
            }
            fields.append("\"content\":" + JSONText.quote(e.content))
            return "{" + fields.joined(separator: ",") + "}"
        }
    }

    // MARK: baselines

    func fixedRole(_ e: Event) -> Segment? {
        let client = roster.first { $0.role != .observer }?.id
        switch e.kind {
        case .utterance:
            return Segment(role: e.speaker == client ? .user : .assistant, content: e.content, source: e.seq)
        case .thought:
            return nil
        default:
            return thirdPerson(e).map { Segment(role: .user, content: $0, source: e.seq, isNarrator: true) }
        }
    }

    func concat(_ visible: [Event]) -> ProjectedMessage {
        var lines: [String] = []
        var sources: [Int] = []
        for e in visible {
            guard let line = thirdPerson(e) else { continue }
            lines.append(line)
            sources.append(e.seq)
        }
        var parts: [String] = []
        if config.kickoff == .always || lines.isEmpty { parts.append(config.kickoffText) }
        if !lines.isEmpty { parts.append(lines.joined(separator: "\n")) }
        return ProjectedMessage(
            message: ChatMessage(role: .user, content: parts.joined(separator: "\n\n")), sources: sources)
    }

    /// The omniscient third-person line of an event (`Name: text`), or nil when not rendered.
    func thirdPerson(_ e: Event) -> String? {
        switch e.kind {
        case .thought:
            return nil
        case .utterance:
            guard let s = e.speaker else { return nil }
            if case .only(let ids) = e.audience {
                return "\(name(s)) (privately to \(list(ids, excluding: s, youForViewer: false))): \(e.content)"
            }
            let to = list(e.addressees, excluding: s, youForViewer: false)
            return to.isEmpty ? "\(name(s)): \(e.content)" : "\(name(s)) (to \(to)): \(e.content)"
        case .narration, .summary:
            return narrator(e.content)
        case .join, .leave:
            guard config.announceMembership, let s = e.speaker else { return nil }
            if let i = position(s), roster[i].role == .observer, !config.announceObservers, s != viewer.id {
                return nil
            }
            return narrator("\(name(s)) \(e.kind == .join ? "joined." : "left.")")
        case .toolCall:
            guard let t = e.tool else { return nil }
            return "[\(name(t.caller)) used tool \(t.name)] \(t.arguments)"
        case .toolResult:
            guard let t = e.tool else { return nil }
            return "[Tool result for \(name(t.caller))] \(e.content)"
        }
    }
}

/// Minimal JSON string quoting shared by the module's hand-written JSON.
enum JSONText {
    static func quote(_ s: String) -> String {
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + s + "\"" }
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
