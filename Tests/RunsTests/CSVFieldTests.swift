import Foundation
import Testing

@testable import Runs

/// The byte fast path of CSV quoting gives exactly what Foundation's replacement gave before it
/// (the HTML escaping it was written with is tested in HTMLKitTests).
@Suite struct CSVFieldTests {
    static let samples = [
        "", "plain", "a < b & c > d \"q\"", "Reply with JSON only: {\"answer\": …}",
        "Question 1?\nOptions: Yes, No\n\nReply with JSON only: {\"answer\": …}", "line\r\nbreak\n",
        "\"\u{301}accent on a quote", "e\u{301}<tag>", "<\u{338}", "#\u{FE0F}\u{20E3} & more", "ünïcödé \"x\"\n…\n",
        "\n\n", "\u{0600}\"prepend",
    ]

    @Test("csvField quotes exactly the fields it quoted before", arguments: samples + ["a,b", "x\ry"])
    func csvFieldMatches(_ text: String) {
        let reference =
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        #expect(RunReport.csvField(text) == reference)
    }
}
