import Foundation
import Storage

/// One measured figure of `agora bench`.
struct BenchFigure: Sendable {
    /// What was measured, e.g. `client overhead p50`.
    var name: String
    /// The value.
    var value: Double
    /// Its unit, e.g. `µs`, `s`, `calls/s`, `ratio`.
    var unit: String
    /// The target it is held to, in words (e.g. `≥ 0.90`), if any.
    var target: String? = nil
    /// Whether the target was met, if there is one.
    var met: Bool? = nil
}

/// A group of benchmarks that one module owns. Add a type to `BenchTable.suites` to run it.
protocol BenchSuite {
    /// A short name (`inference`, `memory`, `population`), used by `--only`.
    static var name: String { get }
    /// Runs the suite; `quick` keeps it to a few seconds.
    static func run(quick: Bool) async throws -> [BenchFigure]
    /// Whether the suite runs only when `--only` names it (it starts real servers).
    static var onlyWhenAsked: Bool { get }
}

extension BenchSuite {
    /// Part of every `agora bench`.
    static var onlyWhenAsked: Bool { false }
}

/// Every suite `agora bench` runs, in order.
enum BenchTable {
    static var suites: [any BenchSuite.Type] {
        [
            InferenceBench.self,
            MemoryBench.self,
            PopulationBench.self,
            AgentsBench.self,
            RunBench.self,
            ContextBench.self,
            ExperimentBench.self,
            FidelityBench.self,
            EvaluationBench.self,
            LocalModelsBench.self,
            ScaleBench.self,
        ]
    }
}

/// Timing helpers for benchmarks.
enum BenchClock {
    /// Seconds since an arbitrary start.
    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }

    /// The q-quantile (0…1) of `samples`, by the nearest-rank method.
    static func quantile(_ samples: [Double], _ q: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank - 1, 0), sorted.count - 1)]
    }

    /// Peak resident memory of this process so far, in bytes (Linux: VmHWM), or nil.
    static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            if let kb = digits.first { return kb * 1024 }
        }
        return nil
    }
}

/// `agora bench`: the benchmark suite whose figures go in docs/BENCHMARKS.md.
enum BenchCommand: AgoraCommand {
    static let spec = CommandSpec(
        path: ["bench"],
        summary: "Run the benchmark suite (build with -c release for real figures).",
        options: [
            .flag("--quick", "A short run (seconds per suite)."),
            .flag("--json", "Print the figures as JSON."),
            .option("--only", "SUITE", "Run one suite: \(BenchTable.suites.map { $0.name }.joined(separator: ", "))."),
        ])

    static func run(_ arguments: ParsedArguments) async throws -> Int32 {
        let quick = arguments.flag("--quick")
        let only = try arguments.choice("--only", BenchTable.suites.map { $0.name })
        #if DEBUG
            Console.err("agora bench: this is a debug build; build with `swift build -c release` for real figures")
        #endif
        var results: [(suite: String, figures: [BenchFigure])] = []
        for suite in BenchTable.suites where only.map({ suite.name == $0 }) ?? !suite.onlyWhenAsked {
            Console.err("agora bench: running \(suite.name)…")
            results.append((suite.name, try await suite.run(quick: quick)))
        }
        if arguments.flag("--json") {
            var suites = JSONObject()
            for (suite, figures) in results {
                suites[suite] = .array(
                    figures.map { f in
                        var o = JSONObject([
                            ("name", .string(f.name)), ("value", .number(f.value)), ("unit", .string(f.unit)),
                        ])
                        if let target = f.target { o["target"] = .string(target) }
                        if let met = f.met { o["met"] = .bool(met) }
                        return .object(o)
                    })
            }
            var root = JSONObject([("quick", .bool(quick))])
            #if DEBUG
                root["build"] = "debug"
            #else
                root["build"] = "release"
            #endif
            root["suites"] = .object(suites)
            Console.out(JSONValue.object(root).serialized(pretty: true))
        } else {
            for (suite, figures) in results {
                Console.out("[\(suite)]")
                for f in figures {
                    let value = f.value >= 100 ? String(format: "%.0f", f.value) : String(format: "%.3f", f.value)
                    // Names longer than the column are kept whole: cutting them hid which figure it was.
                    let name = f.name.count < 52 ? f.name.padding(toLength: 52, withPad: " ", startingAt: 0) : f.name
                    var line = "  " + name + " " + value + " " + f.unit
                    if let target = f.target { line += "   (target \(target): \(f.met == true ? "met" : "NOT met"))" }
                    Console.out(line)
                }
            }
        }
        return ExitCode.success
    }
}
