import Foundation
import Storage
import Synchronization

/// Serves one accepted connection on its own thread: frames requests (keep-alive, pipelining),
/// runs each through the fault plan, the checks and the responder, and writes each response with
/// one `send`.
struct StubConnection {
    let fd: Int32
    let core: StubServerCore

    func run() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var sentContinue = false
        while true {
            switch HTTPParser.parse(buffer) {
            case .needMore(let expectsContinue):
                if expectsContinue && !sentContinue {
                    sentContinue = true
                    guard Socket.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
                }
                guard Socket.receive(fd, into: &buffer, using: &chunk) else { return }
            case .invalid(let status, let message):
                let body = StubServer.errorBody(status: status, message: message)
                _ = Socket.sendAll(fd, HTTPResponse.serialize(status: status, headers: [], body: body, close: true))
                return
            case .complete(let message, let consumed):
                buffer.removeFirst(consumed)
                sentContinue = false
                guard handle(message) else { return }
            }
        }
    }

    /// Handles one request; returns whether the connection stays open.
    private func handle(_ message: HTTPMessage) -> Bool {
        var target = Substring(message.target)
        // Absolute-form targets (through a proxy): keep the path.
        if target.hasPrefix("http://") || target.hasPrefix("https://"),
            let schemeEnd = target.range(of: "://")
        {
            let afterScheme = target[schemeEnd.upperBound...]
            target = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        let path: String
        let query: String?
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            path = String(target)
            query = nil
        }
        let json: JSONValue? = message.body.isEmpty ? nil : try? JSONValue.parse(bytes: message.body)
        let configuration = core.configuration

        if StubRequest.route(method: message.method, path: path).isDiscovery {
            // Discovery is not part of the traffic tests count: no sequence number, no fault, no latency.
            let request = StubRequest(
                sequence: 0, method: message.method, path: path, query: query, headers: message.headers,
                body: message.body, json: json)
            let responder = core.state.withLock { state in
                if configuration.recording != .none { state.discoveryRequests.append(request) }
                return state.responder
            }
            return perform(normalReply(to: request, responder: responder), for: request, close: message.wantsClose)
        }

        let (request, fault, responder) = core.state.withLock { state in
            let request = StubRequest(
                sequence: state.nextSequence, method: message.method, path: path, query: query,
                headers: message.headers, body: message.body, json: json)
            state.nextSequence += 1
            state.requestCount += 1
            state.inFlight += 1
            state.peakInFlight = max(state.peakInFlight, state.inFlight)
            switch configuration.recording {
            case .full:
                state.requests.append(request)
            case .withoutBodies:
                state.requests.append(
                    StubRequest(
                        sequence: request.sequence, method: request.method, path: request.path,
                        query: request.query, headers: request.headers, endpoint: request.endpoint))
            case .none:
                break
            }
            let fault = state.faults.isEmpty ? nil : state.faults.removeFirst()
            return (request, fault, state.responder)
        }
        defer { core.state.withLock { $0.inFlight -= 1 } }

        let reply: StubReply
        switch fault {
        case nil where StubServer.failsIntermittently(request, fraction: configuration.intermittentFailure):
            reply = .error(status: 503, message: "The server is overloaded or not ready yet (intermittent stub fault).")
        case nil: reply = normalReply(to: request, responder: responder)
        case .status429(let retryAfter):
            reply = .error(
                status: 429, message: "Rate limit reached for requests (stub fault).", retryAfter: retryAfter)
        case .status500: reply = .error(status: 500, message: "The server had an error while processing your request.")
        case .status503: reply = .error(status: 503, message: "The server is overloaded or not ready yet.")
        case .status(let status, let text): reply = .error(status: status, message: text)
        case .malformedJSON: reply = .malformedJSON
        case .dropConnection: reply = .dropConnection
        case .truncatedResponse: reply = .truncatedResponse
        case .slow(let seconds): reply = .delay(seconds, then: normalReply(to: request, responder: responder))
        case .reply(let custom): reply = custom
        }

        guard core.sleep(configuration.latency) else { return false }
        return perform(reply, for: request, close: message.wantsClose)
    }

    /// The reply when no fault applies: key check, routing, `json_schema` rejection, responder.
    private func normalReply(to request: StubRequest, responder: StubServer.Responder) -> StubReply {
        let configuration = core.configuration
        if let key = configuration.requiredAPIKey {
            let bearer = request.header("Authorization").flatMap { value -> String? in
                guard value.lowercased().hasPrefix("bearer ") else { return nil }
                return trimmingBlanks(value.dropFirst("bearer ".count))
            }
            guard bearer == key || request.header("api-key") == key else {
                return .raw(
                    status: 401, headers: [],
                    body: StubServer.errorBody(
                        status: 401,
                        message:
                            "Incorrect API key provided. Send it as `Authorization: Bearer KEY` or `api-key: KEY`.",
                        code: "invalid_api_key"))
            }
        }
        switch request.endpoint {
        case .unknown:
            return .raw(
                status: 404, headers: [],
                body: StubServer.errorBody(
                    status: 404, message: "Invalid URL (\(request.method) \(request.path))",
                    type: "invalid_request_error",
                    code: "not_found"))
        case .models, .props, .ollamaVersion, .ollamaShow:
            return configuration.imitation.discoveryReply(to: request, configuration: configuration)
        case .batchAPI:
            return core.batchReply(to: request)
        case .chatCompletions, .embeddings:
            guard request.json?.objectValue != nil else {
                return .raw(
                    status: 400, headers: [],
                    body: StubServer.errorBody(
                        status: 400,
                        message: "We could not parse the JSON body of your request. Send a JSON object.",
                        type: "invalid_request_error"))
            }
            if configuration.rejectJSONSchema, request.endpoint == .chatCompletions,
                request.json?["response_format"]?["type"]?.stringValue == "json_schema"
            {
                let error: JSONValue = [
                    "error": [
                        "message": "response_format json_schema is not supported by this server",
                        "type": "invalid_request_error", "param": "response_format", "code": nil,
                    ]
                ]
                return .raw(status: 400, headers: [], body: Array(error.serialized().utf8))
            }
            if let refusal = configuration.imitation.refusal(
                of: request, contextWindow: configuration.contextWindow, modelName: configuration.modelName)
            {
                return refusal
            }
            return configuration.imitation.shape(responder(request), for: request)
        }
    }

    /// Carries out a reply; returns whether the connection stays open.
    private func perform(_ reply: StubReply, for request: StubRequest, close: Bool) -> Bool {
        let model = request.model ?? core.configuration.modelName
        let status: Int
        var headers: [(String, String)] = []
        let body: [UInt8]
        switch reply {
        case .delay(let seconds, let next):
            guard core.sleep(seconds, watching: fd) else { return false }
            return perform(next, for: request, close: close)
        case .dropConnection:
            return false
        case .truncatedResponse:
            let complete = StubServer.chatBody(
                id: "chatcmpl-stub-\(request.sequence)", model: model, content: "stub reply", toolCalls: [],
                finishReason: "stop", promptTokens: 1, completionTokens: 2)
            let head = HTTPResponse.serialize(status: 200, headers: [], body: complete, close: true, omitBody: true)
            _ = Socket.sendAll(fd, head + complete.prefix(complete.count / 2))
            return false
        case .malformedJSON:
            status = 200
            let complete = StubServer.chatBody(
                id: "chatcmpl-stub-\(request.sequence)", model: model, content: "stub reply", toolCalls: [],
                finishReason: "stop", promptTokens: 1, completionTokens: 2)
            body = Array(complete.prefix(complete.count / 2))
        case .chat(let content, let toolCalls, let finishReason, let promptTokens, let completionTokens):
            status = 200
            body = StubServer.chatBody(
                id: "chatcmpl-stub-\(request.sequence)", model: model, content: content, toolCalls: toolCalls,
                finishReason: finishReason, promptTokens: promptTokens, completionTokens: completionTokens)
        case .embeddings(let vectors):
            status = 200
            body = StubServer.embeddingsBody(vectors, model: model, promptTokens: StubServer.promptTokens(of: request))
        case .error(let code, let message, let retryAfter):
            status = code
            if let retryAfter { headers.append(("Retry-After", retryAfter)) }
            body = StubServer.errorBody(status: code, message: message)
        case .raw(let code, let rawHeaders, let rawBody):
            status = code
            headers = rawHeaders
            body = rawBody
        }
        let bytes = HTTPResponse.serialize(
            status: status, headers: headers, body: body, close: close, omitBody: request.method == "HEAD")
        return Socket.sendAll(fd, bytes) && !close
    }
}

