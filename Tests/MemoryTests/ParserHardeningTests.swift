import Memory
import Storage
import Testing

/// A hostile answer, named briefly (the text itself is too long to print).
struct HostileText: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    var testDescription: String { name }

    init(_ name: String, _ piece: String, _ count: Int, prefix: String = "", suffix: String = "") {
        self.name = name
        self.text = prefix + String(repeating: piece, count: count) + suffix
    }
}

@Suite("Hardening: the PersonaTree op parser is linear in the answer's length")
struct OpParserHardeningTests {
    @Test(
        "hostile op lines are parsed or rejected quickly", .timeLimit(.minutes(1)),
        arguments: [
            HostileText("5,000 unterminated ADDs", "ADD(a.b, \"", 5_000), HostileText("40,000 quotes", "\"", 40_000),
            HostileText("10,000 UPDATE(", "UPDATE(", 10_000),
            HostileText("10,000 ops on one line", "ADD(x, \"v\") ", 10_000),
            HostileText("10,000 fake closes", "\")x", 10_000, prefix: "ADD(a, \""),
            HostileText("20,000 brackets", "[", 20_000),
        ])
    func hostileLines(input: HostileText) {
        let clock = ContinuousClock()
        let start = clock.now
        _ = OpParser.parseLines(input.text)
        _ = (try? JSONValue.parse(input.text)).map { OpParser.parseStructured($0) }
        #expect(clock.now - start < .seconds(10), "\(input.name) took \(clock.now - start)")
    }

    @Test("many ops on one line are all read")
    func manyOpsOnALine() {
        let parsed = OpParser.parseLines(String(repeating: "ADD(x, \"v\"); ", count: 1_000))
        #expect(parsed.ops.count == 1_000)
        #expect(parsed.errors.isEmpty)
    }
}
