import Agents
import AgoraTesting
import Foundation
import Inference
import Memory
import Storage
import Synchronization
import Worlds

/// Agora's own time per agent turn (projection + prompt + structured parse + sanitiser + append to
/// the log + termination checks) at turn 100 of a 6-party round-robin conversation, with a
/// `ScriptedModel` answering instantly.
enum AgentsBench: BenchSuite {
    static let name = "agents"

    static func run(quick: Bool) async throws -> [BenchFigure] {
        let names = ["Alex", "Bo", "Chen", "Dana", "Eli", "Fay"]
        let counter = Mutex(0)
        let model = ScriptedModel(identifier: "bench-scripted") { _ in
            let n = counter.withLock { value in
                value += 1
                return value
            }
            // Varied words, so stall detection (which runs every turn) never fires.
            var generator = RandomStream(seed: UInt64(n))
            let content = (0..<36).map { _ in words[Int(generator.nextInt(below: UInt64(words.count)))] }
                .joined(separator: " ")
            return AgentAction.speak(content: content, to: n % 5 == 0 ? ["Bo"] : [], isPrivate: false).json.serialized()
        }
        let narrative = String(
            repeating: "A 41-year-old nurse from Leeds who cycles to work, cooks for three, and distrusts ads. ",
            count: 7)
        var agents: [Agent] = []
        for (i, name) in names.enumerated() {
            agents.append(
                Agent(
                    id: try ParticipantID(name.lowercased()),
                    profile: AgentProfile(
                        personaID: Persona6.id(i), displayName: name, narrative: narrative,
                        attributes: ["age": .integer(Int64(30 + i)), "region": "north", "income": "middle"]),
                    instructions: "You take part in a focus group about a new electric bike.", model: model,
                    memory: NotesMemory(notes: (0..<12).map { "Remembered fact \($0) about my commute and budget." })))
        }
        var base = try World(
            agents: agents,
            options: WorldOptions(
                termination: TerminationRules(maxTurns: 1_000_000, maxTurnsPerAgent: nil, stall: StallDetector()),
                scenario: "Topic: the price and design of the bike.", seed: 1))
        while base.turnCount < 100 {
            try await base.step()
            if let end = base.termination {
                throw WorldError(.world, "the benchmark world ended early: \(end.reason) (\(end.detail))")
            }
        }

        let clock = ContinuousClock()
        let samples = quick ? 300 : 2_000
        var turnTimes: [Double] = []
        for _ in 0..<50 {  // warm-up
            var copy = base
            try await copy.step()
        }
        for _ in 0..<samples {
            var copy = base
            let start = clock.now
            try await copy.step()
            turnTimes.append(BenchClock.seconds(clock.now - start) * 1e6)
        }

        // The parts: projection alone, and the whole prompt (system + projection).
        let viewer = agents[4]
        let transcript = base.transcript
        var projectTimes: [Double] = []
        var promptTimes: [Double] = []
        for _ in 0..<samples {
            var start = clock.now
            _ = try project(log: transcript.events, viewer: viewer.id, roster: transcript.roster, system: "S")
            projectTimes.append(BenchClock.seconds(clock.now - start) * 1e6)
            start = clock.now
            _ = try viewer.prompt(for: TurnContext(transcript: transcript, scenario: "Topic.", seed: 1))
            promptTimes.append(BenchClock.seconds(clock.now - start) * 1e6)
        }
        let p50 = BenchClock.quantile(turnTimes, 0.5)
        return [
            BenchFigure(
                name: "agent turn at turn 100, 6 parties, p50", value: p50, unit: "µs", target: "≤ 1000 µs",
                met: p50 <= 1000),
            BenchFigure(
                name: "agent turn at turn 100, 6 parties, p99", value: BenchClock.quantile(turnTimes, 0.99), unit: "µs"),
            BenchFigure(
                name: "  of which projection (100 events), p50", value: BenchClock.quantile(projectTimes, 0.5),
                unit: "µs"),
            BenchFigure(
                name: "  of which prompt assembly incl. projection, p50", value: BenchClock.quantile(promptTimes, 0.5),
                unit: "µs"),
        ]
    }
}

/// Words the scripted answers are drawn from.
private let words = """
    price design battery range weight colour brake saddle frame motor charge city hill commute family budget \
    warranty service dealer parking theft lock rain winter summer helmet child seat basket cargo speed safety \
    comfort style brand advert friend neighbour office station train bus car fuel savings loan lease rent \
    repair tyre chain gear light bell mirror phone app map route traffic lane
    """.split(separator: " ").map(String.init)

/// Persona ids for the benchmark's six agents.
private enum Persona6 {
    static func id(_ i: Int) -> String { "p00000\(i)" }
}
