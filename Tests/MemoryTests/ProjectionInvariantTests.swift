import Foundation
import Inference
import Testing

@testable import Memory

/// Invariants I1–I11 of spec memory.md §A.8 over seeded random worlds.
@Suite struct ProjectionInvariantTests {
    static let worldCount = 1_000
    static let shards = 8

    /// The configurations every world is checked under: every label × backlog policy; the
    /// kickoff policy, own-turn format and announcement switches are drawn per world, so that every
    /// combination of all six settings occurs on many worlds (1,000 worlds, 9 configurations each).
    static func configs(seed: UInt64) -> [ProjectionConfig] {
        var rng = SeededRNG(seed: seed ^ 0xC0FF_EE00)
        let own = rng.chance(0.5) ? ProjectionConfig.OwnTurnFormat.plainText : .actionJSON
        let announce = rng.chance(0.7)
        let observers = rng.chance(0.5)
        let kickoff = rng.chance(0.5) ? ProjectionConfig.KickoffPolicy.always : .whenNeeded
        var out: [ProjectionConfig] = []
        for label in ProjectionConfig.LabelPolicy.allCases {
            for backlog in ProjectionConfig.BacklogPolicy.allCases {
                do {
                    var c = ProjectionConfig()
                    c.labelOthers = label
                    c.backlog = backlog
                    c.kickoff = kickoff
                    c.ownTurnFormat = own
                    c.announceMembership = announce
                    c.announceObservers = observers
                    out.append(c)
                }
            }
        }
        return out
    }

