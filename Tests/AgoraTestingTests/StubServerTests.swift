import AgoraTesting
import Foundation
import Storage
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Client helpers

/// One long-lived session for all tests: 64 connections per host (the default 6 would serialise the
/// concurrency test), never invalidated (session teardown is crash-prone on Linux).
private let session: URLSession = {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpMaximumConnectionsPerHost = 64
    configuration.timeoutIntervalForRequest = 30
    return URLSession(configuration: configuration)
}()

/// `dataTask(with:completionHandler:)` in a continuation: awaiting `data(for:)` can deadlock on
/// cancellation in swift-corelibs-foundation 6.3 (#5412), see STYLE.md.
private func fetch(_ request: URLRequest, in session: URLSession = session) async throws -> (Data, HTTPURLResponse) {
    // No `URLSessionTask.cancel()`: racing the completion it traps in TaskRegistry on 6.3.1; a
    // cancelled test resumes at once and abandons the task.
    let once = FetchOnce()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<(Data, HTTPURLResponse), any Error>) in
            once.arm(continuation)
            let task = session.dataTask(with: request) { data, response, error in
                if let error {
                    once.finish(.failure(error))
                } else if let response = response as? HTTPURLResponse {
                    once.finish(.success((data ?? Data(), response)))
                } else {
                    once.finish(.failure(URLError(.badServerResponse)))
                }
            }
            task.resume()
            if Task.isCancelled { once.finish(.failure(URLError(.cancelled))) }
        }
    } onCancel: {
        once.finish(.failure(URLError(.cancelled)))
    }
}

/// Resumes the fetch continuation exactly once.
private final class FetchOnce: Sendable {
    private let slot = Mutex<CheckedContinuation<(Data, HTTPURLResponse), any Error>?>(nil)

    func arm(_ continuation: CheckedContinuation<(Data, HTTPURLResponse), any Error>) {
        slot.withLock { $0 = continuation }
    }

    func finish(_ result: Result<(Data, HTTPURLResponse), any Error>) {
        let continuation = slot.withLock { c -> CheckedContinuation<(Data, HTTPURLResponse), any Error>? in
            defer { c = nil }
            return c
        }
        continuation?.resume(with: result)
    }
}

private func post(
    _ server: StubServer, _ path: String, _ body: JSONValue, headers: [String: String] = [:],
    timeout: TimeInterval = 30
) async throws -> (JSONValue?, Data, HTTPURLResponse) {
    var request = URLRequest(url: server.baseURL.appendingPathComponent(path))
    request.httpMethod = "POST"
    request.timeoutInterval = timeout
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    request.httpBody = Data(body.serialized().utf8)
    let (data, response) = try await fetch(request)
    return (try? JSONValue.parse(data), data, response)
}

private let chatBody: JSONValue = [
    "model": "stub-model",
    "messages": [["role": "system", "content": "Be brief."], ["role": "user", "content": "Hello there"]],
]

// MARK: - Raw socket client (pipelining, partial writes, chunked bodies)

private enum RawClient {
    static func dial(port: Int) -> Int32? {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    static func transmit(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
        #else
            let flags: Int32 = 0
        #endif
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, flags) }
    }

    /// Reads until `count` complete responses (Content-Length framed) arrived; returns their status
    /// lines and bodies.
    static func readResponses(_ fd: Int32, count: Int, headOnly: Bool = false) -> [(status: String, body: String)] {
        var buffer: [UInt8] = []
        var responses: [(String, String)] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while responses.count < count {
            if let (response, used) = parse(buffer, headOnly: headOnly) {
                responses.append(response)
                buffer.removeFirst(used)
                continue
            }
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { break }
            buffer.append(contentsOf: chunk[0..<received])
        }
        return responses
    }

    private static func parse(_ buffer: [UInt8], headOnly: Bool) -> ((String, String), Int)? {
        let text = String(decoding: buffer, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<headEnd.lowerBound]
        let lines = head.components(separatedBy: "\r\n")
        let status = lines[0]
        if status.hasPrefix("HTTP/1.1 100") {
            return (("100", ""), text.utf8.distance(from: text.startIndex, to: headEnd.upperBound))
        }
        let length =
            lines.first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        let headBytes = text.utf8.distance(from: text.startIndex, to: headEnd.upperBound)
        if headOnly { return ((status, ""), headBytes) }
        guard buffer.count >= headBytes + length else { return nil }
        let body = String(decoding: buffer[headBytes..<(headBytes + length)], as: UTF8.self)
        return ((status, body), headBytes + length)
    }
}

