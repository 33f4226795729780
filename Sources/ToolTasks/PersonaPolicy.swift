public import Runs
public import Storage

/// One behavioural axis of simulated users (`verbosity`, `patience`, …) with a playbook line per level.
public struct PersonaAxis: Sendable, Hashable {
    /// The axis id.
    public var id: String
    /// Its levels, in file order.
    public var levels: [String]
    /// Playbook text per level (levels without one are the neutral default).
    public var playbook: [(level: String, text: String)]

    /// The playbook line for a level, if any.
    public func line(for level: String) -> String? { playbook.first { $0.level == level }?.text }

    /// Equality over id, levels and playbook.
    public static func == (a: PersonaAxis, b: PersonaAxis) -> Bool {
        a.id == b.id && a.levels == b.levels && a.playbook.map(\.level) == b.playbook.map(\.level)
            && a.playbook.map(\.text) == b.playbook.map(\.text)
    }

    /// Hashes id and levels.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(levels)
    }
}

/// A sampled persona policy: a level per axis, an optional narrative, and its rendered policy text.
public struct PersonaPolicy: Sendable, Hashable, Codable {
    /// A stable id derived from the levels (`pp-` + 10 hex digits).
    public var id: String
    /// The level of each axis, in axis order, as `axis=level`.
    public var levels: [String]
    /// An optional 2–3 sentence narrative.
    public var narrative: String?
    /// The rendered behaviour text (narrative + playbook lines of the chosen levels).
    public var text: String

    /// The level chosen for `axis`, if any.
    public func level(_ axis: String) -> String? {
        levels.first { $0.hasPrefix(axis + "=") }.map { String($0.dropFirst(axis.count + 1)) }
    }
}

/// `personas.json`: axes, incompatible pairs, presets and sampling defaults (spec §10.6).
public struct PersonaLibrary: Sendable, Hashable {
    /// The axes, in file order.
    public var axes: [PersonaAxis]
    /// Pairs of `axis=level` that must never be sampled together.
    public var incompatible: [[String]]
    /// Named presets (`impatient_guarded`), each a list of `axis=level`.
    public var presets: [(name: String, levels: [String])]
    /// Per-axis level weights for weighted sampling (`axis` → weights in level order).
    public var weights: [(axis: String, weights: [Double])]
    /// `stratified` (default) or `weighted`.
    public var method: String

    /// Equality over the parts that matter.
    public static func == (a: PersonaLibrary, b: PersonaLibrary) -> Bool {
        a.axes == b.axes && a.incompatible == b.incompatible && a.method == b.method
            && a.presets.map(\.name) == b.presets.map(\.name)
    }

    /// Hashes the axes.
    public func hash(into hasher: inout Hasher) { hasher.combine(axes) }

    /// The library the spec describes (8 axes, the two incompatible pairs, `impatient_guarded`).
    public static var standard: PersonaLibrary {
        // Parsing a literal that is known to be valid.
        (try? parse(standardJSON, file: nil))
            ?? PersonaLibrary(axes: [], incompatible: [], presets: [], weights: [], method: "stratified")
    }