    @Test(arguments: 0..<shards)
    func invariantsHoldOnRandomWorlds(shard: Int) throws {
        var checked = 0
        for w in stride(from: shard, to: Self.worldCount, by: Self.shards) {
            let seed = UInt64(w) &* 7919 &+ 17
            let world = RandomWorld.make(seed: seed)
            let renamed = world.renamed()
            for (ci, config) in Self.configs(seed: seed).enumerated() {
                for (vi, viewer) in world.roster.enumerated() {
                    let system = world.personas[viewer.id]!
                    let p = try project(
                        log: world.log, viewer: viewer.id, roster: world.roster, system: system, config: config)
                    checkOwnership(p, world: world, viewer: viewer, w: w)
                    checkVisibility(p, world: world, viewer: viewer, config: config, w: w)
                    checkShape(p, w: w)
                    checkPersonaIsolation(p, world: world, viewer: viewer, system: system, w: w)
                    // I1, I7 and I9 on one configuration per world and viewer (rotating): each
                    // configuration still gets them on over 100 worlds, and the suite stays fast.
                    if ci == (w + vi) % 9 {
                        let again = try project(
                            log: world.log, viewer: viewer.id, roster: world.roster, system: system, config: config)
                        check(p == again, "I1 world \(w)")
                        let other = renamed.roster[vi]
                        let q = try project(
                            log: renamed.log, viewer: other.id, roster: renamed.roster, system: system, config: config)
                        check(p == q, "I7 world \(w)")
                    }
                    if ci == (w + 2 * vi) % 9 {
                        try checkPrefixStability(p, world: world, viewer: viewer, config: config, w: w)
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 0)
        let failureCount = failures.count
        #expect(failureCount == 0, "\(failureCount) failures, first: \(failures.prefix(3))")
    }

    /// Every combination of all six projection switches (label × backlog × kickoff × own-turn
    /// format × membership announcements × observer announcements: 144), on 20 worlds, for every
    /// viewer: I2–I6, I8 and I11 (the 1,000-world test above covers I1, I7 and I9 too).
    @Test func everyConfigurationCombinationHolds() throws {
        var all: [ProjectionConfig] = []
        for label in ProjectionConfig.LabelPolicy.allCases {
            for backlog in ProjectionConfig.BacklogPolicy.allCases {
                for kickoff in ProjectionConfig.KickoffPolicy.allCases {
                    for own in ProjectionConfig.OwnTurnFormat.allCases {
                        for announce in [true, false] {
                            for observers in [true, false] {
                                var c = ProjectionConfig()
                                c.labelOthers = label
                                c.backlog = backlog
                                c.kickoff = kickoff
                                c.ownTurnFormat = own
                                c.announceMembership = announce
                                c.announceObservers = observers
                                all.append(c)
                            }
                        }
                    }
                }
            }
        }
        #expect(all.count == 144)
        for w in 0..<20 {
            let world = RandomWorld.make(seed: UInt64(w) &* 104_729 &+ 3)
            for config in all {
                for viewer in world.roster {
                    let system = world.personas[viewer.id] ?? ""
                    let p = try project(
                        log: world.log, viewer: viewer.id, roster: world.roster, system: system, config: config)
                    checkOwnership(p, world: world, viewer: viewer, w: w)
                    checkVisibility(p, world: world, viewer: viewer, config: config, w: w)
                    checkShape(p, w: w)
                    checkPersonaIsolation(p, world: world, viewer: viewer, system: system, w: w)
                }
            }
        }
        let failureCount = failures.count
        #expect(failureCount == 0, "\(failureCount) failures, first: \(failures.prefix(3))")
    }

    private final class Failures: @unchecked Sendable {  // confined to one test invocation
        var items: [String] = []
    }
    private let box = Failures()
    var failures: [String] { box.items }
    func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { box.items.append(message()) }
    }
    func fail(_ message: String) { box.items.append(message) }

    /// I2 and I3: assistant messages come only from own utterances and tool calls; own utterances
    /// never appear in user or tool messages.
    func checkOwnership(_ p: [ProjectedMessage], world: RandomWorld, viewer: Participant, w: Int) {
        for m in p {
            let events = m.sources.map { world.log[$0] }
            switch m.role {
            case .assistant:
                check(!events.isEmpty, "I2 world \(w)")
                for e in events {
                    check(e.speaker == viewer.id && (e.kind == .utterance || e.kind == .toolCall), "I2 world \(w)")
                }
                // I11: no own-name prefix in assistant content
                check(!m.content.hasPrefix(viewer.displayName + ":"), "I11 world \(w)")
            case .user, .tool:
                for e in events { check(!(e.speaker == viewer.id && e.kind == .utterance), "I3 world \(w)") }
                for seq in Self.sentinels(in: m.content) {
                    let e = world.log[seq]
                    check(!(e.speaker == viewer.id && e.kind == .utterance), "I3 world \(w)")
                }
            case .system:
                break
            }
        }
    }

    static func flat(_ p: [ProjectedMessage]) -> String {
        p.map { m in ([m.content] + m.toolCalls.map(\.arguments)).joined(separator: "\u{1}") }.joined(
            separator: "\u{2}")
    }

    /// I4 and I5: a sentinel appears iff the event is visible (thoughts and membership notices
    /// carry none), and in seq order.
    func checkVisibility(
        _ p: [ProjectedMessage], world: RandomWorld, viewer: Participant, config: ProjectionConfig, w: Int
    ) {
        let found = Self.sentinels(in: Self.flat(p))
        let expected = world.log.filter { e in
            e.kind != .join && e.kind != .leave && e.kind != .thought && referenceVisible(e, viewer, config.backlog)
        }.map(\.seq)
        // I4: exactly the visible events' sentinels; I5: each once, in seq order.
        check(found == expected, "I4/I5 world \(w) viewer \(viewer.id): found \(found) expected \(expected)")
    }

    /// The seqs of the `⟦S<seq>⟧` sentinels in `text`, in order of appearance.
    static func sentinels(in text: String) -> [Int] {
        var out: [Int] = []
        var scalars = text.unicodeScalars.makeIterator()
        var state = 0  // 0 scanning, 1 saw ⟦, 2 reading digits
        var value = 0
        while let c = scalars.next() {
            switch state {
            case 1:
                state = c == "S" ? 2 : 0
                value = 0
            case 2:
                if c.value >= 48 && c.value <= 57 {
                    value = value * 10 + Int(c.value - 48)
                } else {
                    if c == "⟧" { out.append(value) }
                    state = c == "⟦" ? 1 : 0
                }
            default: if c == "⟦" { state = 1 }
            }
        }
        return out
    }

    /// I6: `[system]`, user first, no user/user or plain assistant/assistant adjacency, tool
    /// messages follow their call, ends in user or tool.
    func checkShape(_ p: [ProjectedMessage], w: Int) {
        var body = p[...]
        if body.first?.role == .system { body = body.dropFirst() }
        check(body.first?.role == .user, "I6 first world \(w)")
        check(body.last?.role == .user || body.last?.role == .tool, "I6 last world \(w)")
        check(!body.contains { $0.role == .system }, "I6 system world \(w)")
        for (a, b) in zip(body, body.dropFirst()) {
            check(!(a.role == .user && b.role == .user), "I6 user/user world \(w)")
            check(
                !(a.role == .assistant && b.role == .assistant && a.toolCalls.isEmpty && b.toolCalls.isEmpty),
                "I6 assistant/assistant world \(w)")
            if b.role == .tool {
                check(a.role == .assistant && a.toolCalls.first?.id == b.toolCallID, "I6 tool world \(w)")
            }
        }
    }

    /// I8: the system content is exactly what was passed; no other persona appears anywhere.
    func checkPersonaIsolation(
        _ p: [ProjectedMessage], world: RandomWorld, viewer: Participant, system: String, w: Int
    ) {
        check(p.first?.role == .system && p.first?.content == system, "I8 world \(w)")
        // Personas reach the projection only through `system`; no body message may carry one.
        for m in p.dropFirst() { check(!m.content.contains("⟦P-"), "I8 world \(w)") }
    }

    /// I9: every prefix's projection (minus a trailing turn cue) is a prefix of the full one,
    /// except that its last message may have been extended by merging.
    func checkPrefixStability(
        _ full: [ProjectedMessage], world: RandomWorld, viewer: Participant, config: ProjectionConfig, w: Int
    ) throws {
        for t in 0...world.log.count {
            var a = try project(
                log: Array(world.log[0..<t]), viewer: viewer.id, roster: world.roster, system: "S", config: config)
            if config.kickoff == .whenNeeded && a.allSatisfy({ $0.sources.isEmpty }) { continue }
            if a.count >= 2, let last = a.last, last.role == .user, last.sources.isEmpty,
                last.content == config.turnCueText, a[a.count - 2].role == .assistant
            {
                a.removeLast()
            }
            var b = full
            b[0] = ProjectedMessage(message: ChatMessage(role: .system, content: "S"), sources: [])
            guard a.count <= b.count else {
                fail("I9 world \(w) t \(t): prefix longer")
                return
            }
            for i in 0..<(a.count - 1) where a[i] != b[i] {
                fail("I9 world \(w) viewer \(viewer.id) t \(t): message \(i) differs")
                return
            }
            let x = a[a.count - 1]
            let y = b[a.count - 1]
            let ok =
                x == y
                || (x.role == y.role && x.toolCalls.isEmpty && y.toolCalls.isEmpty && y.content.hasPrefix(x.content)
                    && y.sources.starts(with: x.sources))
            check(ok, "I9 world \(w) viewer \(viewer.id) t \(t)")
        }
    }

    /// I10: in a two-party public conversation the two bodies mirror each other, apart from
    /// narrator lines.
    @Test func twoPartyProjectionsAreRoleSwapsOfEachOther() throws {
        for seed in 0..<200 {
            let world = RandomWorld.make(seed: UInt64(seed) &+ 99_000, twoPartyPublic: true)
            let a = try project(log: world.log, viewer: world.roster[0].id, roster: world.roster, system: "")
            let b = try project(log: world.log, viewer: world.roster[1].id, roster: world.roster, system: "")
            let swapped = Self.withoutNarrator(b).map {
                (role: $0.role == .user ? ChatMessage.Role.assistant : .user, text: $0.text)
            }
            let left = Self.withoutNarrator(a)
            #expect(
                left.map(\.role) == swapped.map(\.role) && left.map(\.text) == swapped.map(\.text), "I10 seed \(seed)")
        }
    }

    static func withoutNarrator(_ p: [ProjectedMessage]) -> [(role: ChatMessage.Role, text: [String])] {
        var out: [(role: ChatMessage.Role, text: [String])] = []
        for m in p {
            let paragraphs = m.content.components(separatedBy: "\n\n").filter { !$0.hasPrefix("[Narrator]") }
            guard !paragraphs.isEmpty else { continue }
            if let last = out.last, last.role == m.role {
                out[out.count - 1].text += paragraphs
            } else {
                out.append((m.role, paragraphs))
            }
        }
        return out
    }
}

@Suite struct OutputSanitizerTests {
    let s = OutputSanitizer(selfName: "Bo", otherNames: ["Dana", "Alex"])

