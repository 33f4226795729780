import Inference

@testable import Memory

/// The worked example of spec memory.md §A.5.4 and a two-party log.
enum Fixtures {
    static let dana = ParticipantID(unchecked: "dana")
    static let alex = ParticipantID(unchecked: "alex")
    static let bo = ParticipantID(unchecked: "bo")
    static let chen = ParticipantID(unchecked: "chen")
    static let observer = ParticipantID(unchecked: "obs")

    static let focusRoster: [Participant] = [
        Participant(id: dana, displayName: "Dana", role: .moderator),
        Participant(id: alex, displayName: "Alex"),
        Participant(id: bo, displayName: "Bo"),
        Participant(id: chen, displayName: "Chen", membership: [Membership(start: 5)]),
        Participant(id: observer, displayName: "Observer", role: .observer),
    ]

    static let focusLog: [Event] = [
        Event(seq: 0, speaker: dana, kind: .utterance, content: "Welcome…"),
        Event(seq: 1, speaker: alex, kind: .utterance, addressees: [dana], content: "It looks cheap to me."),
        Event(seq: 2, speaker: alex, kind: .utterance, audience: .only([alex, bo]), content: "Bo, between us, …"),
        Event(seq: 3, speaker: bo, kind: .thought, content: "Alex is right, but I won't say so."),
        Event(seq: 4, speaker: bo, kind: .utterance, content: "I like it, honestly."),
        Event(seq: 5, speaker: chen, kind: .join, content: ""),
        Event(
            seq: 6, speaker: dana, kind: .toolCall, content: "",
            tool: ToolPayload(callID: "call_1", name: "show_card", caller: dana, arguments: "{\"card\":2}")),
        Event(
            seq: 7, speaker: nil, kind: .toolResult, content: "Card 2 is on screen.",
            tool: ToolPayload(callID: "call_1", name: "show_card", caller: dana, arguments: "")),
        Event(seq: 8, speaker: dana, kind: .utterance, addressees: [chen], content: "…"),
        Event(seq: 9, speaker: chen, kind: .utterance, content: "Version 2 is clearer."),
        Event(seq: 10, speaker: nil, kind: .narration, content: "Ten minutes remain."),
    ]

    static let client = ParticipantID(unchecked: "client")
    static let responder = ParticipantID(unchecked: "responder")
    static let twoPartyRoster: [Participant] = [
        Participant(id: client, displayName: "Maria"),
        Participant(id: responder, displayName: "Agent"),
    ]
    static let twoPartyLog: [Event] = [
        Event(seq: 0, speaker: client, kind: .utterance, content: "Hi, my router keeps dropping the connection."),
        Event(seq: 1, speaker: responder, kind: .utterance, content: "Sorry to hear that. Since when?"),
        Event(seq: 2, speaker: client, kind: .utterance, content: "Since Monday."),
    ]
}

/// `(role, content)` pairs for compact golden comparisons.
func pairs(_ messages: [ProjectedMessage]) -> [String] {
    messages.map { m in
        var s = "\(m.role.rawValue): \(m.content)"
        for c in m.toolCalls { s += " [call \(c.id) \(c.name) \(c.arguments)]" }
        if let id = m.toolCallID { s += " [answers \(id)]" }
        return s
    }
}
