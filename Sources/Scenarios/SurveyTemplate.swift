import Foundation
import Storage

/// Text with `{{answers.ID}}`, `{{persona.ATTR}}` and `{{vars.NAME}}` placeholders (piping), parsed
/// once: literal runs and references.
public struct SurveyTemplate: Sendable, Hashable {
    /// A piece of the text.
    public enum Segment: Sendable, Hashable {
        /// Text shown as is.
        case text(String)
        /// A value filled in when the item is asked.
        case reference(SurveyReference)
    }

    /// The pieces, in order.
    public var segments: [Segment]

    /// A syntax error in a template.
    public struct ParseError: Error, Sendable, Hashable {
        /// What is wrong and how to fix it.
        public var message: String
    }

    /// Parses `text`.
    ///
    /// - Throws: ``ParseError`` for an unclosed `{{` or a placeholder that is not a reference.
    public init(_ text: String) throws(ParseError) {
        var segments: [Segment] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { segments.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ParseError(
                    message: "\"{{\" is not closed; write {{answers.ID}}, {{persona.ATTR}} or {{vars.NAME}}")
            }
            let inner = Self.trimmed(rest[open.upperBound..<close.lowerBound])
            guard let reference = SurveyReference(String(inner)) else {
                throw ParseError(
                    message:
                        "\"{{\(inner)}}\" is not a reference; use {{answers.ID}}, {{persona.ATTR}} or {{vars.NAME}}")
            }
            segments.append(.reference(reference))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { segments.append(.text(String(rest))) }
        self.segments = segments
    }

    /// The references, in order.
    public var references: [SurveyReference] {
        segments.compactMap {
            if case .reference(let r) = $0 { return r }
            return nil
        }
    }

    /// The text with each reference replaced by its value in `scope` (an answer as its CSV text;
    /// a skipped or failed answer as empty text).
    public func render(_ scope: SurveyScope) -> String {
        var out = ""
        for segment in segments {
            switch segment {
            case .text(let t): out += t
            case .reference(let r): out += SurveyItem.text(of: scope.value(of: r))
            }
        }
        return out
    }

    static func trimmed(_ text: Substring) -> String {
        var s = text
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }

    /// Renders `text` (already validated at load time; text that does not parse is shown as is).
    public static func render(_ text: String, _ scope: SurveyScope) -> String {
        guard text.contains("{{"), let template = try? SurveyTemplate(text) else { return text }
        return template.render(scope)
    }
}
