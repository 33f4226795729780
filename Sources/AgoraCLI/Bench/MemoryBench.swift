import Foundation
import Memory
import Storage

/// Projection time on a 6-party log and budgeted PersonaTree rendering.
enum MemoryBench: BenchSuite {
    static let name = "memory"

    static func run(quick: Bool) async throws -> [BenchFigure] {
        var figures: [BenchFigure] = []
        let clock = ContinuousClock()

        // 1. project(viewer 1) on a 6-party log of 100, 1,000 and 10,000 events (other sizes for
        // scaling checks: AGORA_BENCH_SIZES=1000,2000,4000).
        var p50: [Int: Double] = [:]
        for size
            in (ProcessInfo.processInfo.environment["AGORA_BENCH_SIZES"].map {
                $0.split(separator: ",").compactMap { Int($0) }
            } ?? [100, 1_000, 10_000])
        {
            let (roster, log) = try syntheticLog(events: size, seed: 42)
            let viewer = roster[1].id
            let repeats = quick ? max(5, 2_000 / size) : max(20, 50_000 / size)
            _ = try project(log: log, viewer: viewer, roster: roster, system: "S")  // warm up
            var samples: [Double] = []
            for _ in 0..<repeats {
                let start = clock.now
                let messages = try project(log: log, viewer: viewer, roster: roster, system: "S")
                samples.append(BenchClock.seconds(clock.now - start) * 1e6)
                precondition(!messages.isEmpty)
            }
            let median = BenchClock.quantile(samples, 0.5)
            p50[size] = median
            figures.append(
                BenchFigure(
                    name: "project viewer 1, 6-party log, \(size) events, p50", value: median, unit: "µs",
                    target: size == 1_000 ? "≤ 1000 µs" : nil, met: size == 1_000 ? median <= 1_000 : nil))
        }
        if let a = p50[1_000], let b = p50[10_000] {
            let growth = b / a
            figures.append(
                BenchFigure(
                    name: "projection growth 1,000 → 10,000 events", value: growth, unit: "ratio",
                    target: "≤ 12 (linear or better)", met: growth <= 12))
        }

        // 2. Budgeted render of a 300-leaf tree.
        let tree = largeTree(leaves: 300)
        let full = tree.render(.outline)
        let budget = full.tokens / 2
        for format in [TreeRenderFormat.outline, .json] {
            var samples: [Double] = []
            for _ in 0..<(quick ? 50 : 300) {
                let start = clock.now
                let r = tree.render(format, budget: budget)
                samples.append(BenchClock.seconds(clock.now - start) * 1e6)
                precondition(r.tokens <= budget || !r.withinBudget)
            }
            figures.append(
                BenchFigure(
                    name: "PersonaTree render, 300 leaves, \(format.rawValue), budget \(budget) tokens, p50",
                    value: BenchClock.quantile(samples, 0.5), unit: "µs"))
        }
        var unbudgeted: [Double] = []
        for _ in 0..<(quick ? 50 : 300) {
            let start = clock.now
            _ = tree.render(.outline)
            unbudgeted.append(BenchClock.seconds(clock.now - start) * 1e6)
        }
        figures.append(
            BenchFigure(
                name: "PersonaTree render, 300 leaves, outline, no budget, p50",
                value: BenchClock.quantile(unbudgeted, 0.5),
                unit: "µs"))
        return figures
    }

    /// A 6-party log (moderator, four speakers, one observer; one late joiner, one leaver) with
    /// asides, addressees, thoughts, shared and private tool calls and narration.
    static func syntheticLog(events count: Int, seed: UInt64) throws -> ([Participant], [Event]) {
        var rng = RandomStream(seed: seed)
        let names = ["Dana", "Alex", "Bo", "Chen", "Eve", "Femi"]
        var roster: [Participant] = []
        for (i, name) in names.enumerated() {
            let id = try ParticipantID("p\(i)")
            let role: ParticipantRole = i == 0 ? .moderator : i == 5 ? .observer : .speaker
            let membership: [Membership] =
                i == 3
                ? [Membership(start: count / 10)]
                : i == 4 ? [Membership(start: 0, end: count * 9 / 10)] : [Membership(start: 0)]
            roster.append(Participant(id: id, displayName: name, role: role, membership: membership))
        }
        let speakers = Array(roster.prefix(5)).map(\.id)
        var log: [Event] = []
        var seq = 0
        while seq < count {
            let speaker = speakers[Int(rng.nextInt(below: UInt64(speakers.count)))]
            let text = "Message \(seq) about the product, the price and the new packaging."
            switch rng.nextInt(below: 20) {
            case 0...11:
                let addressee = speakers[Int(rng.nextInt(below: UInt64(speakers.count)))]
                log.append(
                    Event(
                        seq: seq, speaker: speaker, kind: .utterance,
                        addressees: addressee == speaker ? [] : [addressee],
                        content: text))
            case 12, 13:
                let other = speakers[Int(rng.nextInt(below: UInt64(speakers.count)))]
                log.append(
                    Event(
                        seq: seq, speaker: speaker, kind: .utterance, audience: .only([speaker, other]), content: text))
            case 14, 15:
                log.append(Event(seq: seq, speaker: speaker, kind: .thought, content: text))
            case 16, 17:
                guard seq + 1 < count else { continue }
                let audience: Audience = rng.nextDouble() < 0.5 ? .everyone : .only([speaker, roster[1].id])
                log.append(
                    Event(
                        seq: seq, speaker: speaker, kind: .toolCall, audience: audience, content: "",
                        tool: ToolPayload(
                            callID: "c\(seq)", name: "lookup", caller: speaker, arguments: "{\"q\":\"price\"}")))
                seq += 1
                log.append(
                    Event(
                        seq: seq, speaker: nil, kind: .toolResult, audience: audience, content: "The price is 4.99.",
                        tool: ToolPayload(callID: "c\(seq - 1)", name: "lookup", caller: speaker, arguments: "")))
            default:
                log.append(Event(seq: seq, speaker: nil, kind: .narration, content: "A new card is shown."))
            }
            seq += 1
        }
        return (roster, log)
    }

    /// A tree with `leaves` filled leaves: 6 categories × 10 branches × 5 leaves, a third grown.
    static func largeTree(leaves: Int) -> PersonaTree {
        var categories: [TreeNode] = []
        var made = 0
        for c in 0..<6 {
            var branches: [TreeNode] = []
            for b in 0..<10 {
                var children: [TreeNode] = []
                for l in 0..<5 where made < leaves {
                    children.append(
                        .leaf(
                            key: "leaf\(l)", value: "value \(made) with a few words of detail",
                            origin: l % 3 == 0 ? .grown : .schema,
                            locked: made % 50 == 0, updatedAt: made % 97))
                    made += 1
                }
                branches.append(.branch(key: "branch\(b)", children: children, origin: .schema))
            }
            categories.append(.branch(key: "category\(c)", children: branches, origin: .schema))
        }
        return PersonaTree(schemaID: "bench", root: .branch(key: "", children: categories, origin: .schema))
    }
}
