import Inference
import Storage

@testable import Memory

/// A seeded generator for tests: Storage's RandomStream with small conveniences.
struct SeededRNG: RandomNumberGenerator {
    var stream: RandomStream
    init(seed: UInt64) { stream = RandomStream(seed: seed) }
    mutating func next() -> UInt64 { stream.next() }
    mutating func int(_ range: ClosedRange<Int>) -> Int { stream.nextInt(in: range) }
    mutating func chance(_ p: Double) -> Bool { stream.nextDouble() < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}

/// A random conversation world: roster, log, and a persona text per participant.
struct RandomWorld {
    var roster: [Participant]
    var log: [Event]
    var personas: [ParticipantID: String]

    static func sentinel(_ seq: Int) -> String { "⟦S\(seq)⟧" }
    static func personaSentinel(_ id: ParticipantID) -> String { "⟦P-\(id.raw)⟧" }

    /// 2–6 participants (observers included), late joiners, leavers and rejoiners, asides,
    /// addressees, thoughts, tool calls (private and shared), narration and summaries.
    static func make(seed: UInt64, twoPartyPublic: Bool = false) -> RandomWorld {
        var rng = SeededRNG(seed: seed)
        let names = ["Dana", "Alex", "Bo", "Chen", "Eve", "Femi"]
        let length = rng.int(0...28)
        var roster: [Participant] = []
        let count = twoPartyPublic ? 2 : rng.int(2...6)
        for i in 0..<count {
            let id = ParticipantID(unchecked: "p\(i)")
            var role: ParticipantRole = .speaker
            if !twoPartyPublic {
                if i == 0 && rng.chance(0.5) { role = .moderator }
                if i >= 2 && rng.chance(0.3) { role = .observer }
            }
            var membership = [Membership(start: 0)]
            if !twoPartyPublic && i >= 1 && length > 4 {
                switch rng.int(0...5) {
                case 0: membership = [Membership(start: rng.int(1...(length - 1)))]
                case 1: membership = [Membership(start: 0, end: rng.int(1...(length - 1)))]
                case 2:
                    let a = rng.int(1...(length / 2))
                    let b = rng.int((a + 1)...(length - 1))
                    membership = [Membership(start: 0, end: a), Membership(start: b)]
                default: break
                }
            }
            roster.append(Participant(id: id, displayName: names[i], role: role, membership: membership))
        }
        let ids = roster.map(\.id)
        var log: [Event] = []
        var seq = 0
        while seq < length {
            let s = RandomWorld.sentinel(seq)
            let speaker = rng.pick(ids)
            let others = ids.filter { $0 != speaker }
            let roll = twoPartyPublic ? rng.int(0...9) : rng.int(0...19)
            func subset() -> [ParticipantID] { others.filter { _ in rng.chance(0.4) } }
            switch roll {
            case 0...8:
                var audience = Audience.everyone
                var addressees: [ParticipantID] = []
                if !twoPartyPublic {
                    if rng.chance(0.25) {
                        let to = subset()
                        audience = .only(ids.filter { $0 == speaker || to.contains($0) })
                    } else if rng.chance(0.3) {
                        addressees = subset()
                    }
                }
                log.append(
                    Event(
                        seq: seq, speaker: speaker, kind: .utterance, audience: audience, addressees: addressees,
                        content: "words \(s) more"))
            case 9:
                log.append(Event(seq: seq, speaker: nil, kind: .narration, content: "Something happens \(s)"))
            case 10, 11:
                log.append(Event(seq: seq, speaker: speaker, kind: .thought, content: "I think \(s)"))
            case 12, 13:
                guard seq + 1 < length else { continue }
                let shared = subset()
                let audience: Audience =
                    rng.chance(0.5) ? .everyone : .only(ids.filter { $0 == speaker || shared.contains($0) })
                let tool = ToolPayload(
                    callID: "c\(seq)", name: "lookup", caller: speaker, arguments: "{\"q\":\"\(s)\"}")
                log.append(
                    Event(seq: seq, speaker: speaker, kind: .toolCall, audience: audience, content: "", tool: tool))
                seq += 1
                log.append(
                    Event(
                        seq: seq, speaker: nil, kind: .toolResult, audience: audience,
                        content: "result \(RandomWorld.sentinel(seq))",
                        tool: ToolPayload(callID: "c\(seq - 1)", name: "lookup", caller: speaker, arguments: "")))
            case 14, 15:
                log.append(Event(seq: seq, speaker: speaker, kind: rng.chance(0.5) ? .join : .leave, content: ""))
            case 16:
                log.append(
                    Event(seq: seq, speaker: nil, kind: .summary, audience: .only([speaker]), content: "Summary \(s)"))
            case 17:
                log.append(
                    Event(
                        seq: seq, speaker: nil, kind: .narration, audience: .only([speaker]),
                        content: "Private note \(s)"))
            default:
                log.append(
                    Event(
                        seq: seq, speaker: speaker, kind: .utterance, audience: .only([speaker]),
                        content: "note to self \(s)"))
            }
            seq += 1
        }
        var personas: [ParticipantID: String] = [:]
        for p in roster { personas[p.id] = "You are \(p.displayName). Secret: \(RandomWorld.personaSentinel(p.id))" }
        return RandomWorld(roster: roster, log: log, personas: personas)
    }

    /// The same world with every participant id replaced (display names unchanged).
    func renamed() -> RandomWorld {
        func r(_ id: ParticipantID) -> ParticipantID { ParticipantID(unchecked: "zz-" + id.raw + "-renamed") }
        func ra(_ a: Audience) -> Audience {
            if case .only(let ids) = a { return .only(ids.map(r)) }
            return a
        }
        let roster = roster.map {
            Participant(id: r($0.id), displayName: $0.displayName, role: $0.role, membership: $0.membership)
        }
        let log = log.map { e in
            Event(
                seq: e.seq, id: e.id, speaker: e.speaker.map(r), kind: e.kind, audience: ra(e.audience),
                addressees: e.addressees.map(r), content: e.content,
                tool: e.tool.map {
                    ToolPayload(callID: $0.callID, name: $0.name, caller: r($0.caller), arguments: $0.arguments)
                })
        }
        var personas: [ParticipantID: String] = [:]
        for p in self.roster { personas[r(p.id)] = self.personas[p.id] }
        return RandomWorld(roster: roster, log: log, personas: personas)
    }
}

/// An independent statement of the visibility table of spec §A.5.2, used as the test oracle.
func referenceVisible(_ e: Event, _ v: Participant, _ backlog: ProjectionConfig.BacklogPolicy) -> Bool {
    var listed = false
    var everyone = false
    switch e.audience {
    case .everyone: everyone = true
    case .only(let ids): listed = ids.contains(v.id)
    }
    switch e.kind {
    case .thought: return e.speaker == v.id
    case .toolCall: return e.speaker == v.id || listed
    case .toolResult: return e.tool?.caller == v.id || listed
    default:
        if e.speaker == v.id { return true }
        let member = v.membership.contains { m in m.start <= e.seq && (m.end == nil || e.seq < m.end!) }
        let backlogOK = backlog == .full && everyone && e.seq < v.membership[0].start
        return (everyone || listed) && (member || backlogOK)
    }
}
