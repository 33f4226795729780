import Agents
import AgoraTesting
import Inference
import Memory
import Storage
import Synchronization
import Worlds

/// Builders shared by the world tests.
enum WorldFixture {
    static func id(_ raw: String) -> ParticipantID { ParticipantID(unchecked: raw) }

    static func speak(_ content: String, to: [String] = [], isPrivate: Bool = false) -> String {
        AgentAction.speak(content: content, to: to, isPrivate: isPrivate).json.serialized()
    }

    static let pass = AgentAction.pass.json.serialized()
    static func leave(_ content: String = "") -> String { AgentAction.leave(content: content).json.serialized() }

    /// An agent whose model answers by `rule` (given how many turns this agent has been asked).
    static func agent(
        _ raw: String, role: ParticipantRole = .speaker, rule: @escaping @Sendable (ChatRequest) -> String
    ) -> (Agent, ScriptedModel) {
        let model = ScriptedModel(identifier: "scripted-\(raw)", rule: rule)
        let name = raw.prefix(1).uppercased() + raw.dropFirst()
        let agent = Agent(
            id: id(raw), profile: AgentProfile(displayName: name, narrative: "SECRET-PERSONA-\(raw)"), role: role,
            model: model)
        return (agent, model)
    }

    /// An agent that always says `"<Name> speaks (n)"`, counting its own calls.
    static func talker(_ raw: String, role: ParticipantRole = .speaker) -> (Agent, ScriptedModel) {
        let counter = Counter()
        let name = raw.prefix(1).uppercased() + raw.dropFirst()
        return agent(raw, role: role) { _ in speak("\(name) speaks \(counter.next()) about topic number \(raw.count)") }
    }

    /// The speaker order of a world's turns.
    static func order(_ world: World) -> [String] { world.turns.map(\.participant.raw) }

    /// Whether the last user message asks for an urge.
    static func isUrge(_ request: ChatRequest) -> Bool {
        request.messages.last?.content.contains(Agent.urgeQuestion) == true
    }
}

/// A thread-safe counter for rules.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