// MARK: - Tests

@Suite("StubServer over HTTP", .timeLimit(.minutes(1)))
struct StubServerTests {
    @Test("the default chat reply is an OpenAI chat completion, deterministic for the same messages")
    func defaultChatReply() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let (json, _, response) = try await post(server, "chat/completions", chatBody)
        #expect(response.statusCode == 200)
        #expect(response.value(forHTTPHeaderField: "Content-Type") == "application/json")
        let reply = try #require(json)
        #expect(reply["object"] == "chat.completion")
        #expect(reply["id"]?.stringValue == "chatcmpl-stub-1")
        #expect(reply["model"] == "stub-model")
        #expect(reply["created"] == 0)
        let choice = try #require(reply["choices"]?[0])
        #expect(choice["index"] == 0)
        #expect(choice["message"]?["role"] == "assistant")
        let content = try #require(choice["message"]?["content"]?.stringValue)
        #expect(content.hasPrefix("stub reply "))
        #expect(choice["finish_reason"] == "stop")
        let usage = try #require(reply["usage"])
        let prompt = try #require(usage["prompt_tokens"]?.intValue)
        let completion = try #require(usage["completion_tokens"]?.intValue)
        #expect(prompt > 0 && completion > 0)
        #expect(usage["total_tokens"]?.intValue == prompt + completion)