    @Test(arguments: [
        ("Bo: I like it.", "I like it.", false),
        ("  \"I like it.\"  ", "I like it.", false),
        ("Bo: Bo: (privately to Alex) fine", "fine", false),
        ("I agree.\nDana: Thanks Bo!", "I agree.", true),
        ("Sure.\n[Narrator] Time is up.", "Sure.", true),
        ("Dana: hello", "", true),
        ("Bo (to Dana): yes", "yes", false),
        ("Line one\nline two", "Line one\nline two", false),
        ("\"Bo: \"nested\"\"", "\"Bo: \"nested\"\"", false),
    ])
    func sanitiserCleansOutputs(input: String, expected: String, confused: Bool) {
        let out = s.sanitize(input)
        #expect(out.text == expected)
        #expect(out.roleConfusion == confused)
        #expect(out.needsRegeneration == expected.isEmpty)
    }

    /// I11: `s(s(x)) == s(x)` on random mixtures of labels, markers, quotes and lines.
    @Test func sanitiserIsIdempotent() {
        var rng = SeededRNG(seed: 11)
        let pieces = [
            "Bo:", "Bo: ", "Dana:", " Alex: ", "[Narrator]", "\"", "\u{201C}", "\u{201D}", "(privately to Alex)", "\n",
            "hello", " ", "Bo (to Dana):", "yes.", "\n\n", "(", ")", ":",
        ]
        for _ in 0..<3_000 {
            let x = (0..<rng.int(0...10)).map { _ in rng.pick(pieces) }.joined()
            let once = s.sanitize(x)
            #expect(s.sanitize(once.text).text == once.text, "input \(x.debugDescription)")
            #expect(!s.sanitize(once.text).roleConfusion)
        }
    }
}