// MARK: - Wire bodies

extension StubServer {
    /// An OpenAI-style error body: `{"error":{"message","type","param":null,"code"}}`.
    static func errorBody(status: Int, message: String, type: String? = nil, code: String? = nil) -> [UInt8] {
        let errorType: String
        let errorCode: String?
        switch status {
        case 401: (errorType, errorCode) = ("invalid_request_error", code ?? "invalid_api_key")
        case 403: (errorType, errorCode) = ("permission_error", code)
        case 404: (errorType, errorCode) = ("invalid_request_error", code ?? "not_found")
        case 429: (errorType, errorCode) = ("rate_limit_error", code ?? "rate_limit_exceeded")
        case 500...: (errorType, errorCode) = ("server_error", code)
        default: (errorType, errorCode) = ("invalid_request_error", code)
        }
        let error: JSONValue = [
            "error": [
                "message": .string(message), "type": .string(type ?? errorType), "param": nil,
                "code": errorCode.map(JSONValue.string) ?? nil,
            ]
        ]
        return Array(error.serialized().utf8)
    }

    static func chatBody(
        id: String, model: String, content: String, toolCalls: [(id: String, name: String, arguments: String)],
        finishReason: String, promptTokens: Int, completionTokens: Int
    ) -> [UInt8] {
        var message: JSONObject = ["role": "assistant"]
        message["content"] = toolCalls.isEmpty || !content.isEmpty ? .string(content) : .null
        if !toolCalls.isEmpty {
            message["tool_calls"] = .array(
                toolCalls.map { call in
                    [
                        "id": .string(call.id), "type": "function",
                        "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                    ]
                })
        }
        let body: JSONValue = [
            "id": .string(id), "object": "chat.completion", "created": 0, "model": .string(model),
            "choices": [["index": 0, "message": .object(message), "finish_reason": .string(finishReason)]],
            "usage": [
                "prompt_tokens": .integer(Int64(promptTokens)), "completion_tokens": .integer(Int64(completionTokens)),
                "total_tokens": .integer(Int64(promptTokens + completionTokens)),
            ],
        ]
        return Array(body.serialized().utf8)
    }

    static func embeddingsBody(_ vectors: [[Double]], model: String, promptTokens: Int) -> [UInt8] {
        let data = vectors.enumerated().map { index, vector -> JSONValue in
            ["object": "embedding", "index": .integer(Int64(index)), "embedding": .array(vector.map(JSONValue.number))]
        }
        let body: JSONValue = [
            "object": "list", "data": .array(data), "model": .string(model),
            "usage": ["prompt_tokens": .integer(Int64(promptTokens)), "total_tokens": .integer(Int64(promptTokens))],
        ]
        return Array(body.serialized().utf8)
    }
}
