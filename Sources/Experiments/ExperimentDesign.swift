public import Runs
public import Storage

/// A validated experiment document (`kind: "experiment"`, docs/experiments.md): a base scenario of
/// any other kind and the arms that vary it, given directly, as crossed factors, or as a conjoint.
public struct ExperimentDesign: Sendable {
    /// How respondents meet the arms.
    public enum Assignment: String, Sendable, Hashable {
        /// Each respondent in one arm (balanced, optionally stratified).
        case between
        /// Every respondent in every arm, order counterbalanced, a fresh context per arm.
        case within
    }

    /// One arm: a name and its JSON merge patch of the base (RFC 7396).
    public struct Arm: Sendable, Hashable {
        /// The arm's name (`A`, `short copy`, `price=$29 × copy=long`).
        public var name: String
        /// The patch applied to the base scenario.
        public var patch: JSONValue
        /// For a factorial cell: the level index of each factor, in factor order.
        public var levels: [Int]
    }

    /// A factor of a factorial design: a name and its levels.
    public struct Factor: Sendable, Hashable {
        /// One level: its name and its patch of the base.
        public struct Level: Sendable, Hashable {
            /// The level's name (`$29`).
            public var name: String
            /// The patch applied to the base for this level.
            public var patch: JSONValue
        }
        /// The factor's name.
        public var name: String
        /// Its levels; the first is the baseline of the effects.
        public var levels: [Level]
    }

    /// A conjoint study: choice tasks of two random profiles each.
    public struct Conjoint: Sendable, Hashable {
        /// An attribute and its levels, in document order.
        public struct Attribute: Sendable, Hashable {
            /// The attribute's name (`price`).
            public var name: String
            /// Its levels (`$29`, `$49`…); the first is the baseline of the AMCEs.
            public var levels: [String]
        }
        /// The attributes.
        public var attributes: [Attribute]
        /// Choice tasks per respondent.
        public var tasks: Int
        /// Combinations that cannot occur in one profile (attribute name → level).
        public var restrictions: [[String: String]]
        /// The question above each pair of profiles.
        public var question: String
    }

    /// The experiment's id (the run folder's prefix).
    public var id: String
    /// A title for the report.
    public var title: String
    /// The run seed.
    public var seed: UInt64
    /// Between or within subjects.
    public var assignment: Assignment
    /// Persona attributes the between-subjects assignment is balanced within.
    public var stratify: [String]
    /// The base scenario document (any other kind).
    public var base: JSONValue
    /// The arms (for a factorial design, its cells; for a conjoint, one arm: the base).
    public var arms: [Arm]
    /// The factors of a factorial design (empty otherwise).
    public var factors: [Factor]
    /// The conjoint, if this is one.
    public var conjoint: Conjoint?
    /// The outcomes to analyse (item ids); empty: every closed item.
    public var outcomes: [String]
    /// The document as given.
    public var document: JSONValue
    /// The file it came from.
    public var file: String?

    /// The arm `i`'s scenario: the base with its patch applied (the `kind` cannot change).
    /// For a conjoint, the base's items are replaced by choice tasks (here all at the first levels; each
    /// respondent's own tasks replace them when their unit runs).
    public func armDocument(_ i: Int) -> JSONValue {
        var patched = base.mergePatched(with: arms[i].patch)
        if let conjoint {
            let example = [[Int]](repeating: conjoint.attributes.map { _ in 0 }, count: 2)
            patched = ConjointTasks.survey(
                conjoint, base: patched,
                tasks: ConjointTasks(tasks: [[[Int]]](repeating: example, count: conjoint.tasks)))
        }
        if case .object(var object) = patched {
            object["kind"] = base["kind"]
            patched = .object(object)
        }
        return patched
    }

