import Foundation
import Testing

@testable import Runs

/// The byte fast paths of the report's escaping give exactly what the Character loop and
/// Foundation's replacement gave before them.
@Suite struct HTMLEscapeTests {
    static func referenceEscape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    static let samples = [
        "", "plain", "a < b & c > d \"q\"", "Reply with JSON only: {\"answer\": …}",
        "Question 1?\nOptions: Yes, No\n\nReply with JSON only: {\"answer\": …}", "line\r\nbreak\n",
        "\"\u{301}accent on a quote", "e\u{301}<tag>", "<\u{338}", "#\u{FE0F}\u{20E3} & more", "ünïcödé \"x\"\n…\n",
        "\n\n", "\u{0600}\"prepend",
    ]

    @Test("escape matches the Character loop", arguments: samples)
    func escapeMatches(_ text: String) {
        #expect(HTMLReport.escape(text) == Self.referenceEscape(text))
    }

    @Test("lineBreaks matches Foundation's replacement", arguments: samples)
    func lineBreaksMatch(_ text: String) {
        #expect(HTMLReport.lineBreaks(text) == text.replacingOccurrences(of: "\n", with: "<br>"))
    }

    @Test("csvField quotes exactly the fields it quoted before", arguments: samples + ["a,b", "x\ry"])
    func csvFieldMatches(_ text: String) {
        let reference =
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        #expect(RunReport.csvField(text) == reference)
    }
}
