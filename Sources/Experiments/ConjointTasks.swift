import Runs
import Storage

/// One conjoint respondent's choice tasks: for each task two profiles, each a level index per
/// attribute. Drawn from the respondent's own named stream, so they never depend on concurrency,
/// and stored with the unit, so resume and reports read them back.
struct ConjointTasks: Sendable, Hashable {
    /// task → profile (A, B) → level index per attribute.
    var tasks: [[[Int]]]

    /// Draws `conjoint.tasks` tasks: each level uniformly and independently, profiles that match a
    /// restriction redrawn.
    static func draw(_ conjoint: ExperimentDesign.Conjoint, respondent: String, seed: UInt64) -> ConjointTasks {
        var stream = RandomStream(seed: seed).substream("experiment/conjoint/\(respondent)")
        func allowed(_ profile: [Int]) -> Bool {
            !conjoint.restrictions.contains { rule in
                rule.allSatisfy { name, level in
                    guard let a = conjoint.attributes.firstIndex(where: { $0.name == name }) else { return false }
                    return conjoint.attributes[a].levels[profile[a]] == level
                }
            }
        }
        func profile() -> [Int] {
            var drawn: [Int] = []
            for _ in 0..<1000 {
                drawn = conjoint.attributes.map { Int(stream.nextInt(below: UInt64($0.levels.count))) }
                if allowed(drawn) { return drawn }
            }
            return drawn
        }
        var tasks: [[[Int]]] = []
        for _ in 0..<conjoint.tasks {
            // Independent draws (a pair may repeat a profile): conditioning B on differing from A would
            // make each profile's rival depend on it and bias the AMCEs.
            let a = profile()
            tasks.append([a, profile()])
        }
        return ConjointTasks(tasks: tasks)
    }

    /// As stored in the unit's input.
    var json: JSONValue {
        .array(tasks.map { task in .array(task.map { profile in .array(profile.map { .integer(Int64($0)) }) }) })
    }

    /// Reads the stored form back.
    init(json: JSONValue) {
        tasks = (json.arrayValue ?? []).map { task in
            (task.arrayValue ?? []).map { profile in (profile.arrayValue ?? []).map { Int($0.intValue ?? 0) } }
        }
    }

    init(tasks: [[[Int]]]) { self.tasks = tasks }

    /// The item id of task `t` (0-based).
    static func itemID(_ t: Int) -> String { "task-\(t + 1)" }

    /// The two options every task offers.
    static let options = ["Option A", "Option B"]

    /// A profile as the respondent reads it.
    static func describe(_ profile: [Int], _ conjoint: ExperimentDesign.Conjoint) -> String {
        zip(conjoint.attributes, profile).map { "\($0.name): \($0.levels[$1])" }.joined(separator: "; ")
    }

    /// The respondent's survey: the base survey with its items replaced by the choice tasks (options
    /// in a fixed order: A then B).
    static func survey(_ conjoint: ExperimentDesign.Conjoint, base: JSONValue, tasks: ConjointTasks) -> JSONValue {
        let items: [JSONValue] = tasks.tasks.enumerated().map { t, pair in
            let text =
                "\(conjoint.question)\n\nOption A: \(describe(pair[0], conjoint))\nOption B: \(describe(pair[1], conjoint))"
            return [
                "id": .string(itemID(t)), "type": "single-choice", "question": .string(text),
                "options": .array(options.map { .string($0) }),
            ]
        }
        return base.mergePatched(with: ["survey": ["items": .array(items), "randomizeOptions": false]])
    }
}
