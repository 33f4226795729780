import AgoraTesting
import Foundation
import Storage
import Synchronization
import Testing

@testable import Inference

/// A fleet member on a stub: `maxInFlight` requests at once, one attempt each (the fleet retries).
private func member(_ stub: StubServer, maxInFlight: Int = 4) -> OpenAICompatibleModel {
    OpenAICompatibleModel(
        endpoint: Endpoint(
            baseURL: stub.baseURL, model: "stub-model", requestTimeout: 10, limits: .init(maxInFlight: maxInFlight),
            retry: RetryPolicy(maxAttempts: 1)))
}

private func request(_ i: Int) -> ChatRequest {
    ChatRequest(messages: [.system("You answer briefly."), .user("Question number \(i)?")], maxTokens: 16)
}

@Suite("Model fleets: least outstanding, per-endpoint limits, circuit breaker", .serialized, .timeLimit(.minutes(2)))
struct FleetTests {
    @Test(
        "three endpoints, one failing half its requests and one slow: every answer, the failing one out and back, ≥ 0.9 of the healthy capacity"
    )
    func flakyAndSlowFleet() async throws {
        let latency = 0.2
        let slow = 0.8
        let healthy = try StubServer(configuration: .init(latency: latency, recording: .none))
        let slowStub = try StubServer(configuration: .init(latency: slow, recording: .none))
        var flakyConfiguration = StubServer.Configuration(latency: latency, recording: .none)
        flakyConfiguration.intermittentFailure = 0.5
        let flaky = try StubServer(configuration: flakyConfiguration)
        defer {
            healthy.stop()
            slowStub.stop()
            flaky.stop()
        }
        let perEndpoint = 8
        let fleet = FleetModel(
            members: [
                member(healthy, maxInFlight: perEndpoint), member(slowStub, maxInFlight: perEndpoint),
                member(flaky, maxInFlight: perEndpoint),
            ],
            policy: .init(failureThreshold: 3, openFor: 0.3, maxOpenFor: 1.2))
        let count = 400
        let answers = Mutex([String?](repeating: nil, count: count))
        let clock = ContinuousClock()
        let start = clock.now
        // As many requests in flight as the fleet has slots: the healthy endpoints never wait for work.
        try await TaskWindow.run(count: count, width: 3 * perEndpoint) { i in
            let response = try await fleet.complete(request(i))
            answers.withLock { $0[i] = response.content }
        } receive: { _, _ in
        }
        let seconds =
            Double((clock.now - start).components.seconds)
            + Double((clock.now - start).components.attoseconds) * 1e-18

        // Every request answered, each with the stub's answer to that request.
        let got = answers.withLock { $0 }
        #expect(got.allSatisfy { $0?.hasPrefix("stub reply ") == true })
        #expect(Set(got.compactMap { $0 }).count == count)

        // The failing endpoint was taken out, probed (half-open) and closed again; the others never.
        let transitions = fleet.transitions
        #expect(transitions.contains(.init(member: 2, from: .closed, to: .open)), "\(transitions)")
        #expect(transitions.contains(.init(member: 2, from: .open, to: .halfOpen)), "\(transitions)")
        #expect(transitions.contains(.init(member: 2, from: .halfOpen, to: .closed)), "\(transitions)")
        #expect(transitions.allSatisfy { $0.member == 2 }, "\(transitions)")
        #expect(fleet.failed[0] == 0 && fleet.failed[1] == 0)
        #expect(fleet.served.reduce(0, +) == count)
        #expect(fleet.served[2] > 0)

        // The two healthy endpoints can answer perEndpoint/latency + perEndpoint/slow requests a second.
        let capacity = Double(perEndpoint) / latency + Double(perEndpoint) / slow
        let throughput = Double(count) / seconds
        print(
            "fleet: \(count) requests in \(String(format: "%.2f", seconds)) s = \(String(format: "%.1f", throughput))/s; healthy capacity \(capacity)/s; served \(fleet.served), failed \(fleet.failed), \(transitions.count) breaker changes"
        )
        #expect(throughput >= 0.9 * capacity, "\(throughput)/s against a healthy capacity of \(capacity)/s")
    }

    @Test("the response-cache key does not depend on which endpoint answered")
    func cacheKeyIgnoresTheEndpoint() async throws {
        let a = try StubServer()
        let b = try StubServer()
        let down = try StubServer()
        down.stop()  // refuses connections: the fleet moves the request on
        defer {
            a.stop()
            b.stop()
        }
        let question = request(7)
        var keys: [String] = []
        var answeredBy: [[Int]] = []
        for members in [[a, b], [b, a], [down, b]] {
            let fleet = FleetModel(members: members.map { member($0) })
            let cached = CachedModel(base: fleet, cache: try ResponseCache(.memory), mode: .readWrite)
            let response = try await cached.complete(question)
            keys.append(try #require(response.cacheKey))
            answeredBy.append(fleet.served)
        }
        #expect(answeredBy == [[1, 0], [1, 0], [0, 1]])
        #expect(Set(keys).count == 1)
        #expect(keys[0] == ResponseCache.key(for: question, model: "fleet#stub-model"))
        #expect(a.requestCount == 1 && b.requestCount == 2)
    }

    @Test("when every endpoint is out, a request waits for the earliest half-open probe instead of failing")
    func waitsForHalfOpen() async throws {
        let stub = try StubServer(configuration: .init(faults: [.status503, .status503, .status503]))
        defer { stub.stop() }
        let fleet = FleetModel(members: [member(stub)], policy: .init(failureThreshold: 3, openFor: 0.2, attempts: 6))
        let response = try await fleet.complete(request(1))
        #expect(response.content.hasPrefix("stub reply "))
        #expect(
            fleet.transitions == [
                .init(member: 0, from: .closed, to: .open), .init(member: 0, from: .open, to: .halfOpen),
                .init(member: 0, from: .halfOpen, to: .closed),
            ])
        #expect(stub.requestCount == 4)
        #expect(fleet.breakerStates == [.closed])
    }

