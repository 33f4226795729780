import Foundation
public import Memory
import Runs
import Storage

/// A party of a domain besides the agent under test and the user: staff on the agent's side who
/// join the conversation when a tool brings them in (a supervisor the agent escalates to).
///
/// Declared in `domain.json` under `parties`:
/// `{"id": "supervisor", "name": "Supervisor", "joinsOn": "escalate_to_supervisor", "policy": "supervisor.md"}`.
/// Tools with `"party": "supervisor"` are the party's own; the task's gold actions with
/// `"x_party": "supervisor"` are the ones it performs, and `x_party_messages` its closing lines.
public struct DomainParty: Sendable, Hashable {
    /// The participant id (`[a-z0-9_-]+`; not `agent` or `user`).
    public var id: ParticipantID
    /// The display name others see.
    public var name: String
    /// The agent-side tool whose successful call brings the party in.
    public var joinsOn: String
    /// The party's instructions (its system prompt), with `{{now}}` and `{{domain_name}}` filled in.
    public var policy: String

    /// Creates a party.
    public init(id: ParticipantID, name: String, joinsOn: String, policy: String) {
        self.id = id
        self.name = name
        self.joinsOn = joinsOn
        self.policy = policy
    }
}

extension DomainLoader {
    /// `parties` of `domain.json`, checked against the tools; every problem names the JSON path.
    func parseParties(_ json: JSONValue, tools: [ToolSpec]) throws -> [DomainParty] {
        func fail(_ p: String, _ m: String) -> RunError { RunError(.invalidInput, m, file: "domain.json", path: p) }
        var parties: [DomainParty] = []
        for (i, p) in (json["parties"]?.arrayValue ?? []).enumerated() {
            let path = "$.parties[\(i)]"
            guard let raw = p["id"]?.stringValue, let id = try? ParticipantID(raw), raw != "agent", raw != "user" else {
                throw fail(path + ".id", "a party needs an id of a-z, 0-9, '_' and '-', other than agent and user")
            }
            guard let name = p["name"]?.stringValue, !name.isEmpty, name != "Agent", name != "User",
                !parties.contains(where: { $0.id == id || $0.name == name })
            else {
                throw fail(path + ".name", "a party needs a display name of its own (not Agent or User)")
            }
            guard let joinsOn = p["joinsOn"]?.stringValue,
                tools.contains(where: { $0.name == joinsOn && $0.side == .agent })
            else {
                throw fail(path + ".joinsOn", "name the agent-side tool whose call brings the party in")
            }
            var policy = ""
            if let file = p["policy"]?.stringValue {
                guard let text = try? String(contentsOf: self.file(file), encoding: .utf8) else {
                    throw fail(path + ".policy", "cannot read \(file)")
                }
                policy = text
            }
            parties.append(DomainParty(id: id, name: name, joinsOn: joinsOn, policy: policy))
        }
        for tool in tools {
            if let party = tool.party, !parties.contains(where: { $0.id.raw == party }) {
                throw RunError(
                    .invalidInput,
                    "tool \(tool.name) is reserved for party \"\(party)\", which domain.json does not declare",
                    file: "tools/\(tool.name).json", path: "$.party")
            }
        }
        return parties
    }
}