    /// Parses `personas.json`.
    public static func parse(_ json: JSONValue, file: String?) throws(RunError) -> PersonaLibrary {
        func fail(_ p: String, _ m: String) -> RunError { RunError(.invalidInput, m, file: file, path: p) }
        var axes: [PersonaAxis] = []
        for (i, a) in (json["axes"]?.arrayValue ?? []).enumerated() {
            guard let id = a["id"]?.stringValue, let levels = a["levels"]?.arrayValue?.compactMap(\.stringValue),
                !levels.isEmpty
            else {
                throw fail("$.axes[\(i)]", "an axis needs an id and a non-empty list of levels")
            }
            var playbook: [(level: String, text: String)] = []
            for (level, text) in a["playbook"]?.objectValue ?? JSONObject() {
                guard levels.contains(level), let t = text.stringValue else {
                    throw fail("$.axes[\(i)].playbook.\(level)", "unknown level or non-text playbook")
                }
                for problem in lintText(t) { throw fail("$.axes[\(i)].playbook.\(level)", problem) }
                playbook.append((level, t))
            }
            axes.append(PersonaAxis(id: id, levels: levels, playbook: playbook))
        }
        func valid(_ pair: String, _ p: String) throws(RunError) {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let axis = axes.first(where: { $0.id == parts[0] }), axis.levels.contains(parts[1])
            else {
                throw fail(p, "\(pair.debugDescription) is not axis=level of a known axis")
            }
        }
        var incompatible: [[String]] = []
        for (i, pair) in (json["incompatible"]?.arrayValue ?? []).enumerated() {
            let items = pair.arrayValue?.compactMap(\.stringValue) ?? []
            for (j, item) in items.enumerated() { try valid(item, "$.incompatible[\(i)][\(j)]") }
            incompatible.append(items)
        }
        var presets: [(name: String, levels: [String])] = []
        for (name, value) in json["presets"]?.objectValue ?? JSONObject() {
            var levels: [String] = []
            for (axis, level) in value.objectValue ?? JSONObject() {
                let item = axis + "=" + (level.stringValue ?? "")
                try valid(item, "$.presets.\(name).\(axis)")
                levels.append(item)
            }
            presets.append((name, levels))
        }
        var weights: [(axis: String, weights: [Double])] = []
        for (axisID, table) in json["sampling"]?["weights"]?.objectValue ?? JSONObject() {
            guard let axis = axes.first(where: { $0.id == axisID }) else {
                throw fail("$.sampling.weights.\(axisID)", "unknown axis")
            }
            weights.append((axisID, axis.levels.map { table[$0]?.doubleValue ?? 0 }))
        }
        let method = json["sampling"]?["method"]?.stringValue ?? "stratified"
        guard method == "stratified" || method == "weighted" else {
            throw fail("$.sampling.method", "must be stratified or weighted")
        }
        return PersonaLibrary(
            axes: axes, incompatible: incompatible, presets: presets, weights: weights, method: method)
    }

