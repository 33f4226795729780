import Foundation
import HTMLKit
import Testing

/// The byte fast paths of the escaping give exactly what the Character loop and Foundation's
/// replacement gave before them.
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
        #expect(HTML.escape(text) == Self.referenceEscape(text))
    }

    @Test("lineBreaks matches Foundation's replacement", arguments: samples)
    func lineBreaksMatch(_ text: String) {
        #expect(HTML.lineBreaks(text) == text.replacingOccurrences(of: "\n", with: "<br>"))
    }

    @Test("the page head escapes its title and opens the body")
    func head() {
        let head = HTML.head(title: "T & <t>")
        #expect(head[2] == "<title>T &amp; &lt;t&gt; — Agora report</title>")
        #expect(head.last?.hasSuffix("</style></head><body>") == true)
    }
}

/// The charts keep the bytes the run reports have always had (goldens written by the code they came from).
@Suite struct SVGChartTests {
    static let countsGolden =
        ##"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="50" role="img"><text x="0" y="17.0">Yes &amp; no</text><rect x="220.0" y="6.0" width="247.5" height="14" fill="#4c78a8"/><line x1="253.0" x2="418.0" y1="13.0" y2="13.0" stroke="#222" stroke-width="1.5"/><text x="556.0" y="17.0">3 (75%)</text><text x="0" y="39.0">a label that is much longer than …</text><rect x="220.0" y="28.0" width="82.5" height="14" fill="#4c78a8"/><text x="556.0" y="39.0">1 (25%)</text></svg>"##
    static let clampedGolden =
        ##"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="50" role="img"><text x="0" y="17.0">&lt;b&gt;</text><rect x="220.0" y="6.0" width="330.0" height="14" fill="#4c78a8"/><text x="556.0" y="17.0">x &quot;q&quot;</text><text x="0" y="39.0">z</text><rect x="220.0" y="28.0" width="0.0" height="14" fill="#4c78a8"/><line x1="302.5" x2="467.5" y1="35.0" y2="35.0" stroke="#222" stroke-width="1.5"/><text x="556.0" y="39.0"></text></svg>"##
    static let groupedGolden =
        ##"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="44" role="img" aria-label="target &amp; realised"><text x="0" y="25.0">a</text><rect x="220.0" y="6.0" width="165.0" height="14" fill="#bbb"><title>target 5</title></rect><rect x="220.0" y="22.0" width="330.0" height="14" fill="#4c78a8"/><text x="556.0" y="25.0">5 / 10</text></svg>"##
    static let lineGolden =
        ##"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="220" role="img"><line x1="44.0" x2="530.0" y1="190.0" y2="190.0" stroke="#ddd"/><text x="0" y="194.0">0.0</text><line x1="44.0" x2="530.0" y1="101.0" y2="101.0" stroke="#ddd"/><text x="0" y="105.0">0.5</text><line x1="44.0" x2="530.0" y1="12.0" y2="12.0" stroke="#ddd"/><text x="0" y="16.0">1.0</text><text x="32.0" y="212.0">1</text><text x="275.0" y="212.0">2</text><text x="518.0" y="212.0">3</text><polyline fill="none" stroke="#4c78a8" stroke-width="2" points="44.0,12.0 287.0,101.0 530.0,145.5"/><circle cx="44.0" cy="12.0" r="3" fill="#4c78a8"><title>pass^k k=1: 1.000</title></circle><circle cx="287.0" cy="101.0" r="3" fill="#4c78a8"><title>pass^k k=2: 0.500</title></circle><circle cx="530.0" cy="145.5" r="3" fill="#4c78a8"><title>pass^k k=3: 0.250</title></circle><rect x="542.0" y="17.0" width="10" height="10" fill="#4c78a8"/><text x="558.0" y="26.0">pass^k</text><polyline fill="none" stroke="#f58518" stroke-width="2" points="44.0,136.6"/><circle cx="44.0" cy="136.6" r="3" fill="#f58518"><title>b&lt; k=1: 0.300</title></circle><rect x="542.0" y="35.0" width="10" height="10" fill="#f58518"/><text x="558.0" y="44.0">b&lt;</text></svg>"##

    @Test("one bar per row: labels cut at 34 characters, shares clamped, intervals as lines")
    func singleBars() {
        let counts = SVGChart.bars([
            SVGChart.Row(label: "Yes & no", bars: [SVGChart.Bar(share: 0.75, interval: (0.1, 0.6))], note: "3 (75%)"),
            SVGChart.Row(
                label: "a label that is much longer than thirty-four characters", bars: [SVGChart.Bar(share: 0.25)],
                note: "1 (25%)"),
        ])
        #expect(counts == Self.countsGolden)
        let clamped = SVGChart.bars([
            SVGChart.Row(label: "<b>", bars: [SVGChart.Bar(share: 1.2)], note: "x \"q\""),
            SVGChart.Row(label: "z", bars: [SVGChart.Bar(share: -0.1, interval: (0.25, 0.75))], note: ""),
        ])
        #expect(clamped == Self.clampedGolden)
    }

    @Test("several bars per row stack with tooltips; the description becomes the aria-label")
    func groupedBars() {
        let chart = SVGChart.bars(
            [
                SVGChart.Row(
                    label: "a",
                    bars: [SVGChart.Bar(share: 0.5, color: "#bbb", tooltip: "target 5"), SVGChart.Bar(share: 1)],
                    note: "5 / 10")
            ], description: "target & realised")
        #expect(
            chart
                == Self.groupedGolden
        )
    }

    @Test("a line chart has grid lines, one polyline and dots per series, and a legend")
    func lineChart() {
        let chart = SVGChart.lineChart(
            [
                (name: "pass^k", values: [1, 0.5, 0.25], color: "#4c78a8"),
                (name: "b<", values: [0.3], color: "#f58518"),
            ],
            xLabels: ["1", "2", "3"])
        #expect(chart == Self.lineGolden)
    }
}
