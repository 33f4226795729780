import Foundation
import Testing

@testable import Population

@Suite("Population report HTML")
struct ReportHTMLTests {
    @Test("the fragment draws a target and a realised bar per cell through the shared SVG chart")
    func fragment() async throws {
        let spec = try DemoFixture.spec()
        let (personas, _) = try await PersonaFactory.personas(spec: spec, count: 13, seed: 7, workers: 2)
        let report = PopulationReport(personas: personas, spec: spec)
        let html = report.html
        let cells = report.targets.reduce(0) { $0 + $1.cells.count }
        #expect(html.hasPrefix("<section class=\"population-report\">\n<h2>Population</h2>\n<p>13 personas;"))
        #expect(html.components(separatedBy: "<figure>").count - 1 == report.targets.count)
        #expect(html.components(separatedBy: "<rect ").count - 1 == 2 * cells)
        #expect(html.components(separatedBy: "<title>target ").count - 1 == cells)
        let first = try #require(report.targets.first)
        #expect(html.contains("aria-label=\"target versus realised counts for \(first.id)\""))
        #expect(html.contains(">\(first.targets[0]) / \(first.realised[0])</text>"))
        #expect(html.hasSuffix("</table>\n</section>\n"))
    }
}
