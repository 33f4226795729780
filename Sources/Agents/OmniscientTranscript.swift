public import Memory

/// The omniscient third-person rendering of a log that judges and detectors read (spec memory.md
/// §A.6, evaluation.md §C.2): `Name: text` lines, addressees as `Name (to A, B): text`, asides as
/// `Name (privately to A): text`, narration as `[Narrator] text`; thoughts are never included.
public enum OmniscientTranscript {
    /// One line per rendered event, in log order; `numbered` prefixes `[seq] `.
    public static func lines(
        _ events: [Event], roster: [Participant], numbered: Bool = false, narratorLabel: String = "Narrator"
    ) -> [String] {
        func name(_ id: ParticipantID?) -> String {
            guard let id else { return narratorLabel }
            return roster.first { $0.id == id }?.displayName ?? id.raw
        }
        func list(_ ids: [ParticipantID]) -> String {
            roster.filter { ids.contains($0.id) }.map(\.displayName).joined(separator: ", ")
        }
        var out: [String] = []
        for e in events {
            let line: String
            switch e.kind {
            case .thought:
                continue
            case .utterance:
                if case .only(let ids) = e.audience {
                    line = "\(name(e.speaker)) (privately to \(list(ids.filter { $0 != e.speaker }))): \(e.content)"
                } else if !e.addressees.isEmpty {
                    line = "\(name(e.speaker)) (to \(list(e.addressees))): \(e.content)"
                } else {
                    line = "\(name(e.speaker)): \(e.content)"
                }
            case .narration, .summary:
                line = "[\(narratorLabel)] \(e.content)"
            case .join:
                line = "[\(narratorLabel)] \(name(e.speaker)) joined."
            case .leave:
                line = "[\(narratorLabel)] \(name(e.speaker)) left."
            case .toolCall:
                line = "[\(name(e.speaker)) used tool \(e.tool?.name ?? "?")] \(e.tool?.arguments ?? "")"
            case .toolResult:
                line = "[Tool result for \(name(e.tool?.caller))] \(e.content)"
            }
            out.append(numbered ? "[\(e.seq)] \(line)" : line)
        }
        return out
    }

    /// The rendered lines joined by newlines.
    public static func render(
        _ events: [Event], roster: [Participant], numbered: Bool = false, narratorLabel: String = "Narrator"
    ) -> String {
        lines(events, roster: roster, numbered: numbered, narratorLabel: narratorLabel).joined(separator: "\n")
    }
}
