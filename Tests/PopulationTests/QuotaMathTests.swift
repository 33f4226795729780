import Storage
import Testing

@testable import Population

@Suite("Largest-remainder integerisation")
struct IntegerisationTests {
    @Test("Test 1: 0.4/0.3/0.2/0.1 at N = 17, 10 and 0")
    func basicVectors() throws {
        let p = [0.4, 0.3, 0.2, 0.1]
        #expect(try Integerisation.largestRemainder(p, total: 17) == [7, 5, 3, 2])
        #expect(try Integerisation.largestRemainder(p, total: 10) == [4, 3, 2, 1])
        #expect(try Integerisation.largestRemainder(p, total: 0) == [0, 0, 0, 0])
    }

    @Test("Test 2: ties go to the lower index")
    func ties() throws {
        #expect(try Integerisation.largestRemainder([1, 1, 1], total: 10) == [4, 3, 3])
        #expect(try Integerisation.largestRemainder([0.5, 0.5], total: 3) == [2, 1])
    }

    @Test("Test 3: sums to N and every count is within 1 of N·p", arguments: [1, 7, 1000, 100_003])
    func quotaRule(total: Int) throws {
        var stream = RandomStream(seed: 42 &+ UInt64(total))
        for _ in 0..<50 {
            let size = 1 + Int(stream.nextInt(below: 30))
            let raw = (0..<size).map { _ in stream.nextDouble() }
            let sum = raw.reduce(0, +)
            let p = raw.map { $0 / sum }
            let counts = try Integerisation.largestRemainder(p, total: total)
            #expect(counts.reduce(0, +) == total)
            for (count, share) in zip(counts, p) { #expect(abs(Double(count) - Double(total) * share) < 1) }
        }
    }
}

@Suite("Iterative proportional fitting")
struct ProportionalFittingTests {
    @Test("Test 4: synthpop's test_larger_ipf vector")
    func synthpopVector() throws {
        let fitted = try ProportionalFitting.fit(
            seed: [[8, 4, 2], [5, 3, 2]], rows: [60, 40], columns: [50, 30, 20])
        let expected = [[31.787768, 17.777583, 10.434649], [18.212232, 12.222417, 9.565351]]
        for r in 0..<2 { for c in 0..<3 { #expect(abs(fitted[r][c] - expected[r][c]) < 1e-5) } }
    }

    @Test("Test 5: humanleague's uniform 2×2 vector")
    func humanleagueVector() throws {
        let fitted = try ProportionalFitting.fit(seed: [[1, 1], [1, 1]], rows: [52, 48], columns: [87, 13])
        let expected = [[45.24, 6.76], [41.76, 6.24]]
        for r in 0..<2 { for c in 0..<2 { #expect(abs(fitted[r][c] - expected[r][c]) < 1e-6) } }
    }

    @Test("Test 6: infeasible targets are reported, not looped on")
    func infeasible() {
        #expect {
            _ = try ProportionalFitting.fit(seed: [[1, 0], [0, 1]], rows: [1, 1], columns: [2, 0])
        } throws: { error in
            (error as? PopulationError)?.code == .infeasibleTargets
        }
    }
}

@Suite("Controlled rounding by min-cost flow")
struct ControlledRoundingTests {
    @Test("Test 7: the fitted synthpop table rounds to the unique max-Σfrac solution")
    func synthpopRounding() throws {
        let fitted = try ProportionalFitting.fit(
            seed: [[8, 4, 2], [5, 3, 2]], rows: [60, 40], columns: [50, 30, 20])
        let rounded = try #require(
            ControlledRounding.round(fitted.flatMap { $0 }, rows: [60, 40], columns: [50, 30, 20]))
        #expect(rounded == [32, 18, 10, 18, 12, 10])
    }

    @Test("Test 8: random two-group targets are met exactly, cells within 1 of fitted")
    func randomTables() throws {
        var stream = RandomStream(seed: 8)
        for trial in 0..<40 {
            let rows = 1 + Int(stream.nextInt(below: 12))
            let columns = 1 + Int(stream.nextInt(below: 8))
            let total = Int(stream.nextInt(below: 10_001))
            let rowCounts = try Integerisation.largestRemainder(
                (0..<rows).map { _ in stream.nextDouble() + 0.01 }, total: total)
            let columnCounts = try Integerisation.largestRemainder(
                (0..<columns).map { _ in stream.nextDouble() + 0.01 }, total: total)
            let seed = (0..<rows).map { _ in (0..<columns).map { _ in stream.nextDouble() + 0.05 } }
            let fitted = try ProportionalFitting.fit(
                seed: seed, rows: rowCounts.map(Double.init), columns: columnCounts.map(Double.init),
                tolerance: 1e-9 * Double(max(total, 1)))
            let flat = fitted.flatMap { $0 }
            let rounded = try #require(
                ControlledRounding.round(flat, rows: rowCounts, columns: columnCounts), "trial \(trial)")
            for r in 0..<rows {
                #expect((0..<columns).reduce(0) { $0 + rounded[r * columns + $1] } == rowCounts[r])
            }
            for c in 0..<columns {
                #expect((0..<rows).reduce(0) { $0 + rounded[$1 * columns + c] } == columnCounts[c])
            }
            for (value, fit) in zip(rounded, flat) { #expect(abs(Double(value) - fit) < 1 + 1e-9) }
        }
    }
}

@Suite("Quota plans")
struct QuotaPlanTests {
    static func test9Plan(method: IntegerisationMethod, seed: UInt64) throws -> QuotaPlan {
        let dims = [
            QuotaDimension(attribute: 0, name: "age", categories: ["a0", "a1", "a2"], binned: false),
            QuotaDimension(attribute: 1, name: "sex", categories: ["f", "m"], binned: false),
            QuotaDimension(attribute: 2, name: "edu", categories: ["e0", "e1", "e2"], binned: false),
        ]
        let joint: [[Double]] = [[0.12, 0.11], [0.20, 0.19], [0.19, 0.19]]
        var rows: [(cell: Int, value: Double)] = []
        for a in 0..<3 { for s in 0..<2 { rows.append((a * 2 + s, joint[a][s])) } }
        let targets = [
            QuotaTarget(id: "age_sex", dimensions: [0, 1], kind: .proportions, rows: rows),
            QuotaTarget(id: "edu", dimensions: [2], kind: .proportions, rows: [(0, 0.45), (1, 0.40), (2, 0.15)]),
        ]
        return try QuotaPlan.build(
            dimensions: dims, targets: targets, seed: nil, population: 1000, randomSeed: seed, method: method
        ) { categories in categories[0] == 0 && categories[2] == 2 }
    }

    @Test(
        "Test 9: age × sex joint plus education with a structural zero is exact",
        arguments: [IntegerisationMethod.qisi, .auto])
    func generalJoint(method: IntegerisationMethod) throws {
        let plan = try Self.test9Plan(method: method, seed: 11)
        #expect(plan.method == (method == .qisi ? "qisi" : "flow"))
        for t in plan.targets.indices {
            var realised = [Int](repeating: 0, count: plan.targetCounts[t].count)
            for cell in 0..<plan.cellCount { realised[plan.marginCell(target: t, cell: cell)] += plan.cellCounts[cell] }
            #expect(realised == plan.targetCounts[t])
        }
        for cell in 0..<plan.cellCount where plan.structuralZero[cell] { #expect(plan.cellCounts[cell] == 0) }
        #expect(plan.structuralZero.filter { $0 }.count == 2)
        let again = try Self.test9Plan(method: method, seed: 11)
        #expect(again.cellCounts == plan.cellCounts)
        #expect(plan.slotCells(seed: 11) == again.slotCells(seed: 11))
        #expect(plan.slotCells(seed: 11).count == 1000)
    }

    @Test("qisi is exact across many seeds")
    func qisiSeeds() throws {
        for seed in UInt64(0)..<20 {
            let plan = try Self.test9Plan(method: .qisi, seed: seed)
            #expect(plan.method == "qisi")
            #expect(plan.cellCounts.reduce(0, +) == 1000)
        }
    }
}