    /// Validates an experiment document.
    ///
    /// - Throws: ``RunError`` (`invalidInput`) naming the file, the JSON path and the fix.
    public static func parse(_ document: JSONValue, file: String?, seedOverride: UInt64? = nil) throws(RunError)
        -> ExperimentDesign
    {
        let root = JSONPathReader<RunError>(document, file: file)
        try root.allowOnly([
            "$schema", "version", "id", "kind", "title", "description", "seed", "base", "design", "stratify", "arms",
            "factors", "fraction", "conjoint", "outcomes",
        ])
        let id = try root.nonEmptyString("id")
        let title = try root.optionalString("title") ?? id
        let documentSeed = try root.optionalInt("seed", range: 0...Int.max) ?? 1
        let seed = seedOverride ?? UInt64(documentSeed)
        let baseReader = try root.required("base")
        let base = baseReader.value
        guard base.objectValue != nil else { throw baseReader.fail("give the base scenario as an object") }
        guard let baseKind = base["kind"]?.stringValue else {
            throw baseReader.fail("kind", "the base scenario needs a \"kind\" (survey, interview, tool-tasks…)")
        }
        guard baseKind != "experiment" else {
            throw baseReader.fail("kind", "an experiment's base cannot itself be an experiment; use its base")
        }
        var assignment = Assignment.between
        if let text = try root.optionalString("design") {
            guard let value = Assignment(rawValue: text) else {
                throw root.fail("design", "use \"between\" or \"within\", not \"\(text)\"")
            }
            assignment = value
        }
        let stratify = root.has("stratify") ? try root.strings("stratify") : []
        let outcomes = root.has("outcomes") ? try root.strings("outcomes") : []
        let given = ["arms", "factors", "conjoint"].filter { root.has($0) }
        guard given.count == 1 else {
            throw root.fail(
                given.count > 1 ? given[1] : nil,
                "give exactly one of \"arms\", \"factors\" or \"conjoint\" (found \(given.isEmpty ? "none" : given.joined(separator: " and ")))"
            )
        }
        var arms: [Arm] = []
        var factors: [Factor] = []
        var conjoint: Conjoint?
        switch given[0] {
        case "arms":
            let elements = try root.elements("arms")
            guard elements.count >= 2 else { throw root.fail("arms", "an experiment needs at least two arms") }
            for element in elements {
                try element.allowOnly(["name", "patch", "description"])
                let name = try element.nonEmptyString("name")
                guard !arms.contains(where: { $0.name == name }) else {
                    throw element.fail("name", "two arms are named \"\(name)\"; give each a distinct name")
                }
                let patch = element.value["patch"] ?? .object(JSONObject())
                guard patch.objectValue != nil else {
                    throw element.fail("patch", "a patch is a JSON object (RFC 7396)")
                }
                arms.append(Arm(name: name, patch: patch, levels: []))
            }
        case "factors":
            let reader = try root.reader("factors")
            for (name, levelsReader) in try reader.members() {
                var levels: [Factor.Level] = []
                for element in try levelsReader.elements() {
                    try element.allowOnly(["level", "patch"])
                    let level = try element.nonEmptyString("level")
                    let patch = element.value["patch"] ?? .object(JSONObject())
                    guard patch.objectValue != nil else {
                        throw element.fail("patch", "a patch is a JSON object (RFC 7396)")
                    }
                    levels.append(Factor.Level(name: level, patch: patch))
                }
                guard levels.count >= 2 else { throw levelsReader.fail("a factor needs at least two levels") }
                factors.append(Factor(name: name, levels: levels))
            }
            guard !factors.isEmpty else { throw reader.fail("give at least one factor") }
            var cells: [[Int]] = [[]]
            for factor in factors { cells = cells.flatMap { cell in factor.levels.indices.map { cell + [$0] } } }
            if let fraction = try root.optionalDouble("fraction") {
                guard fraction > 0, fraction <= 1 else { throw root.fail("fraction", "use a fraction in (0, 1]") }
                let keep = max(2, Int((fraction * Double(cells.count)).rounded(.up)))
                var order = Array(cells.indices)
                var stream = RandomStream(seed: seed).substream("experiment/fraction")
                stream.shuffle(&order)
                cells = order.prefix(keep).sorted().map { cells[$0] }
            }
            for cell in cells {
                var patch = JSONValue.object(JSONObject())
                var names: [String] = []
                for (f, level) in cell.enumerated() {
                    patch = patch.mergePatched(with: factors[f].levels[level].patch)
                    names.append("\(factors[f].name)=\(factors[f].levels[level].name)")
                }
                arms.append(Arm(name: names.joined(separator: " × "), patch: patch, levels: cell))
            }
        default:
            guard baseKind == "survey" else {
                throw baseReader.fail("kind", "a conjoint's base must be a survey (its choice tasks are survey items)")
            }
            conjoint = try parseConjoint(try root.reader("conjoint"))
            arms = [Arm(name: "conjoint", patch: .object(JSONObject()), levels: [])]
        }
        return ExperimentDesign(
            id: id, title: title, seed: seed, assignment: assignment, stratify: stratify, base: base, arms: arms,
            factors: factors, conjoint: conjoint, outcomes: outcomes, document: document, file: file)
    }

    static func parseConjoint(_ reader: JSONPathReader<RunError>) throws(RunError) -> Conjoint {
        try reader.allowOnly(["attributes", "tasks", "restrictions", "question"])
        var attributes: [Conjoint.Attribute] = []
        for (name, levels) in try reader.reader("attributes").members() {
            var names: [String] = []
            for element in try levels.elements() { names.append(try element.string()) }
            guard names.count >= 2 else { throw levels.fail("an attribute needs at least two levels") }
            guard Set(names).count == names.count else { throw levels.fail("the levels must be distinct") }
            attributes.append(Conjoint.Attribute(name: name, levels: names))
        }
        guard !attributes.isEmpty else { throw reader.fail("attributes", "give at least one attribute") }
        let tasks = try reader.optionalInt("tasks", range: 1...50) ?? 5
        var restrictions: [[String: String]] = []
        if reader.has("restrictions") {
            for element in try reader.elements("restrictions") {
                var rule: [String: String] = [:]
                for (name, level) in try element.members() {
                    guard let attribute = attributes.first(where: { $0.name == name }) else {
                        throw element.fail(
                            name,
                            "no attribute \"\(name)\"; the attributes are \(attributes.map(\.name).joined(separator: ", "))"
                        )
                    }
                    let value = try level.string()
                    guard attribute.levels.contains(value) else {
                        throw level.fail(
                            "\"\(value)\" is not a level of \(name); use one of \(attribute.levels.joined(separator: ", "))"
                        )
                    }
                    rule[name] = value
                }
                guard rule.count >= 2 else { throw element.fail("a restriction names at least two attributes") }
                restrictions.append(rule)
            }
        }
        let question =
            try reader.optionalString("question") ?? "Which of these two would you choose?"
        return Conjoint(attributes: attributes, tasks: tasks, restrictions: restrictions, question: question)
    }
}