    /// Invariants 2–4 for a piece of persona text: no digits, emails or ids; no stop tokens or goal changes.
    public static func lintText(_ text: String) -> [String] {
        var problems: [String] = []
        if text.contains(where: \.isNumber) { problems.append("persona text must not contain digits") }
        if text.contains("@") { problems.append("persona text must not contain email addresses") }
        if text.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" && $0 != "-" }).contains(where: {
            word in
            word.count >= 5 && word.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "-" || $0 == "_" })
                && word.contains(where: \.isNumber)
        }) {
            problems.append("persona text must not contain identifiers")
        }
        if text.contains("###") { problems.append("persona text must not contain stop tokens") }
        let lower = text.lowercased()
        if lower.contains("your goal is") || lower.contains("change your goal") || lower.contains("new goal") {
            problems.append("persona text must not change the user's goal")
        }
        if lower.contains("only when asked") || lower.contains("withhold") || lower.contains("delay"),
            !(lower.contains("again") || lower.contains("second time"))
        {
            problems.append("a policy that delays information must say it is given when asked again")
        }
        return problems
    }

    /// Whether a set of `axis=level` items holds an incompatible pair.
    public func isCompatible(_ levels: [String]) -> Bool {
        !incompatible.contains { pair in pair.allSatisfy { levels.contains($0) } }
    }

    /// The policy for explicit levels (missing axes take their first level).
    public func policy(_ chosen: [String], narrative: String? = nil) -> PersonaPolicy {
        var levels: [String] = []
        var lines: [String] = []
        for axis in axes {
            let level =
                chosen.first { $0.hasPrefix(axis.id + "=") }.map { String($0.dropFirst(axis.id.count + 1)) }
                ?? axis.levels[0]
            levels.append(axis.id + "=" + level)
            if let line = axis.line(for: level) { lines.append("- " + line) }
        }
        var text = narrative.map { [$0] } ?? []
        if !lines.isEmpty { text.append(lines.joined(separator: "\n")) }
        let id = "pp-" + String(SHA256.hex(levels.joined(separator: ",")).prefix(10))
        return PersonaPolicy(id: id, levels: levels, narrative: narrative, text: text.joined(separator: "\n"))
    }

    /// A named preset.
    public func preset(_ name: String) -> PersonaPolicy? {
        presets.first { $0.name == name }.map { policy($0.levels) }
    }

    /// `count` personas drawn from a seeded stream: `stratified` covers each axis's levels evenly
    /// (Latin-hypercube style); `weighted` draws each axis by its weights. Incompatible pairs are never produced.
    public func sample(count: Int, seed: UInt64, method: String? = nil) -> [PersonaPolicy] {
        guard count > 0, !axes.isEmpty else { return [] }
        var stream = RandomStream(seed: seed).substream("personas")
        var rows: [[String]] = Array(repeating: [], count: count)
        if (method ?? self.method) == "weighted" {
            for i in 0..<count {
                var attempt = 0
                repeat {
                    rows[i] = axes.map { axis in
                        let w =
                            weights.first { $0.axis == axis.id }?.weights
                            ?? Array(repeating: 1, count: axis.levels.count)
                        return axis.id + "=" + axis.levels[stream.pickIndex(weights: w) ?? 0]
                    }
                    attempt += 1
                } while !isCompatible(rows[i]) && attempt < 100
            }
        } else {
            for axis in axes {
                var column = (0..<count).map { axis.id + "=" + axis.levels[$0 % axis.levels.count] }
                stream.shuffle(&column)
                for i in 0..<count { rows[i].append(column[i]) }
            }
            // Repair incompatible rows by swapping one axis's level with another row (keeps coverage).
            for i in 0..<count where !isCompatible(rows[i]) {
                guard let pair = incompatible.first(where: { p in p.allSatisfy { rows[i].contains($0) } }),
                    let axisIndex = axes.firstIndex(where: { pair[1].hasPrefix($0.id + "=") })
                else { continue }
                for j in 0..<count where j != i {
                    var a = rows[i]
                    var b = rows[j]
                    swap(&a[axisIndex], &b[axisIndex])
                    if isCompatible(a), isCompatible(b) {
                        rows[i] = a
                        rows[j] = b
                        break
                    }
                }
                if !isCompatible(rows[i]) {
                    for level in axes[axisIndex].levels {
                        var a = rows[i]
                        a[axisIndex] = axes[axisIndex].id + "=" + level
                        if isCompatible(a) {
                            rows[i] = a
                            break
                        }
                    }
                }
            }
        }
        return rows.map { policy($0) }
    }

    static let standardJSON: JSONValue = [
        "axes": [
            [
                "id": "verbosity", "levels": ["standard", "terse", "verbose"],
                "playbook": [
                    "terse": "Reply in one to six words when possible; no greetings; occasional typos.",
                    "verbose": "Write long, chatty messages with side remarks.",
                ],
            ],
            [
                "id": "patience", "levels": ["patient", "impatient"],
                "playbook": [
                    "impatient":
                        "Complain if asked to repeat anything; push for speed; show annoyance after the second clarification question."
                ],
            ],
            [
                "id": "disclosure", "levels": ["forthcoming", "progressive", "guarded"],
                "playbook": [
                    "progressive":
                        "Share details one at a time, only the one that was asked for; give anything asked for again at once.",
                    "guarded":
                        "Give an identifier only when asked directly; if asked a second time, give it (never refuse outright).",
                ],
            ],
            [
                "id": "clarity", "levels": ["clear", "vague"],
                "playbook": [
                    "vague":
                        "Describe the problem loosely (the thing I bought last month); never state a wrong fact; clarify when asked a specific question."
                ],
            ],
            [
                "id": "skepticism", "levels": ["trusting", "skeptical"],
                "playbook": ["skeptical": "Ask the agent to confirm amounts and dates before agreeing to any change."],
            ],
            [
                "id": "emotion", "levels": ["calm", "frustrated"],
                "playbook": [
                    "frustrated": "Blunt, no pleasantries, may accuse the company of incompetence, but stay on goal."
                ],
            ],
            [
                "id": "tech_literacy", "levels": ["average", "high", "low"],
                "playbook": ["low": "Ask what technical words mean; need one step at a time."],
            ],
            [
                "id": "tangents", "levels": ["none", "some"],
                "playbook": ["some": "Once in the conversation, mention an unrelated detail of your day."],
            ],
        ],
        "incompatible": [["verbosity=verbose", "verbosity=terse"], ["emotion=frustrated", "patience=patient"]],
        "presets": [
            "impatient_guarded": [
                "verbosity": "terse", "patience": "impatient", "disclosure": "guarded", "emotion": "frustrated",
            ]
        ],
        "sampling": ["method": "stratified"],
    ]
}
