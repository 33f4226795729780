import Testing

@testable import Evaluation

@Suite struct ConsistencyMetricTests {
    @Test func parsesListsInOrderWithoutDuplicates() throws {
        #expect(try ConsistencyMetric.parseList("qa, p2l,qa") == [.questionAnswer, .promptToLine])
        #expect(try ConsistencyMetric.parseList("p2l,l2l,qa") == ConsistencyMetric.allCases)
    }

    @Test func rejectsUnknownNamesWithTheKnownOnes() {
        #expect(throws: ConsistencyMetric.ParseError(name: "echo")) { try ConsistencyMetric.parseList("p2l,echo") }
        #expect(throws: ConsistencyMetric.ParseError(name: "")) { try ConsistencyMetric.parseList("p2l,") }
        #expect(
            ConsistencyMetric.ParseError(name: "x").description
                == "unknown consistency metric `x`; use a comma-separated list of p2l, l2l, qa")
    }
}
