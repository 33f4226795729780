import Fidelity
import Foundation
import Storage

/// The fidelity metrics at scale (10,000 respondents × 20 questions, 1,000 bootstrap resamples)
/// and `agora fidelity baseline` on the shipped ANES package.
enum FidelityBench: BenchSuite {
    static let name = "fidelity"
    static let anesPath = "Scenarios/benchmarks/anes1996"

    /// A synthetic paired table: K cycling 2…7, ordinal except every fourth question, two attributes
    /// with 4 and 6 groups, simulated answers equal to the human one 40% of the time.
    static func table(respondents n: Int, questions q: Int) -> FidelityTable {
        var stream = RandomStream(seed: 2024)
        let ks = (0..<q).map { 2 + $0 % 6 }
        var human = [Int32](repeating: -1, count: n * q)
        var simulated = human
        var groups = [Int32](repeating: -1, count: n * 2)
        var weights = [Double](repeating: 1, count: n)
        for r in 0..<n {
            let g0 = Int(stream.nextInt(below: 4))
            let g1 = Int(stream.nextInt(below: 6))
            groups[r * 2] = Int32(1 + g0)
            groups[r * 2 + 1] = Int32(5 + g1)
            weights[r] = 0.5 + stream.nextDouble()
            for j in 0..<q {
                let k = UInt64(ks[j])
                if stream.nextInt(below: 50) == 0 { continue }  // 2% missing
                let h = Int32((UInt64(g0 + g1) + stream.nextInt(below: k)) % k)
                human[r * q + j] = h
                simulated[r * q + j] = stream.nextInt(below: 10) < 4 ? h : Int32(stream.nextInt(below: k))
            }
        }
        return FidelityTable(
            optionCounts: ks, ordinal: (0..<q).map { $0 % 4 != 3 }, human: human, simulated: .answers(simulated),
            weights: weights, groups: groups, attributeCount: 2, cellCount: 11)
    }

    /// Writes `table` as a reference package (codes = positions, weights, two attributes) and
    /// returns its simulated answers.
    static func writePackage(_ table: FidelityTable, to folder: URL) throws -> [Int32] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let q = table.questionCount
        var questions: [JSONValue] = []
        for j in 0..<q {
            questions.append([
                "column": .string("q\(j)"), "id": .string("q\(j)"), "text": .string("Question \(j)?"),
                "scale": table.ordinal[j] ? "ordinal" : "nominal",
                "options": .array(
                    (0..<table.optionCounts[j]).map { ["code": .string(String($0)), "label": .string("option \($0)")] }),
            ])
        }
        let survey: JSONValue = [
            "version": 1, "id": "bench", "data": "respondents.csv", "idColumn": "id", "weightColumn": "w",
            "attributes": [["column": "a", "name": "a"], ["column": "b", "name": "b"]],
            "questions": .array(questions),
        ]
        try survey.serialized(pretty: true).write(
            to: folder.appendingPathComponent("survey.json"), atomically: true, encoding: .utf8)
        var lines = ["id,w,a,b," + (0..<q).map { "q\($0)" }.joined(separator: ",")]
        for r in 0..<table.respondentCount {
            var cells = [
                "r\(r)", String(table.weights[r]), String(table.groups[r * 2]), String(table.groups[r * 2 + 1]),
            ]
            for j in 0..<q {
                let h = table.human[r * q + j]
                cells.append(h >= 0 ? String(h) : "")
            }
            lines.append(cells.joined(separator: ","))
        }
        try (lines.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("respondents.csv"), atomically: true, encoding: .utf8)
        guard case .answers(let simulated) = table.simulated else { return [] }
        return simulated
    }

    /// CPU seconds (user + system) this process has used so far: on a machine shared with other
    /// builds, wall time measures the load, CPU time the work.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
            getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func run(quick: Bool) async throws -> [BenchFigure] {
        var figures: [BenchFigure] = []
        let clock = ContinuousClock()
        let n = quick ? 2_000 : 10_000
        let resamples = 1_000
        let table = table(respondents: n, questions: 20)

        // 1. The simulation's figures (every question × every group cell) with 1,000 resamples.
        var start = clock.now
        var cpu = cpuSeconds()
        let estimates = await FidelityBootstrap.estimate(table, resamples: resamples, seed: 1, workers: 2)
        let bootstrap = BenchClock.seconds(clock.now - start)
        figures.append(
            BenchFigure(
                name: "\(n)×20 figures + 11 cells, \(resamples) resamples", value: bootstrap, unit: "s"))
        figures.append(BenchFigure(name: "  the same, CPU time (both cores)", value: cpuSeconds() - cpu, unit: "s"))
        precondition(estimates.point.count == estimates.layout.count)

        // 2. Pattern correspondence (190 question pairs, 200 resamples).
        start = clock.now
        cpu = cpuSeconds()
        _ = await PatternCorrespondence.compute(table, resamples: 200, seed: 1)
        let pattern = BenchClock.seconds(clock.now - start)
        figures.append(BenchFigure(name: "pattern correspondence, 190 pairs, 200 resamples", value: pattern, unit: "s"))
        figures.append(BenchFigure(name: "  the same, CPU time (both cores)", value: cpuSeconds() - cpu, unit: "s"))

        // 3. Everything results.json reports, through the library path a run uses: the package read
        //    and validated, the simulation's figures, pattern correspondence, the four reference
        //    points (three with 1,000 resamples, split-half over 20 splits) and the subgroups.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-bench-fidelity-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let simulated = try writePackage(table, to: folder)
        start = clock.now
        cpu = cpuSeconds()
        let survey = try ReferenceSurvey.load(folder.path)
        let subject = FidelitySubject(survey: survey)
        let fidelity = await FidelityScoring.score(
            subject, simulated: simulated, failed: [Int](repeating: 0, count: 20),
            settings: FidelitySettings(resamples: resamples, seed: 1), sampling: ["mode": "bench"])
        let total = BenchClock.seconds(clock.now - start)
        precondition(fidelity["referencePoints"]?["splitHalf"] != nil)
        figures.append(
            BenchFigure(
                name: "all metrics + reference points (\(n)×20, \(resamples) resamples)", value: total, unit: "s",
                target: quick ? nil : "≤ 5 s", met: quick ? nil : total <= 5))
        let totalCPU = cpuSeconds() - cpu
        figures.append(BenchFigure(name: "  the same, CPU time (both cores)", value: totalCPU, unit: "s"))
        figures.append(
            BenchFigure(
                name: "  the same, wall on an idle 2-core machine (CPU / 2)", value: totalCPU / 2, unit: "s",
                target: quick ? nil : "≤ 5 s", met: quick ? nil : totalCPU / 2 <= 5))

        // 4. `agora fidelity baseline` on ANES 1996 (944 × 6, 1,000 resamples).
        start = clock.now
        cpu = cpuSeconds()
        _ = try await FidelityBaseline.run(package: anesPath)
        let baseline = BenchClock.seconds(clock.now - start)
        figures.append(
            BenchFigure(
                name: "fidelity baseline on ANES 1996 (944×6, 1,000 resamples)", value: baseline, unit: "s",
                target: "≤ 1 s", met: baseline <= 1))
        figures.append(BenchFigure(name: "  the same, CPU time (both cores)", value: cpuSeconds() - cpu, unit: "s"))
        return figures
    }
}
