import Foundation
import Storage

/// Encoding and lenient decoding of the OpenAI chat-completions and embeddings wire formats.
enum OpenAIWire {
    /// The JSON body of a chat-completions request. Keys are in a fixed order.
    static func chatBody(_ request: ChatRequest, model: String, dialect: Endpoint.Dialect = .openAI) -> JSONValue {
        var body = JSONObject()
        body["model"] = .string(model)
        body["messages"] = .array(request.messages.map(message))
        if let temperature = request.temperature { body["temperature"] = .number(temperature) }
        if let topP = request.topP { body["top_p"] = .number(topP) }
        if let maxTokens = request.maxTokens { body["max_tokens"] = .integer(Int64(maxTokens)) }
        if let seed = request.seed { body["seed"] = .integer(Int64(seed)) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map(JSONValue.string)) }
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map(\.openAIFunction))
        }
        if let choice = request.toolChoice {
            switch choice {
            case .auto: body["tool_choice"] = "auto"
            case .none: body["tool_choice"] = "none"
            case .required: body["tool_choice"] = "required"
            case .function(let name):
                body["tool_choice"] = .object(
                    JSONObject([("type", "function"), ("function", .object(JSONObject([("name", .string(name))])))]))
            }
        }
        switch request.responseFormat {
        case .text: break
        case .jsonObject: body["response_format"] = .object(JSONObject([("type", "json_object")]))
        case .jsonObjectSchema(let schema) where dialect == .vLLM:
            // vLLM's guided decoding takes the schema as an extra parameter (and refuses a second
            // guided-decoding request in response_format beside it).
            body["guided_json"] = schema
        case .jsonObjectSchema(let schema):
            body["response_format"] = .object(
                JSONObject([("type", "json_object"), ("schema", grammarFriendly(schema))]))
        case .jsonSchema(_, let schema, _) where dialect == .llamaCpp:
            body["response_format"] = .object(
                JSONObject([("type", "json_object"), ("schema", grammarFriendly(schema))]))
        case .jsonSchema(let name, let schema, let strict):
            body["response_format"] = .object(
                JSONObject([
                    ("type", "json_schema"),
                    (
                        "json_schema",
                        .object(JSONObject([("name", .string(name)), ("schema", schema), ("strict", .bool(strict))]))
                    ),
                ]))
        }
        return .object(body)
    }

    /// llama.cpp's grammar enforces `enum` but not `minimum`/`maximum`: an integer with a small
    /// closed range is sent as an `enum` of its values, so the model cannot leave the range.
    /// (The original schema still validates the answer.)
    static func grammarFriendly(_ schema: JSONValue) -> JSONValue {
        switch schema {
        case .object(let object):
            var rewritten = JSONObject()
            for (key, value) in object { rewritten[key] = grammarFriendly(value) }
            if rewritten["type"]?.stringValue == "integer", rewritten["enum"] == nil,
                let low = rewritten["minimum"]?.intValue, let high = rewritten["maximum"]?.intValue,
                low <= high, high - low <= 200
            {
                rewritten["enum"] = .array((low...high).map { JSONValue.integer($0) })
            }
            return .object(rewritten)
        case .array(let items):
            return .array(items.map(grammarFriendly))
        default:
            return schema
        }
    }

    static func message(_ m: ChatMessage) -> JSONValue {
        var o = JSONObject()
        o["role"] = .string(m.role.rawValue)
        // OpenAI wants null content on an assistant message that only calls tools.
        o["content"] = (m.role == .assistant && m.content.isEmpty && !m.toolCalls.isEmpty) ? .null : .string(m.content)
        if !m.toolCalls.isEmpty {
            o["tool_calls"] = .array(
                m.toolCalls.map { call in
                    .object(
                        JSONObject([
                            ("id", .string(call.id)),
                            ("type", "function"),
                            (
                                "function",
                                .object(
                                    JSONObject([("name", .string(call.name)), ("arguments", .string(call.arguments))]))
                            ),
                        ]))
                })
        }
        if let id = m.toolCallID { o["tool_call_id"] = .string(id) }
        return .object(o)
    }

    /// Decodes a chat-completions response; unknown keys are ignored and `usage` may be missing.
    static func decodeChat(_ data: Data) throws(WireError) -> ChatResponse {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch { throw WireError.notJSON(error.description) }
        guard let choices = root["choices"]?.arrayValue, let first = choices.first else {
            throw WireError.shape("the body has no `choices`")
        }
        guard let message = first["message"] else { throw WireError.shape("`choices[0]` has no `message`") }
        let content = message["content"]?.stringValue ?? ""
        var calls: [ToolCall] = []
        for (index, raw) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            guard let function = raw["function"], let name = function["name"]?.stringValue else {
                throw WireError.shape("`tool_calls[\(index)]` has no function name")
            }
            let arguments: String
            switch function["arguments"] {
            case .string(let text)?: arguments = text
            case let other?: arguments = other.serialized()
            case nil: arguments = "{}"
            }
            calls.append(ToolCall(id: raw["id"]?.stringValue ?? "call_\(index)", name: name, arguments: arguments))
        }
        let reason: FinishReason
        switch first["finish_reason"]?.stringValue {
        case nil: reason = calls.isEmpty ? .stop : .toolCalls
        case let text?: reason = FinishReason(rawValue: text) ?? (text == "function_call" ? .toolCalls : .other)
        }
        // OpenAI (and vLLM) report prompt-cache hits in the usage; llama.cpp's server in `timings`.
        let cached =
            root["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? root["timings"]?["cache_n"]?.intValue
            ?? 0
        let usage = Usage(
            promptTokens: Int(root["usage"]?["prompt_tokens"]?.intValue ?? 0),
            completionTokens: Int(root["usage"]?["completion_tokens"]?.intValue ?? 0),
            cachedPromptTokens: max(0, Int(clamping: cached))
        )
        return ChatResponse(content: content, toolCalls: calls, finishReason: reason, usage: usage)
    }

    /// The JSON body of an embeddings request.
    static func embeddingsBody(_ texts: [String], model: String) -> JSONValue {
        .object(JSONObject([("model", .string(model)), ("input", .array(texts.map(JSONValue.string)))]))
    }

    /// Decodes an embeddings response into vectors in input order.
    static func decodeEmbeddings(_ data: Data, count: Int) throws(WireError) -> [[Double]] {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch { throw WireError.notJSON(error.description) }
        guard let items = root["data"]?.arrayValue else { throw WireError.shape("the body has no `data`") }
        var vectors = [[Double]?](repeating: nil, count: count)
        for (position, item) in items.enumerated() {
            let index = Int(item["index"]?.intValue ?? Int64(position))
            guard index >= 0, index < count, let values = item["embedding"]?.arrayValue else {
                throw WireError.shape("`data[\(position)]` has no usable `embedding` or `index`")
            }
            var vector: [Double] = []
            vector.reserveCapacity(values.count)
            for value in values {
                guard let number = value.doubleValue else {
                    throw WireError.shape("`data[\(position)].embedding` has a non-number")
                }
                vector.append(number)
            }
            vectors[index] = vector
        }
        var result: [[Double]] = []
        for (index, vector) in vectors.enumerated() {
            guard let vector else { throw WireError.shape("no embedding for input \(index)") }
            result.append(vector)
        }
        return result
    }

    /// The server's own error message from an error body, or the body text cut to 500 characters.
    static func serverMessage(_ data: Data) -> String {
        if let root = try? JSONValue.parse(data) {
            if let message = root["error"]?["message"]?.stringValue { return message }
            if let message = root["error"]?.stringValue { return message }
            if let message = root["message"]?.stringValue { return message }
            if let detail = root["detail"] { return detail.stringValue ?? detail.serialized() }
        }
        let text = String(decoding: data.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(empty body)" : text
    }

    /// What was wrong with a 2xx body.
    enum WireError: Error, Sendable {
        case notJSON(String)
        case shape(String)

        var message: String {
            switch self {
            case .notJSON(let detail): "the response body is not JSON (\(detail))"
            case .shape(let detail): "the response is not in the expected format: \(detail)"
            }
        }
    }
}
