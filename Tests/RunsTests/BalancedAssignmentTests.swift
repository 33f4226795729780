import Runs
import Testing

@Suite("Balanced assignment of respondents to arms")
struct BalancedAssignmentTests {
    static let ids = (0..<103).map { "p\($0)" }
    static let strata = ids.indices.map { i in ["f|West", "m|West", "f|South", "m|North", "x|East"][i * 7 % 5] }

    @Test("between subjects: arm sizes differ by at most one in every stratum and overall", arguments: [2, 3, 4, 5])
    func between(arms: Int) {
        let assignment = BalancedAssignment.between(ids: Self.ids, strata: Self.strata, arms: arms, seed: 42)
        for key in Set(Self.strata) {
            let counts = (0..<arms).map { a in
                Self.ids.indices.filter { Self.strata[$0] == key && assignment[$0] == a }.count
            }
            #expect(counts.max()! - counts.min()! <= 1, "stratum \(key): \(counts)")
        }
        let totals = (0..<arms).map { a in assignment.filter { $0 == a }.count }
        #expect(totals.max()! - totals.min()! <= 1)
    }

    @Test("the assignment depends on the seed only, and not on the order of computation")
    func seeded() {
        let a = BalancedAssignment.between(ids: Self.ids, strata: Self.strata, arms: 3, seed: 42)
        #expect(a == BalancedAssignment.between(ids: Self.ids, strata: Self.strata, arms: 3, seed: 42))
        #expect(a != BalancedAssignment.between(ids: Self.ids, strata: Self.strata, arms: 3, seed: 43))
    }

    @Test("within subjects: every respondent sees every arm once; each arm is first equally often (±1)")
    func within() {
        let orders = BalancedAssignment.within(ids: Self.ids, strata: Self.strata, arms: 3, seed: 5)
        for order in orders { #expect(order.sorted() == [0, 1, 2]) }
        for position in 0..<3 {
            let counts = (0..<3).map { a in orders.filter { $0[position] == a }.count }
            #expect(counts.max()! - counts.min()! <= 1)
        }
    }
}
