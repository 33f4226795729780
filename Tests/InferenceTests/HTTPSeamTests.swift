import AgoraTesting
import Foundation
import Storage
import Testing

@testable import Inference

/// Which stack carries which URL: a pure decision.
@Suite struct HTTPRoutingTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080/v1", Endpoint.Transport.automatic, HTTPTransport.Route.socketClient),
        ("http://127.3.4.5/v1", .automatic, .socketClient),
        ("http://localhost:11434/v1", .automatic, .socketClient),
        ("http://LOCALHOST./v1", .automatic, .socketClient),
        ("http://[::1]:8080/v1", .automatic, .urlSession),
        ("http://10.0.0.7:8000/v1", .automatic, .urlSession),
        ("http://gpu-box.lan:8000/v1", .automatic, .urlSession),
        ("http://127.0.0.1.example.com/v1", .automatic, .urlSession),
        ("http://localhost.example.com/hook", .automatic, .urlSession),
        ("https://127.0.0.1:8443/v1", .automatic, .urlSession),
        ("https://api.openai.com/v1", .automatic, .urlSession),
        ("http://127.0.0.1:8080/v1", .urlSession, .urlSession),
    ])
    func onlyPlainHTTPToAnIPv4LoopbackHostTakesTheSocketClient(
        url: String, transport: Endpoint.Transport, expected: HTTPTransport.Route
    ) throws {
        let parsed = try #require(URL(string: url))
        #expect(HTTPTransport.route(for: parsed, transport: transport) == expected)
    }

    @Test(arguments: [
        ("localhost", true), ("127.0.0.1", true), ("127.255.0.9", true), ("::1", true), ("[::1]", true),
        ("128.0.0.1", false), ("127.0.0", false), ("127.0.0.256", false), ("127.0.0.1.nip.io", false),
        ("0x7f.0.0.1", false), ("example.com", false), ("::2", false), ("", false),
    ])
    func loopbackHostsAreRecognisedWithoutResolvingNames(host: String, loopback: Bool) {
        #expect(HTTPTransport.isLoopback(host: host) == loopback)
    }
}

/// Posting JSON through the seam: retries, errors, the limiter and cancellation.
@Suite(.timeLimit(.minutes(1)))
struct JSONHTTPClientTests {
    static let body = Data(#"{"messages": [{"role": "user", "content": "ping"}]}"#.utf8)
    static let fast = RetryPolicy(maxAttempts: 4, baseDelay: 0.01, maxDelay: 0.05)

    static func url(_ server: StubServer) -> URL { server.baseURL.appendingPathComponent("chat/completions") }

    @Test(arguments: [Endpoint.Transport.automatic, .urlSession])
    func a429IsRetriedAfterRetryAfterThenSucceeds(transport: Endpoint.Transport) async throws {
        let server = try StubServer(configuration: .init(faults: [.status429(retryAfter: "1")]))
        defer { server.stop() }
        let client = JSONHTTPClient(retry: Self.fast, transport: transport)
        let clock = ContinuousClock()
        let start = clock.now
        let (status, body) = try await client.post(Self.url(server), json: Self.body, headers: [("X-Hook", "h1")])
        #expect(clock.now - start >= .milliseconds(950))
        #expect(status == 200)
        #expect(try JSONValue.parse(body)["object"] == "chat.completion")
        #expect(server.requestCount == 2)
        let request = try #require(server.requests.last)
        #expect(request.header("X-Hook") == "h1")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.json?["messages"]?[0]?["content"] == "ping")
    }

    @Test func aRejectedPostIsNotRetriedAndTheErrorNamesTheURL() async throws {
        let server = try StubServer(configuration: .init(faults: [.status(422, message: "field `turn` missing")]))
        defer { server.stop() }
        let url = Self.url(server)
        await #expect {
            _ = try await JSONHTTPClient(retry: Self.fast).post(url, json: Self.body)
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .httpError && error.status == 422 && error.message.contains(url.absoluteString)
                && error.message.contains("field `turn` missing") && error.endpoint == url.absoluteString
        }
        #expect(server.requestCount == 1)
    }

