import Foundation
import HTMLKit
import Testing

@Suite("Forest plots")
struct ForestPlotTests {
    @Test("rows, the dashed zero line and the interval ends land on the common axis")
    func layout() {
        let svg = SVGChart.forest(
            [
                .init(label: "interest · B − A", estimate: 0.5, low: 0.25, high: 0.75, highlighted: true),
                .init(label: "buy · Yes · B − A", estimate: -0.1, low: -0.3, high: 0.1),
            ], description: "effects")
        // Axis [-0.3, 0.75] padded by 5% each side: [-0.3525, 0.8025] over 290 px from x = 280.
        func x(_ v: Double) -> String { String(format: "%.1f", 280 + (v + 0.3525) / 1.155 * 290) }
        #expect(
            svg.hasPrefix(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"70\" role=\"img\" aria-label=\"effects\">"
            ))
        #expect(
            svg.contains(
                "<line x1=\"\(x(0))\" x2=\"\(x(0))\" y1=\"0\" y2=\"46.0\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"))
        #expect(svg.contains("<line x1=\"\(x(0.25))\" x2=\"\(x(0.75))\" y1=\"12.0\" y2=\"12.0\" stroke=\"#c0392b\""))
        #expect(svg.contains("<line x1=\"\(x(-0.3))\" x2=\"\(x(0.1))\" y1=\"32.0\" y2=\"32.0\" stroke=\"#4c78a8\""))
        #expect(svg.contains("<title>interest · B − A: 0.500 [0.250, 0.750]</title>"))
        #expect(svg.hasSuffix("</svg>"))
    }

    @Test("labels are escaped and a degenerate axis still has width")
    func escaping() {
        let svg = SVGChart.forest([.init(label: "a < b & c", estimate: 0, low: 0, high: 0)])
        #expect(svg.contains("a &lt; b &amp; c"))
        #expect(!svg.contains("nan"))
    }
}
