import Foundation
import Testing

@testable import Population

@Suite("Timing probe")
struct TimingProbe {
    @Test func probe() async throws {
        guard ProcessInfo.processInfo.environment["POP_PROBE"] != nil else { return }
        let env = ProcessInfo.processInfo.environment
        let spec = try env["POP_SPEC"].map { try PopulationSpec.load(file: $0) } ?? DemoFixture.spec()
        for warning in spec.warnings { print("warning:", warning) }
        let clock = ContinuousClock()
        var start = clock.now
        var text: [UInt8] = []
        let n = Int(ProcessInfo.processInfo.environment["POP_PROBE"] ?? "") ?? 100_003
        _ = try await PersonaFactory.run(spec: spec, count: n, seed: 7, workers: 2, progress: nil) { text += $0 }
        print("generate", clock.now - start)
        if env["POP_SKIP_REPORT"] != nil { return }
        start = clock.now
        var personas: [Persona] = []
        for line in text.split(separator: UInt8(ascii: "\n")) {
            personas.append(try Persona(jsonLine: String(decoding: line, as: UTF8.self)))
        }
        print("parse", clock.now - start)
        start = clock.now
        _ = PopulationReport(personas: personas, spec: spec)
        print("report", clock.now - start)
    }
}