    @Test func theRetryBudgetEndsInRetriesExhaustedNamingTheURL() async throws {
        let server = try StubServer(configuration: .init(faults: [.status503, .status500]))
        defer { server.stop() }
        let url = Self.url(server)
        let client = JSONHTTPClient(retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxDelay: 0.02))
        await #expect {
            _ = try await client.post(url, json: Self.body)
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .retriesExhausted && error.status == 500
                && error.message.contains("gave up after 2 attempts") && error.message.contains(url.absoluteString)
        }
        #expect(server.requestCount == 2)
    }

    @Test func aDroppedConnectionAndATruncatedAnswerAreRetried() async throws {
        let server = try StubServer(configuration: .init(faults: [.dropConnection, .truncatedResponse]))
        defer { server.stop() }
        let (status, _) = try await JSONHTTPClient(retry: Self.fast).post(Self.url(server), json: Self.body)
        #expect(status == 200)
        #expect(server.requestCount == 3)
    }

    @Test func nothingListeningIsUnreachableAtOnce() async throws {
        let url = try #require(URL(string: "http://127.0.0.1:9/hook"))
        await #expect {
            _ = try await JSONHTTPClient(retry: Self.fast).post(url, json: Self.body)
        } throws: { error in
            (error as? InferenceError)?.code == .unreachable
        }
    }

    @Test func theLimiterBoundsPostsInFlight() async throws {
        let server = try StubServer(configuration: .init(latency: 0.02))
        defer { server.stop() }
        let client = JSONHTTPClient(maxConnections: 3, retry: Self.fast)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<24 {
                group.addTask { _ = try await client.post(Self.url(server), json: Self.body) }
            }
            try await group.waitForAll()
        }
        #expect(server.requestCount == 24)
        #expect(server.peakInFlight <= 3)
        #expect(client.limiter.peakInFlight == 3)
    }

    @Test(arguments: [Endpoint.Transport.automatic, .urlSession])
    func aCancelledPostEndsAtOnceClosesItsConnectionAndTheClientStillWorks(
        transport: Endpoint.Transport
    ) async throws {
        let server = try StubServer(configuration: .init(faults: [.slow(30)]))
        defer { server.stop() }
        let client = JSONHTTPClient(retry: Self.fast, transport: transport)
        let url = Self.url(server)
        let task = Task { try await client.post(url, json: Self.body) }
        try await waitUntil { server.inFlight == 1 }
        let clock = ContinuousClock()
        let start = clock.now
        task.cancel()
        let result = await task.result
        // The slow reply would take 30 s; a bound well below that (and loose enough for a loaded
        // 2-core machine, where 3-4 s were seen) shows the cancellation ended the call.
        #expect(clock.now - start < .seconds(10))
        guard case .failure(let error) = result else {
            Issue.record("a cancelled post must fail")
            return
        }
        #expect((error as? InferenceError)?.code == .cancelled)
        // The request was stopped on the wire: the server saw its client hang up mid-wait.
        try await waitUntil { server.hangUpCount == 1 }
        let (status, _) = try await client.post(url, json: Self.body)
        #expect(status == 200)
    }
}

/// The URLSession path's own failure modes (`https`, remote `http`), against the loopback stub.
@Suite(.timeLimit(.minutes(1)))
struct URLSessionPathTests {
    static func client(_ server: StubServer, attempts: Int = 1, timeout: TimeInterval = 30) -> OpenAICompatibleModel {
        OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: server.baseURL, model: "stub-model", requestTimeout: timeout,
                retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxDelay: 0.05), transport: .urlSession))
    }

    @Test func aReusedConnectionTheServerDroppedIsResentAtOnceInsteadOfWaitingForTheTimeout() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let client = Self.client(server, attempts: 1, timeout: 30)
        _ = try await client.complete(ChatRequest(messages: [.user("first")]))
        server.injectFaults([.dropConnection])
        let clock = ContinuousClock()
        let start = clock.now
        let response = try await client.complete(ChatRequest(messages: [.user("second")]))
        #expect(clock.now - start < .seconds(5))
        #expect(!response.content.isEmpty)
        #expect(server.requestCount == 3)
        #expect(server.requests.last?.json?["messages"]?[0]?["content"] == "second")
    }

    @Test func aCancelledModelCallStopsItsRequestOnTheWire() async throws {
        let server = try StubServer(configuration: .init(faults: [.slow(30)]))
        defer { server.stop() }
        let client = Self.client(server)
        let task = Task { try await client.complete(ChatRequest(messages: [.user("slow")])) }
        try await waitUntil { server.inFlight == 1 }
        task.cancel()
        guard case .failure(let error) = await task.result else {
            Issue.record("a cancelled call must fail")
            return
        }
        #expect((error as? InferenceError)?.code == .cancelled)
        try await waitUntil { server.hangUpCount == 1 }
        _ = try await client.complete(ChatRequest(messages: [.user("after")]))
    }
}

/// Polls `condition` every 10 ms for up to `seconds`; records an issue if it never holds.
func waitUntil(
    _ seconds: Double = 10, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("the condition did not hold within \(seconds) s", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
