import Storage

extension StubServer {
    /// The default responder: deterministic answers that depend only on the request body.
    ///
    /// - Chat: with `response_format` `json_object`, the content is `{}` (or, with llama.cpp's
    ///   `schema` key, the smallest instance of that schema, as llama.cpp's grammar would force);
    ///   with `json_schema`, it is the smallest instance of the schema (required properties only, first enum value, minimums,
    ///   empty strings, `minItems` items); otherwise it is `stub reply XXXXXXXX`, where the hex
    ///   digits are a hash of the `messages` JSON. Token counts are estimated (~4 bytes a token).
    /// - Embeddings: one ``defaultEmbedding(for:dimensions:)`` vector per input, with the request's
    ///   `dimensions` (64 when absent).
    /// - Anything else: 404.
    public static func defaultReply(to request: StubRequest) -> StubReply {
        switch request.endpoint {
        case .chatCompletions:
            let content: String
            let format = request.json?["response_format"]
            switch format?["type"]?.stringValue {
            case "json_object":
                content = format?["schema"].map { minimalInstance(of: $0).serialized() } ?? "{}"
            case "json_schema":
                let schema = format?["json_schema"]?["schema"] ?? .object(JSONObject())
                content = minimalInstance(of: schema).serialized()
            default:
                let messages = request.json?["messages"]?.serialized() ?? ""
                content = "stub reply " + String(fnv1a(messages.utf8) >> 32, radix: 16).leftPadded(to: 8)
            }
            return .chat(
                content: content, toolCalls: [], finishReason: "stop", promptTokens: promptTokens(of: request),
                completionTokens: estimateTokens(content))
        case .embeddings:
            let input = request.json?["input"]
            let texts: [String]
            if let text = input?.stringValue {
                texts = [text]
            } else if let items = input?.arrayValue, items.allSatisfy({ $0.stringValue != nil }) {
                texts = items.compactMap(\.stringValue)
            } else {
                return .error(status: 400, message: "`input` must be a string or an array of strings.")
            }
            let requested = request.json?["dimensions"]?.intValue.map { Int(clamping: $0) } ?? 64
            guard (1...65_536).contains(requested) else {
                return .error(status: 400, message: "`dimensions` must be between 1 and 65536.")
            }
            return .embeddings(texts.map { defaultEmbedding(for: $0, dimensions: requested) })
        case .models, .props, .ollamaVersion, .ollamaShow, .batchAPI, .unknown:
            return .error(status: 404, message: "Invalid URL (\(request.method) \(request.path))")
        }
    }

    /// A deterministic unit vector for `text`: a signed, hashed bag of lower-cased words (FNV-1a),
    /// normalised to length 1, so texts sharing words have a positive cosine similarity.
    ///
    /// Text without letters or digits maps to the first basis vector.
    public static func defaultEmbedding(for text: String, dimensions: Int = 64) -> [Double] {
        precondition(dimensions > 0, "dimensions must be positive")
        var vector = [Double](repeating: 0, count: dimensions)
        var word: [UInt8] = []
        func flush() {
            guard !word.isEmpty else { return }
            let hash = fnv1a(word)
            vector[Int(hash % UInt64(dimensions))] += (hash >> 63) == 0 ? 1 : -1
            word.removeAll(keepingCapacity: true)
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                word.append(contentsOf: character.utf8)
            } else {
                flush()
            }
        }
        flush()
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else {
            vector[0] = 1
            return vector
        }
        return vector.map { $0 / norm }
    }

    /// A rough token count: one token per 4 UTF-8 bytes, at least 1 for non-empty text.
    static func estimateTokens(_ text: String) -> Int {
        text.isEmpty ? 0 : max(1, (text.utf8.count + 3) / 4)
    }

    /// Estimated prompt tokens: message contents (strings or text parts) plus 3 per message for
    /// chat; the inputs for embeddings.
    static func promptTokens(of request: StubRequest) -> Int {
        guard let json = request.json else { return 0 }
        if let messages = json["messages"]?.arrayValue {
            return messages.reduce(0) { total, message in
                let content = message["content"]
                let text =
                    content?.stringValue
                    ?? (content?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
                return total + 3 + estimateTokens(text)
            }
        }
        if let text = json["input"]?.stringValue { return estimateTokens(text) }
        return (json["input"]?.arrayValue ?? []).reduce(0) { $0 + estimateTokens($1.stringValue ?? "") }
    }

    /// The smallest value that satisfies the common JSON-schema keywords (type, properties and
    /// required, items and minItems, enum, const, minimum, minLength, anyOf/oneOf/allOf).
    static func minimalInstance(of schema: JSONValue, depth: Int = 0) -> JSONValue {
        guard depth < 32, schema.objectValue != nil else { return .object(JSONObject()) }
        if let constant = schema["const"] { return constant }
        if let first = schema["enum"]?.arrayValue?.first { return first }
        if let options = (schema["anyOf"] ?? schema["oneOf"] ?? schema["allOf"])?.arrayValue, let first = options.first
        {
            return minimalInstance(of: first, depth: depth + 1)
        }
        let declared: String? =
            schema["type"]?.stringValue
            ?? schema["type"]?.arrayValue?.compactMap(\.stringValue).first { $0 != "null" }
        let type = declared ?? (schema["properties"] != nil ? "object" : schema["items"] != nil ? "array" : nil)
        switch type {
        case "object":
            var object = JSONObject()
            let properties = schema["properties"]?.objectValue ?? JSONObject()
            for name in (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue) {
                object[name] = minimalInstance(of: properties[name] ?? .object(JSONObject()), depth: depth + 1)
            }
            return .object(object)
        case "array":
            let count = Int(clamping: schema["minItems"]?.intValue ?? 0)
            let item = minimalInstance(of: schema["items"] ?? .object(JSONObject()), depth: depth + 1)
            return .array(Array(repeating: item, count: max(0, min(count, 1_000))))
        case "string":
            let length = Int(clamping: schema["minLength"]?.intValue ?? 0)
            return .string(String(repeating: "x", count: max(0, min(length, 10_000))))
        case "integer":
            if let minimum = schema["minimum"]?.doubleValue { return .integer(clampedInteger(minimum.rounded(.up))) }
            if let minimum = schema["exclusiveMinimum"]?.doubleValue {
                return .integer(clampedInteger(minimum.rounded(.down) + 1))
            }
            if let maximum = schema["maximum"]?.doubleValue, maximum < 0 {
                return .integer(clampedInteger(maximum.rounded(.down)))
            }
            return .integer(0)
        case "number":
            if let minimum = schema["minimum"]?.doubleValue { return .number(minimum) }
            if let minimum = schema["exclusiveMinimum"]?.doubleValue { return .number(minimum + 1) }
            if let maximum = schema["maximum"]?.doubleValue, maximum < 0 { return .number(maximum) }
            return .integer(0)
        case "boolean":
            return .bool(false)
        case "null":
            return .null
        default:
            return .object(JSONObject())
        }
    }
}

/// The integer nearest to `value` within ±2^62 (schema bounds come from callers; never trap on them).
private func clampedInteger(_ value: Double) -> Int64 {
    guard value.isFinite else { return 0 }
    return Int64(min(max(value, -4.6e18), 4.6e18))
}

/// FNV-1a, 64 bits: a fixed, platform-independent hash (unlike `hashValue`, which is seeded per process).
/// Public so stub responders elsewhere (the benchmarks) derive their answers the same way.
public func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