        let (again, _, _) = try await post(server, "chat/completions", chatBody)
        #expect(again?["choices"]?[0]?["message"]?["content"]?.stringValue == content)
        #expect(again?["id"]?.stringValue == "chatcmpl-stub-2")
        #expect(server.requestCount == 2)
        #expect(server.requests.map(\.sequence) == [1, 2])
        #expect(server.requests.first?.json?["messages"]?[1]?["content"] == "Hello there")
        #expect(server.requests.first?.header("content-type") == "application/json")
    }

    @Test("json_object gets {} and json_schema gets the smallest instance of the schema")
    func structuredDefaults() async throws {
        let server = try StubServer()
        defer { server.stop() }
        var body = chatBody
        if case .object(var object) = body {
            object["response_format"] = ["type": "json_object"]
            body = .object(object)
        }
        let (json, _, _) = try await post(server, "chat/completions", body)
        #expect(json?["choices"]?[0]?["message"]?["content"] == "{}")

        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "name": ["type": "string", "minLength": 2],
                "age": ["type": "integer", "minimum": 18],
                "mood": ["type": "string", "enum": ["calm", "angry"]],
                "tags": ["type": "array", "items": ["type": "string"], "minItems": 1],
                "note": ["type": "string"],
            ],
            "required": ["name", "age", "mood", "tags"],
        ]
        if case .object(var object) = body {
            object["response_format"] = [
                "type": "json_schema", "json_schema": ["name": "p", "schema": schema, "strict": true],
            ]
            body = .object(object)
        }
        let (structured, _, _) = try await post(server, "chat/completions", body)
        let text = try #require(structured?["choices"]?[0]?["message"]?["content"]?.stringValue)
        let value = try JSONValue.parse(text)
        #expect(value == ["name": "xx", "age": 18, "mood": "calm", "tags": [""]])
    }

    @Test("embeddings come back in order, one deterministic unit vector per input")
    func embeddings() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let (json, _, response) = try await post(
            server, "embeddings", ["model": "embed", "input": ["red apples", "green apples"]])
        #expect(response.statusCode == 200)
        let reply = try #require(json)
        #expect(reply["object"] == "list")
        #expect(reply["model"] == "embed")
        let data = try #require(reply["data"]?.arrayValue)
        #expect(data.count == 2)
        #expect(data.map { $0["index"] } == [0, 1])
        #expect(data.map { $0["object"] } == ["embedding", "embedding"])
        let vector = try #require(data[0]["embedding"]?.arrayValue)
        let first = vector.compactMap(\.doubleValue)
        #expect(first.count == 64)
        #expect(abs(first.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9)
        #expect(first == StubServer.defaultEmbedding(for: "red apples"))
        #expect(reply["usage"]?["prompt_tokens"] != nil)

        let (sized, _, _) = try await post(server, "embeddings", ["input": "one", "dimensions": 8])
        #expect(sized?["data"]?[0]?["embedding"]?.arrayValue?.count == 8)
    }

    @Test("GET /v1/models lists the configured model")
    func models() async throws {
        let server = try StubServer(configuration: .init(modelName: "tiny-model"))
        defer { server.stop() }
        let (data, response) = try await fetch(URLRequest(url: server.baseURL.appendingPathComponent("models")))
        #expect(response.statusCode == 200)
        let json = try JSONValue.parse(data)
        #expect(json["object"] == "list")
        #expect(json["data"]?[0]?["id"] == "tiny-model")
    }

    @Test("an unknown path gets 404 with an OpenAI error body")
    func unknownPath() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let (json, _, response) = try await post(server, "completions/legacy", ["prompt": "x"])
        #expect(response.statusCode == 404)
        #expect(json?["error"]?["message"]?.stringValue?.contains("/v1/completions/legacy") == true)
        #expect(json?["error"]?["type"] == "invalid_request_error")
        #expect(json?["error"]?["code"] == "not_found")
    }

    @Test("a 429 fault carries Retry-After and a rate-limit error, then the plan moves on")
    func rateLimitFault() async throws {
        let server = try StubServer(configuration: .init(faults: [.status429(retryAfter: "1"), .status500]))
        defer { server.stop() }
        let (first, _, limited) = try await post(server, "chat/completions", chatBody)
        #expect(limited.statusCode == 429)
        #expect(limited.value(forHTTPHeaderField: "Retry-After") == "1")
        #expect(first?["error"]?["type"] == "rate_limit_error")
        #expect(first?["error"]?["code"] == "rate_limit_exceeded")
        let (second, _, failed) = try await post(server, "chat/completions", chatBody)
        #expect(failed.statusCode == 500)
        #expect(second?["error"]?["type"] == "server_error")
        #expect(server.pendingFaults.isEmpty)
        let (_, _, ok) = try await post(server, "chat/completions", chatBody)
        #expect(ok.statusCode == 200)
    }

    @Test("a malformed-JSON fault answers 200 with a body no JSON parser accepts")
    func malformedJSONFault() async throws {
        let server = try StubServer(configuration: .init(faults: [.malformedJSON]))
        defer { server.stop() }
        let (json, data, response) = try await post(server, "chat/completions", chatBody)
        #expect(response.statusCode == 200)
        #expect(json == nil)
        #expect(!data.isEmpty)
        #expect((try? JSONSerialization.jsonObject(with: data)) == nil)
    }

    @Test("a dropped connection surfaces as a URLError")
    func dropConnectionFault() async throws {
        let server = try StubServer(configuration: .init(faults: [.dropConnection]))
        defer { server.stop() }
        await #expect(throws: URLError.self) {
            _ = try await post(server, "chat/completions", chatBody)
        }
        #expect(server.requestCount == 1)
    }

    @Test("a truncated response surfaces as a URLError")
    func truncatedResponseFault() async throws {
        let server = try StubServer(configuration: .init(faults: [.truncatedResponse]))
        defer { server.stop() }
        await #expect(throws: URLError.self) {
            _ = try await post(server, "chat/completions", chatBody)
        }
    }

    @Test("a slow reply past the client's timeout gives a timeout error, and stop() cuts the sleep short")
    func slowFault() async throws {
        let server = try StubServer(configuration: .init(faults: [.slow(20)]))
        // On Linux, URLRequest.timeoutInterval is truncated to whole seconds (0.5 s times out at once,
        // 1.7 s after 1 s), so the shortest usable client timeout is 1 s.
        let start = Date()
        do {
            _ = try await post(server, "chat/completions", chatBody, timeout: 1)
            Issue.record("expected a timeout")
        } catch let error as URLError {
            #expect(error.code == .timedOut)
        }
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 0.9 && waited < 15, "timed out after \(waited) s")
        let stopStart = Date()
        server.stop()
        #expect(Date().timeIntervalSince(stopStart) < 1)
    }

    @Test("a delay reply is served after the delay")
    func delayReply() async throws {
        let server = try StubServer(configuration: .init(responder: { _ in .delay(0.2, then: .text("late")) }))
        defer { server.stop() }
        let start = Date()
        let (json, _, _) = try await post(server, "chat/completions", chatBody)
        #expect(Date().timeIntervalSince(start) >= 0.2)
        #expect(json?["choices"]?[0]?["message"]?["content"] == "late")
    }

    @Test("json_schema requests are rejected with 400 naming response_format when configured")
    func rejectJSONSchema() async throws {
        let server = try StubServer(configuration: .init(rejectJSONSchema: true))
        defer { server.stop() }
        guard case .object(var object) = chatBody else { return }
        object["response_format"] = [
            "type": "json_schema", "json_schema": ["name": "x", "schema": ["type": "object"]],
        ]
        let (_, data, response) = try await post(server, "chat/completions", .object(object))
        #expect(response.statusCode == 400)
        #expect(
            String(decoding: data, as: UTF8.self)
                == #"{"error":{"message":"response_format json_schema is not supported by this server","type":"invalid_request_error","param":"response_format","code":null}}"#
        )
        object["response_format"] = ["type": "json_object"]
        let (_, _, accepted) = try await post(server, "chat/completions", .object(object))
        #expect(accepted.statusCode == 200)
    }

    @Test("a required API key is checked in Authorization: Bearer and in api-key")
    func apiKey() async throws {
        let server = try StubServer(configuration: .init(requiredAPIKey: "sk-test"))
        defer { server.stop() }
        let (json, _, missing) = try await post(server, "chat/completions", chatBody)
        #expect(missing.statusCode == 401)
        #expect(json?["error"]?["code"] == "invalid_api_key")
        let (_, _, wrong) = try await post(
            server, "chat/completions", chatBody, headers: ["Authorization": "Bearer nope"])
        #expect(wrong.statusCode == 401)
        let (_, _, bearer) = try await post(
            server, "chat/completions", chatBody, headers: ["Authorization": "Bearer sk-test"])
        #expect(bearer.statusCode == 200)
        let (_, _, azure) = try await post(server, "chat/completions", chatBody, headers: ["api-key": "sk-test"])
        #expect(azure.statusCode == 200)
    }

    @Test("sequential requests on one session reuse one keep-alive connection and count correctly")
    func keepAlive() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 1
        let single = URLSession(configuration: configuration)
        for _ in 0..<5 {
            var request = URLRequest(url: server.baseURL.appendingPathComponent("chat/completions"))
            request.httpMethod = "POST"
            request.httpBody = Data(chatBody.serialized().utf8)
            let (_, response) = try await fetch(request, in: single)
            #expect(response.statusCode == 200)
        }
        #expect(server.requestCount == 5)
        #expect(server.connectionCount == 1)
        #expect(server.requests.map(\.sequence) == [1, 2, 3, 4, 5])
        server.resetCounters()
        #expect(server.requestCount == 0)
        #expect(server.requests.isEmpty)
    }

    @Test("64 concurrent requests at 500 ms latency overlap (peakInFlight >= 16)")
    func concurrency() async throws {
        // 500 ms a reply: served one by one they take 32 s; overlapped they took 12 s at worst with
        // the machine's two cores saturated by parallel suites (at 50 ms the bound failed under load).
        let server = try StubServer(configuration: .init(latency: 0.5))
        defer { server.stop() }
        let start = Date()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask { try await post(server, "chat/completions", chatBody).2.statusCode }
            }
            for try await status in group { #expect(status == 200) }
        }
        let elapsed = Date().timeIntervalSince(start)
        // Faster than serving them one by one; the peak below proves the overlap itself (a tighter
        // time bound is flaky when the whole suite shares two cores).
        #expect(elapsed < 64 * 0.5 * 0.75, "64 requests took \(elapsed) s")
        #expect(server.peakInFlight >= 16, "peakInFlight \(server.peakInFlight)")
        #expect(server.requestCount == 64)
    }

    @Test("2,000 requests over 128 connections are served quickly without recording bodies")
    func throughput() async throws {
        let server = try StubServer(configuration: .init(recording: .withoutBodies))
        defer { server.stop() }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 128
        let wide = URLSession(configuration: configuration)
        var request = URLRequest(url: server.baseURL.appendingPathComponent("chat/completions"))
        request.httpMethod = "POST"
        request.httpBody = Data(chatBody.serialized().utf8)
        let total = 2_000
        let width = 128
        let start = Date()
        try await withThrowingTaskGroup(of: Int.self) { [request] group in
            var started = 0
            for _ in 0..<width {
                group.addTask { try await fetch(request, in: wide).1.statusCode }
                started += 1
            }
            for try await status in group {
                #expect(status == 200)
                if started < total {
                    group.addTask { try await fetch(request, in: wide).1.statusCode }
                    started += 1
                }
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(server.requestCount == total)
        #expect(server.requests.count == total)
        #expect(server.requests.allSatisfy { $0.body.isEmpty && $0.json == nil })
        #expect(elapsed < 30, "\(total) requests took \(elapsed) s")
        print(
            "StubServer throughput: \(total) requests in \(String(format: "%.2f", elapsed)) s, "
                + "\(Int(Double(total) / elapsed)) req/s, peakInFlight \(server.peakInFlight), "
                + "connections \(server.connectionCount)")
    }

    @Test("a custom responder's tool calls come back in OpenAI form with null content")
    func toolCalls() async throws {
        let server = try StubServer(
            configuration: .init(responder: { _ in
                .chat(
                    content: "", toolCalls: [(id: "call_1", name: "lookup", arguments: #"{"id":7}"#)],
                    finishReason: "tool_calls", promptTokens: 5, completionTokens: 3)
            }))
        defer { server.stop() }
        let (json, _, _) = try await post(server, "chat/completions", chatBody)
        let message = try #require(json?["choices"]?[0]?["message"])
        #expect(message["content"] == nil || message["content"] == .null)
        #expect(message["tool_calls"]?[0]?["id"] == "call_1")
        #expect(message["tool_calls"]?[0]?["type"] == "function")
        #expect(message["tool_calls"]?[0]?["function"]?["name"] == "lookup")
        #expect(message["tool_calls"]?[0]?["function"]?["arguments"] == #"{"id":7}"#)
        #expect(json?["choices"]?[0]?["finish_reason"] == "tool_calls")
        #expect(json?["usage"]?["total_tokens"] == 8)
    }

    @Test("faults injected later and a replaced responder apply to later requests")
    func runtimeChanges() async throws {
        let server = try StubServer()
        defer { server.stop() }
        server.injectFaults([.status(418, message: "teapot")])
        server.setResponder { request in .text("seq \(request.sequence)") }
        let (_, _, teapot) = try await post(server, "chat/completions", chatBody)
        #expect(teapot.statusCode == 418)
        let (json, _, _) = try await post(server, "chat/completions", chatBody)
        #expect(json?["choices"]?[0]?["message"]?["content"] == "seq 2")
    }

    @Test("stop() returns promptly with open connections, and the port then refuses connections")
    func stopRefuses() async throws {
        let server = try StubServer()
        let (_, _, response) = try await post(server, "chat/completions", chatBody)
        #expect(response.statusCode == 200)
        let idle = try #require(RawClient.dial(port: server.port))
        defer { close(idle) }
        let start = Date()
        server.stop()
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(RawClient.dial(port: server.port) == nil)
        #expect(errno == ECONNREFUSED)
        server.stop()  // idempotent
    }

    @Test("pipelined requests, byte-by-byte writes, chunked bodies and Expect: 100-continue all parse")
    func rawFraming() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let body = chatBody.serialized()
        let request =
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)"
        let fd = try #require(RawClient.dial(port: server.port))
        defer { close(fd) }

        RawClient.transmit(fd, request + request)
        let pipelined = RawClient.readResponses(fd, count: 2)
        #expect(pipelined.map(\.status) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"])

        for character in request { RawClient.transmit(fd, String(character)) }
        #expect(RawClient.readResponses(fd, count: 1).first?.status == "HTTP/1.1 200 OK")

        let half = body.utf8.count / 2
        let bytes = Array(body.utf8)
        let chunked =
            "POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(half, radix: 16) + "\r\n" + String(decoding: bytes[..<half], as: UTF8.self) + "\r\n"
            + String(bytes.count - half, radix: 16) + ";ext=1\r\n" + String(decoding: bytes[half...], as: UTF8.self)
            + "\r\n0\r\n\r\n"
        RawClient.transmit(fd, chunked)
        let chunkedReply = RawClient.readResponses(fd, count: 1)
        #expect(chunkedReply.first?.status == "HTTP/1.1 200 OK")
        #expect(chunkedReply.first?.body.contains("stub reply") == true)

        RawClient.transmit(
            fd, "POST /v1/embeddings HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 15\r\n\r\n")
        let interim = RawClient.readResponses(fd, count: 1)
        #expect(interim.first?.status == "100")
        RawClient.transmit(fd, #"{"input":"hi"}"# + " ")
        #expect(RawClient.readResponses(fd, count: 1).first?.status == "HTTP/1.1 200 OK")

        RawClient.transmit(fd, "GARBAGE\r\n\r\n")
        #expect(RawClient.readResponses(fd, count: 1).first?.status == "HTTP/1.1 400 Bad Request")
        #expect(server.requestCount == 5)  // the garbage request is rejected before it counts
    }

    @Test("dropping the server without stop() stops it in deinit")
    func deinitStops() async throws {
        var server: StubServer? = try StubServer()
        let port = try #require(server?.port)
        let (_, _, response) = try await post(try #require(server), "chat/completions", chatBody)
        #expect(response.statusCode == 200)
        server = nil
        #expect(RawClient.dial(port: port) == nil)
    }

    @Test(
        "malformed framing is answered with an error status and the connection is closed",
        arguments: [
            ("POST /v1/embeddings HTTP/1.1\r\nContent-Length: nope\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            ("POST /v1/embeddings HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501 Not Implemented"),
            (
                "POST /v1/embeddings HTTP/1.1\r\nX: " + String(repeating: "a", count: 70_000) + "\r\n\r\n",
                "HTTP/1.1 431 Request Header Fields Too Large"
            ),
            ("POST /v1/embeddings HTTP/1.1\r\nno colon here\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            ("HEAD /v1/nothing HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"),
        ])
    func malformedFraming(request: String, status: String) async throws {
        let server = try StubServer()
        defer { server.stop() }
        let fd = try #require(RawClient.dial(port: server.port))
        defer { close(fd) }
        RawClient.transmit(fd, request)
        let isHead = request.hasPrefix("HEAD")
        let reply = RawClient.readResponses(fd, count: 1, headOnly: isHead)
        #expect(reply.first?.status == status)
    }

    @Test("on a reused connection a drop makes URLSession wait for its timeout; a truncated response fails fast")
    func dropAndTruncateAfterReuse() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 1
        let single = URLSession(configuration: configuration)
        var request = URLRequest(url: server.baseURL.appendingPathComponent("chat/completions"))
        request.httpMethod = "POST"
        request.httpBody = Data(chatBody.serialized().utf8)
        request.timeoutInterval = 1
        _ = try await fetch(request, in: single)

        // libcurl retries on a new connection without the body (corelibs cannot rewind it), so the
        // retried request never completes and the client times out.
        server.injectFaults([.dropConnection])
        let dropStart = Date()
        let dropError = await #expect(throws: URLError.self) { _ = try await fetch(request, in: single) }
        #expect(dropError?.code == .timedOut || dropError?.code == .networkConnectionLost)
        #expect(Date().timeIntervalSince(dropStart) < 15)
        #expect(server.requestCount == 2)

        _ = try await fetch(request, in: single)
        server.injectFaults([.truncatedResponse])
        let truncateStart = Date()
        let truncateError = await #expect(throws: URLError.self) { _ = try await fetch(request, in: single) }
        #expect(truncateError?.code != .timedOut)
        #expect(Date().timeIntervalSince(truncateStart) < 5)
        #expect(server.requestCount == 4)
    }

    @Test("a body that is not JSON gets 400")
    func nonJSONBody() async throws {
        let server = try StubServer()
        defer { server.stop() }
        var request = URLRequest(url: server.baseURL.appendingPathComponent("chat/completions"))
        request.httpMethod = "POST"
        request.httpBody = Data("not json".utf8)
        let (data, response) = try await fetch(request)
        #expect(response.statusCode == 400)
        #expect((try JSONValue.parse(data))["error"]?["type"] == "invalid_request_error")
    }
}

@Suite("StubServer default replies")
struct StubServerDefaultReplyTests {
    @Test("the default embedding is a unit vector, similar for texts that share words")
    func embeddingSimilarity() {
        let a = StubServer.defaultEmbedding(for: "the cat sat on the mat")
        let b = StubServer.defaultEmbedding(for: "The cat sat!")
        let c = StubServer.defaultEmbedding(for: "quantum chromodynamics lattice")
        func cosine(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(abs(cosine(a, a) - 1) < 1e-9)
        #expect(cosine(a, b) > cosine(a, c))
        #expect(StubServer.defaultEmbedding(for: "", dimensions: 4) == [1, 0, 0, 0])
    }

    @Test("the default responder routes by endpoint")
    func defaultResponder() {
        let chat = StubRequest(
            sequence: 1, method: "POST", path: "/v1/chat/completions",
            json: ["messages": [["role": "user", "content": "x"]]])
        guard case .chat(let content, _, let finish, _, _) = StubServer.defaultReply(to: chat) else {
            Issue.record("expected a chat reply")
            return
        }
        #expect(content.hasPrefix("stub reply "))
        #expect(finish == "stop")
        let azure = StubRequest(
            sequence: 2, method: "POST", path: "/openai/deployments/gpt/embeddings", json: ["input": "x"])
        #expect(azure.endpoint == .embeddings)
        guard case .embeddings(let vectors) = StubServer.defaultReply(to: azure) else {
            Issue.record("expected embeddings")
            return
        }
        #expect(vectors.count == 1)
        #expect(StubRequest(sequence: 3, method: "GET", path: "/v1/chat/completions").endpoint == .unknown)
    }
}
