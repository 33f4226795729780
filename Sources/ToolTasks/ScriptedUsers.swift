import Foundation
import Runs
import Storage

/// A deterministic user for tests and gold replays (spec §10.6): rules, slot filling from `known_info`,
/// a stop pattern, and an idle reply before `###STOP###`. A persona policy changes its style only
/// (terse openings; a guarded user asks "why" the first time a slot is requested and answers the second time).
public struct ScriptedUser: UserSimulator {
    /// A rule: when the agent's last text matches `when` (regex), say `say` (`{slot}` is filled).
    public var rules: [(when: String, say: String)]
    /// When the agent's last text matches this regex, stop.
    public var stopWhen: String?
    /// Stop after this many agent text turns (the greeting counts).
    public var stopAfterAgentTurns: Int?
    /// Idle replies ("Is there anything else you need from me?") before `###STOP###`.
    public var maxIdleTurns: Int
    /// The idle reply.
    public static let idleText = "Is there anything else you need from me?"

    /// Creates a scripted user.
    public init(
        rules: [(when: String, say: String)] = [], stopWhen: String? = nil, stopAfterAgentTurns: Int? = nil,
        maxIdleTurns: Int = 0
    ) {
        self.rules = rules
        self.stopWhen = stopWhen
        self.stopAfterAgentTurns = stopAfterAgentTurns
        self.maxIdleTurns = maxIdleTurns
    }

    /// Key/value facts read from `known_info`: `key: value` lines, "Your X is Y.", "You are NAME.", and emails.
    public static func slots(_ scenario: UserScenario) -> [(key: String, value: String)] {
        var out: [(String, String)] = []
        let text = scenario.knownInfo ?? scenario.plainInstructions ?? ""
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "." && false }) {
            for sentence in raw.split(separator: ". ").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                var s = sentence
                if s.hasSuffix(".") { s.removeLast() }
                if let range = s.range(of: ": ") {
                    out.append((String(s[..<range.lowerBound]).lowercased(), String(s[range.upperBound...])))
                } else if s.lowercased().hasPrefix("your "), let range = s.range(of: " is ") {
                    out.append(
                        (
                            String(s[s.index(s.startIndex, offsetBy: 5)..<range.lowerBound]).lowercased(),
                            String(s[range.upperBound...])
                        ))
                } else if s.hasPrefix("You are ") {
                    let rest = String(s.dropFirst(8))
                    let parts = rest.components(separatedBy: ", ")
                    out.append(("name", parts[0]))
                    for part in parts.dropFirst() {
                        let words = part.split(separator: " ", maxSplits: 1).map(String.init)
                        if words.count == 2 { out.append((words[0].lowercased(), words[1])) }
                    }
                }
            }
        }
        return out
    }

    /// The next user message.
    public func next(_ view: UserView) async throws -> AgentMessage {
        let persona = view.persona
        let own = view.ownTexts
        if own.isEmpty {
            var opening = view.task.scenario.reasonForCall ?? view.task.scenario.plainInstructions ?? "I need help."
            if persona?.level("verbosity") == "terse", let first = opening.split(separator: ".").first {
                opening = String(first)
            }
            if persona?.level("disclosure") == "forthcoming" || persona == nil,
                let known = view.task.scenario.knownInfo
            {
                opening += "\n" + known
            }
            return .text(opening)
        }
        let last = view.agentTexts.last ?? ""
        if let stopWhen, let regex = try? LinearRegex(stopWhen), regex.matches(in: last) { return .text("###STOP###") }
        if let n = stopAfterAgentTurns, view.agentTexts.count >= n { return .text("###STOP###") }
        let slots = Self.slots(view.task.scenario)
        func fill(_ template: String) -> String {
            var out = template
            for (key, value) in slots { out = out.replacingOccurrences(of: "{\(key)}", with: value) }
            return out
        }
        for rule in rules {
            if let regex = try? LinearRegex(rule.when), regex.matches(in: last) { return .text(fill(rule.say)) }
        }
        if last.contains("?") {
            let lower = last.lowercased()
            if let slot = slots.first(where: { lower.contains($0.key) }) {
                if persona?.level("disclosure") == "guarded" {
                    let asked = view.agentTexts.filter { $0.contains("?") && $0.lowercased().contains(slot.key) }.count
                    if asked < 2 { return .text("Why do you need my \(slot.key)?") }
                }
                return .text(persona?.level("verbosity") == "terse" ? slot.value : "My \(slot.key) is \(slot.value).")
            }
        }
        let idle = own.reversed().prefix { $0 == Self.idleText }.count
        return .text(idle < maxIdleTurns ? Self.idleText : "###STOP###")
    }
}

/// Replays fixed user utterances, then `###STOP###`.
public struct TranscriptUser: UserSimulator {
    /// The utterances, in order.
    public var utterances: [String]
    /// Creates the user.
    public init(_ utterances: [String]) { self.utterances = utterances }

    /// The next utterance.
    public func next(_ view: UserView) async throws -> AgentMessage {
        let said = view.ownTexts.count
        return .text(said < utterances.count ? utterances[said] : "###STOP###")
    }
}