    @Test("a request cancelled while waiting for a slot ends at once as cancelled and leaks no slot")
    func cancelWhileWaiting() async throws {
        let stub = try StubServer(configuration: .init(latency: 0.5))
        defer { stub.stop() }
        let fleet = FleetModel(members: [member(stub, maxInFlight: 1)])
        let first = Task { try await fleet.complete(request(1)) }
        while stub.inFlight == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let second = Task { try await fleet.complete(request(2)) }
        try await Task.sleep(for: .milliseconds(50))
        second.cancel()
        do {
            _ = try await second.value
            Issue.record("the cancelled request was answered")
        } catch let error as InferenceError {
            #expect(error.code == .cancelled)
        }
        #expect(try await first.value.content.hasPrefix("stub reply "))
        #expect(try await fleet.complete(request(3)).content.hasPrefix("stub reply "))
        #expect(stub.requestCount == 2)
        #expect(fleet.transitions.isEmpty)
    }

    @Test("a fleet that stays out past maxWait fails with unreachable (exit 3), not a hang")
    func boundedWait() async throws {
        let down = try StubServer()
        down.stop()
        let fleet = FleetModel(
            members: [member(down)], policy: .init(failureThreshold: 1, openFor: 5, attempts: 3, maxWait: 0.5))
        await #expect(throws: InferenceError.self) { try await fleet.complete(request(1)) }
        do {
            _ = try await fleet.complete(request(2))
        } catch let error as InferenceError {
            #expect(error.code == .unreachable)
            #expect(error.isEndpointUnusable)
        }
    }

    @Test("--model URL,URL and @FILE parse into a fleet; the endpoints file's errors name the file and line")
    func specsAndEndpointsFiles() throws {
        let spec = try ModelSpec.parse("http://a:8000/v1, http://b:8000/v1", modelName: "llama")
        guard case .fleet(let members, let model) = spec else {
            Issue.record("not a fleet: \(spec)")
            return
        }
        #expect(members.map(\.url.absoluteString) == ["http://a:8000/v1", "http://b:8000/v1"])
        #expect(model == "llama")
        #expect(spec.identifier() == "fleet#llama")

        let parsed = try FleetMember.parseFile(
            "# replicas\nhttp://gpu1:8000/v1\n\nhttp://gpu2:8000/v1 concurrency=32\n", at: "endpoints.txt")
        #expect(
            parsed == [
                FleetMember(url: URL(string: "http://gpu1:8000/v1")!),
                FleetMember(url: URL(string: "http://gpu2:8000/v1")!, maxInFlight: 32),
            ])

        let cases: [(String, String)] = [
            ("http://a/v1\n\ngpu2:8000/v1\n", "endpoints.txt line 3: \"gpu2:8000/v1\" is not an http(s)://…/v1 URL"),
            ("http://a/v1 concurrency=0\n", "endpoints.txt line 1: unknown setting \"concurrency=0\""),
            ("http://a/v1\nhttp://a/v1\n", "endpoints.txt line 2: http://a/v1 is listed twice"),
            ("# nothing\n", "endpoints.txt: no endpoints"),
        ]
        for (text, expected) in cases {
            do {
                _ = try FleetMember.parseFile(text, at: "endpoints.txt")
                Issue.record("accepted \(text.debugDescription)")
            } catch {
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.hasPrefix(expected), "\(error.message)")
            }
        }
        #expect(throws: InferenceError.self) { try ModelSpec.parse("http://a/v1,openai:gpt-4o") }
        #expect(throws: InferenceError.self) { try ModelSpec.parse("@/no/such/endpoints.txt") }
    }

    @Test("a fleet connects each endpoint with its own probe and limit; the manifest lists the URLs without keys")
    func connectRecordsTheFleet() async throws {
        let a = try StubServer(configuration: .init(imitation: .vLLM))
        let b = try StubServer(configuration: .init(imitation: .llamaServer))
        defer {
            a.stop()
            b.stop()
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("endpoints-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try "\(a.baseURL.absoluteString)\n\(b.baseURL.absoluteString) concurrency=3\n".write(
            to: file, atomically: true, encoding: .utf8)
        let connected = try await ConnectedModel.connect(
            try ModelSpec.parse("@\(file.path)", modelName: "stub-model"), concurrency: 5,
            environment: ["AGORA_API_KEY": "sk-fleet-secret-123456"])
        let fleet = try #require(connected.fleet)
        #expect(fleet.members.map(\.endpoint.limits.maxInFlight) == [5, 3])
        #expect(fleet.members.map(\.endpoint.dialect) == [.vLLM, .llamaCpp])
        #expect(connected.maxInFlight == 8)
        let json = try #require(connected.profileJSON)
        #expect(json["model"] == "fleet#stub-model")
        #expect(
            json["fleet"]?.arrayValue?.compactMap { $0["endpoint"]?.stringValue }
                == [a.baseURL.absoluteString, b.baseURL.absoluteString])
        #expect(json["fleet"]?.arrayValue?.compactMap { $0["server"]?.stringValue } == ["vllm", "llama-server"])
        #expect(!json.serialized().contains("sk-fleet-secret"))
    }
}
