/// Cleans a viewer's raw generation before it becomes an event (spec memory.md §A.5.6).
///
/// It strips a leading own-name label, a `(privately to …)` marker and quotes around the whole
/// text; if a line starts with another participant's label or the narrator's, the text is cut
/// there and the cut is flagged as role confusion. Pure and idempotent: `s(s(x)) == s(x)`.
public struct OutputSanitizer: Hashable, Sendable {
    /// The viewer's display name.
    public let selfName: String
    /// The other participants' display names, in roster order.
    public let otherNames: [String]
    /// The narrator label, e.g. `Narrator`.
    public let narratorLabel: String

    /// Creates a sanitiser from explicit names.
    public init(selfName: String, otherNames: [String], narratorLabel: String = "Narrator") {
        self.selfName = selfName
        self.otherNames = otherNames
        self.narratorLabel = narratorLabel
    }

    /// Creates a sanitiser for `viewer` in `roster` (unknown viewers get an empty own name).
    public init(viewer: ParticipantID, roster: [Participant], narratorLabel: String = "Narrator") {
        self.selfName = roster.first { $0.id == viewer }?.displayName ?? ""
        self.otherNames = roster.filter { $0.id != viewer }.map(\.displayName)
        self.narratorLabel = narratorLabel
    }

    /// Sanitises one raw generation.
    public func sanitize(_ raw: String) -> SanitizedOutput {
        var text = raw
        var confused = false
        // Each pass only shortens the text, so the loop ends; running to a fixed point makes the
        // function idempotent by construction.
        while true {
            let stripped = stripPrefixes(text)
            let (cut, didCut) = cutAtForeignLine(stripped)
            confused = confused || didCut
            if cut == text { break }
            text = cut
        }
        return SanitizedOutput(text: text, roleConfusion: confused)
    }

    private func stripPrefixes(_ input: String) -> String {
        var text = input.trimmingWhitespace()
        while true {
            let before = text
            if !selfName.isEmpty, let rest = dropLabel(selfName, from: text) {
                text = String(rest).trimmingWhitespace()
            }
            if text.hasPrefix("(privately"), let close = text.firstIndex(of: ")") {
                text = String(text[text.index(after: close)...]).trimmingWhitespace()
            }
            for (open, close) in [("\"", "\""), ("\u{201C}", "\u{201D}")] {
                if text.count >= 2, text.hasPrefix(open), text.hasSuffix(close) {
                    let inner = text.dropFirst().dropLast()
                    if !inner.contains(open) && !inner.contains(close) { text = String(inner).trimmingWhitespace() }
                }
            }
            if text == before { return text }
        }
    }

    /// The rest after `Name:` or `Name (…):` at the start of `text`, or nil.
    private func dropLabel(_ name: String, from text: String) -> Substring? {
        guard text.hasPrefix(name) else { return nil }
        let rest = text.dropFirst(name.count)
        if rest.hasPrefix(":") { return rest.dropFirst() }
        if rest.hasPrefix(" ("), let close = rest.firstIndex(of: ")") {
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") && !rest[..<close].contains("\n") { return after.dropFirst() }
        }
        return nil
    }

    private func startsForeign(_ line: Substring) -> Bool {
        let l = line.drop { $0 == " " || $0 == "\t" }
        if l.hasPrefix("[\(narratorLabel)]") { return true }
        for name in otherNames where !name.isEmpty && dropLabel(name, from: String(l)) != nil { return true }
        return false
    }

    private func cutAtForeignLine(_ text: String) -> (String, Bool) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() where startsForeign(line) {
            return (lines[..<i].joined(separator: "\n").trimmingWhitespace(), true)
        }
        return (text, false)
    }
}

/// The result of sanitising one generation.
public struct SanitizedOutput: Hashable, Sendable {
    /// The cleaned text.
    public let text: String
    /// Whether the model began writing for someone else and the text was cut.
    public let roleConfusion: Bool
    /// Whether nothing is left and the caller should regenerate (with a recorded seed).
    public var needsRegeneration: Bool { text.isEmpty }
}
