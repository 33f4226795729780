import AgoraTesting
import Foundation
import Inference
import Storage

/// Client overhead and concurrency efficiency of the OpenAI-compatible client against the stub.
enum InferenceBench: BenchSuite {
    static let name = "inference"

    static func run(quick: Bool) async throws -> [BenchFigure] {
        var figures: [BenchFigure] = []

        // 1. Overhead per call at 0 ms server latency, one call at a time.
        let fast = try StubServer(configuration: .init(recording: .none, responder: { _ in .text("ok") }))
        defer { fast.stop() }
        let client = OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: fast.baseURL, model: "stub-model",
                limits: .init(maxInFlight: 1)))
        let request = ChatRequest(
            messages: [.system("You are a respondent."), .user("How are you today?")], maxTokens: 16)
        let clock = ContinuousClock()
        for _ in 0..<50 { _ = try await client.complete(request) }  // warm the connection
        var samples: [Double] = []
        let calls = quick ? 500 : 3_000
        for _ in 0..<calls {
            let start = clock.now
            _ = try await client.complete(request)
            samples.append(BenchClock.seconds(clock.now - start) * 1e6)
        }
        figures.append(
            BenchFigure(
                name: "client overhead per call, 0 ms stub, p50", value: BenchClock.quantile(samples, 0.5), unit: "µs"))
        figures.append(
            BenchFigure(
                name: "client overhead per call, 0 ms stub, p99", value: BenchClock.quantile(samples, 0.99), unit: "µs")
        )

        // Cache key of a ~1 KB request (canonical JSON + SHA-256), computed once per call.
        let persona = String(repeating: "A nurse from Ohio who likes gardening and long walks. ", count: 12)
        let keyed = ChatRequest(
            messages: [.system(persona), .user("How interested are you in the SunBoil kettle?")], temperature: 0.7,
            maxTokens: 48)
        var keySamples: [Double] = []
        for _ in 0..<(quick ? 500 : 3_000) {
            let start = clock.now
            _ = ResponseCache.key(for: keyed, model: "local/gemma-3-270m-q4_k_m")
            keySamples.append(BenchClock.seconds(clock.now - start) * 1e6)
        }
        figures.append(
            BenchFigure(
                name: "cache key of a 1 KB request, p50", value: BenchClock.quantile(keySamples, 0.5), unit: "µs"))

        // 2. Efficiency at 50 ms latency, concurrency 64: achieved calls/s ÷ (64 / 0.05 s).
        let latency = 0.05
        let width = 64
        let total = quick ? 640 : 2_000
        let slow = try StubServer(
            configuration: .init(latency: latency, recording: .none, responder: { _ in .text("ok") }))
        defer { slow.stop() }
        let wide = OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: slow.baseURL, model: "stub-model",
                limits: .init(maxInFlight: width)))
        // Warm up the connections so the figure measures steady state.
        try await runWindow(wide, count: width, width: width)
        let start = clock.now
        try await runWindow(wide, count: total, width: width)
        let seconds = BenchClock.seconds(clock.now - start)
        let ideal = Double(width) / latency
        let efficiency = Double(total) / seconds / ideal
        figures.append(
            BenchFigure(
                name: "calls/s at 50 ms, concurrency 64, \(total) calls", value: Double(total) / seconds,
                unit: "calls/s"))
        figures.append(
            BenchFigure(
                name: "efficiency vs 64 / 0.05 s", value: efficiency, unit: "ratio", target: "≥ 0.90",
                met: efficiency >= 0.90))
        figures.append(
            BenchFigure(name: "peak requests in flight at the stub", value: Double(slow.peakInFlight), unit: "requests")
        )
        figures.append(
            BenchFigure(
                name: "TCP connections opened (warm-up included)", value: Double(slow.connectionCount),
                unit: "connections"))
        return figures
    }

    /// Runs `count` calls with at most `width` in flight: Storage's sliding window.
    static func runWindow(_ model: OpenAICompatibleModel, count: Int, width: Int) async throws {
        try await TaskWindow.run(count: count, width: width) { i in
            _ = try await model.complete(ChatRequest(messages: [.user("call \(i)")], maxTokens: 8))
        } receive: { _, _ in
        }
    }
}
