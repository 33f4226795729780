import Fidelity
import Foundation
import Storage
import Testing

@Suite("The no-model reference points (spec §F.3)")
struct ReferencePointsTests {
    /// Eight respondents; `pet` is fully determined by the age group (≤ 35 cat, older dog).
    static func subject(csv: String? = nil) throws -> FidelitySubject {
        let rows =
            csv ?? """
                id,age,w,q1,q2
                r1,20,1,1,c
                r2,22,1,2,c
                r3,25,1,3,c
                r4,30,1,2,c
                r5,60,1,3,d
                r6,70,1,1,d
                r7,65,1,1,d
                r8,80,1,2,d

                """
        let package = try TinyPackage(csv: rows)
        return FidelitySubject(survey: try ReferenceSurvey.load(package.folder.path))
    }

    @Test("ties in the majority go to the first option in scale order")
    func majorityTies() throws {
        let subject = try Self.subject()
        // mood: bad 3, fine 3, good 2 (tie → bad); pet: cat 4, dog 4 (tie → cat).
        #expect(ReferencePoints.majorityModes(subject) == [0, 0])
    }

    @Test("the majority point: accuracy is the humans' share of the mode, S one-hot")
    func majorityFigures() async throws {
        let subject = try Self.subject()
        let references = await ReferencePoints.all(subject, settings: FidelitySettings(resamples: 0))
        let majority = try #require(references.first { $0.name == "majority" }?.estimates)
        #expect(majority.estimate(question: 0, .accuracy).value == 3.0 / 8)
        #expect(majority.estimate(question: 1, .accuracy).value == 0.5)
        // pet H = (½, ½) is uniform: SimBench null; mood TVD = ½(5/8 + 3/8 + 2/8) = 5/8.
        #expect(majority.estimate(question: 1, .simbench).value == nil)
        #expect(majority.estimate(question: 0, .tvd).value == 0.625)
        #expect(majority.simulatedShares[0][0] == [1, 0, 0])
    }

    @Test("the demographic baseline predicts an answer that the attributes determine, 2-fold")
    func demographic() async throws {
        // 40 respondents aged 20…59; pet is cat below 40 (the median), else dog.
        let rows = (0..<40).map { i in "r\(i),\(20 + i),1,\(i % 3 + 1),\(i < 20 ? "c" : "d")" }
        let subject = try Self.subject(csv: "id,age,w,q1,q2\n" + rows.joined(separator: "\n") + "\n")
        let answers = ReferencePoints.demographicAnswers(subject, seed: 5)
        // Every respondent's pet is predicted from its age quartile, learned on the other half.
        let pets = stride(from: 1, to: answers.count, by: 2).map { answers[$0] }
        #expect(pets == (0..<40).map { $0 < 20 ? 0 : 1 })
        #expect(answers == ReferencePoints.demographicAnswers(subject, seed: 5))
        let references = await ReferencePoints.all(subject, settings: FidelitySettings(resamples: 0))
        let demographic = try #require(references.first { $0.name == "demographic" }?.estimates)
        #expect(demographic.estimate(question: 1, .accuracy).value == 1)
        #expect(demographic.estimate(question: 1, .accuracy).n == 40)
    }

    @Test("split-half: identical halves score perfectly; results are the same on every call")
    func splitHalf() throws {
        // Pairs of identical respondents: any split gives different halves in general, so check
        // determinism and the range instead of a fixed value.
        let subject = try Self.subject()
        let a = ReferencePoints.splitHalf(subject, settings: FidelitySettings(seed: 3))
        let b = ReferencePoints.splitHalf(subject, settings: FidelitySettings(seed: 3))
        #expect(a.point.map(\.bitPattern) == b.point.map(\.bitPattern))
        #expect(a.low.map(\.bitPattern) == b.low.map(\.bitPattern))
        let rep = try #require(a.estimate(.representativeness).value)
        #expect(rep > 0 && rep <= 1)
        #expect(a.estimate(.accuracy).value == nil)
        #expect(a.estimate(.representativeness).n == 4)
        // All respondents identical: every split is a perfect match.
        let same = try Self.subject(
            csv: "id,age,w,q1,q2\n" + (1...6).map { "r\($0),30,1,2,c" }.joined(separator: "\n") + "\n")
        let perfect = ReferencePoints.splitHalf(same, settings: FidelitySettings(seed: 3))
        #expect(perfect.estimate(.representativeness).value == 1)
    }

    @Test("pattern correspondence: identical answers give difference 0 and correlation 1")
    func pattern() async throws {
        // q2 copies q1 (V = 1); q3 is loosely tied to both (V = 1/3): the list of V has spread.
        let human: [Int32] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1]
        let table = FidelityTable(
            optionCounts: [2, 2, 2], ordinal: [false, false, false], human: human, simulated: .answers(human),
            weights: [Double](repeating: 1, count: 6))
        let p = await PatternCorrespondence.compute(table, resamples: 50, seed: 1)
        #expect(p.pairs.count == 3)
        #expect(p.meanAbsoluteDifference.value == 0)
        let r = try #require(p.correlation.value)
        #expect(abs(r - 1) < 1e-12)
    }
}
