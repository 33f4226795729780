public import Storage

/// One message of a chat conversation, in the provider-neutral form Agora uses everywhere.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// Who wrote a message.
    public enum Role: String, Sendable, Hashable, Codable {
        /// Instructions that frame the conversation.
        case system
        /// Text from the user (in Agora: everyone the speaker is not).
        case user
        /// Text (and tool calls) from the model that is speaking.
        case assistant
        /// The result of a tool call, answering `toolCallID`.
        case tool
    }

    /// The author of the message.
    public var role: Role
    /// The text of the message; empty for an assistant message that only calls tools.
    public var content: String
    /// Tool calls made by an assistant message.
    public var toolCalls: [ToolCall]
    /// For a `.tool` message: the id of the call it answers.
    public var toolCallID: String?

    /// Creates a message.
    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    /// An assistant message, optionally with tool calls.
    public static func assistant(_ content: String, toolCalls: [ToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: content, toolCalls: toolCalls)
    }
    /// A tool result answering the call with id `callID`.
    public static func tool(callID: String, content: String) -> ChatMessage {
        ChatMessage(role: .tool, content: content, toolCallID: callID)
    }

    enum CodingKeys: String, CodingKey {
        case role, content
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
    }

    /// Decodes a message; `tool_calls` and `tool_call_id` may be missing.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(Role.self, forKey: .role)
        content = try c.decodeIfPresent(String.self, forKey: .content) ?? ""
        toolCalls = try c.decodeIfPresent([ToolCall].self, forKey: .toolCalls) ?? []
        toolCallID = try c.decodeIfPresent(String.self, forKey: .toolCallID)
    }

    /// Encodes a message, leaving out empty tool calls and a missing tool-call id.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(role, forKey: .role)
        try c.encode(content, forKey: .content)
        if !toolCalls.isEmpty { try c.encode(toolCalls, forKey: .toolCalls) }
        try c.encodeIfPresent(toolCallID, forKey: .toolCallID)
    }
}

/// A function call requested by the model.
public struct ToolCall: Sendable, Hashable, Codable {
    /// The call id, echoed by the tool result.
    public var id: String
    /// The function name.
    public var name: String
    /// The arguments as JSON text, exactly as the model wrote them.
    public var arguments: String

    /// Creates a tool call.
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A function the model may call.
public struct ToolDefinition: Sendable, Hashable {
    /// The function name.
    public var name: String
    /// What the function does, for the model.
    public var description: String
    /// JSON Schema of the arguments object.
    public var parameters: JSONValue

    /// Creates a tool definition.
    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// The OpenAI wire form `{"type":"function","function":{name, description, parameters}}`.
    public var openAIFunction: JSONValue {
        let function = JSONObject([
            ("name", .string(name)), ("description", .string(description)), ("parameters", parameters),
        ])
        return .object(JSONObject([("type", "function"), ("function", .object(function))]))
    }
}

/// Whether and which tool the model must call.
public enum ToolChoice: Sendable, Hashable {
    /// The model decides.
    case auto
    /// The model must not call tools.
    case none
    /// The model must call some tool.
    case required
    /// The model must call this function.
    case function(String)
}

/// The shape the answer must take.
public enum ResponseFormat: Sendable, Hashable {
    /// Free text.
    case text
    /// Any JSON object.
    case jsonObject
    /// A JSON object constrained by `schema` in llama.cpp's form (`{"type": "json_object", "schema":
    /// …}`): servers that reject `json_schema` but enforce this one by grammar (llama-cpp-python).
    case jsonObjectSchema(JSONValue)
    /// JSON matching `schema`; `strict` asks the provider to enforce it.
    case jsonSchema(name: String, schema: JSONValue, strict: Bool)
}

/// Why generation stopped.
public enum FinishReason: String, Sendable, Hashable, Codable {
    /// The model finished, or hit a stop sequence.
    case stop
    /// `maxTokens` was reached: the content may be cut off.
    case length
    /// The model called tools.
    case toolCalls = "tool_calls"
    /// The provider filtered the content.
    case contentFilter = "content_filter"
    /// The provider gave a reason Agora does not know.
    case other
}

/// Token counts of one call.
public struct Usage: Sendable, Hashable, Codable {
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
    /// Prompt tokens the server took from its own prompt cache instead of computing them (OpenAI's
    /// `prompt_tokens_details.cached_tokens`, llama.cpp's `timings.cache_n`); part of
    /// ``promptTokens``, 0 when the server does not say.
    public var cachedPromptTokens: Int

    /// Creates a usage record.
    public init(promptTokens: Int = 0, completionTokens: Int = 0, cachedPromptTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens, completionTokens, cachedPromptTokens
    }

    /// Decodes a usage record; `cachedPromptTokens` may be missing (records written before it existed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try c.decode(Int.self, forKey: .promptTokens)
        completionTokens = try c.decode(Int.self, forKey: .completionTokens)
        cachedPromptTokens = try c.decodeIfPresent(Int.self, forKey: .cachedPromptTokens) ?? 0
    }

    /// Prompt plus completion tokens.
    public var totalTokens: Int { promptTokens + completionTokens }

    /// The sum of two usage records.
    public static func + (lhs: Usage, rhs: Usage) -> Usage {
        Usage(
            promptTokens: lhs.promptTokens + rhs.promptTokens,
            completionTokens: lhs.completionTokens + rhs.completionTokens,
            cachedPromptTokens: lhs.cachedPromptTokens + rhs.cachedPromptTokens
        )
    }
}

/// A chat-completion request.
public struct ChatRequest: Sendable, Hashable {
    /// The conversation so far.
    public var messages: [ChatMessage]
    /// Sampling temperature; `nil` leaves the provider's default.
    public var temperature: Double?
    /// Nucleus sampling; `nil` leaves the provider's default.
    public var topP: Double?
    /// Upper bound on generated tokens.
    public var maxTokens: Int?
    /// Provider-side sampling seed, where supported.
    public var seed: Int?
    /// Stop sequences.
    public var stop: [String]
    /// Functions the model may call.
    public var tools: [ToolDefinition]
    /// Whether and which tool must be called.
    public var toolChoice: ToolChoice?
    /// The required shape of the answer.
    public var responseFormat: ResponseFormat
    /// Which sample this is when the same request is drawn several times (part of the cache key,
    /// so k samples at temperature > 0 are k cache entries). Never sent to the provider.
    public var sampleIndex: Int

    /// Creates a request.
    public init(
        messages: [ChatMessage],
        temperature: Double? = nil,
        topP: Double? = nil,
        maxTokens: Int? = nil,
        seed: Int? = nil,
        stop: [String] = [],
        tools: [ToolDefinition] = [],
        toolChoice: ToolChoice? = nil,
        responseFormat: ResponseFormat = .text,
        sampleIndex: Int = 0
    ) {
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.seed = seed
        self.stop = stop
        self.tools = tools
        self.toolChoice = toolChoice
        self.responseFormat = responseFormat
        self.sampleIndex = sampleIndex
    }
}

/// A chat-completion answer.
public struct ChatResponse: Sendable, Hashable {
    /// The generated text (empty when the model only called tools).
    public var content: String
    /// Tool calls the model made.
    public var toolCalls: [ToolCall]
    /// Why generation stopped.
    public var finishReason: FinishReason
    /// Token counts (zero when the provider did not report them).
    public var usage: Usage
    /// Whether the answer came from the response cache rather than the endpoint.
    public var fromCache: Bool
    /// The response-cache key of the request, when a ``CachedModel`` answered (hit or miss).
    public var cacheKey: String?
    /// Whether the OpenAI Batch API produced the answer (`--batch`): billed at half the list price.
    /// Kept with the answer in the response cache, so a later hit is still priced as bought.
    public var fromBatch: Bool

    /// Creates a response.
    public init(
        content: String,
        toolCalls: [ToolCall] = [],
        finishReason: FinishReason = .stop,
        usage: Usage = Usage(),
        fromCache: Bool = false,
        cacheKey: String? = nil,
        fromBatch: Bool = false
    ) {
        self.content = content
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.fromCache = fromCache
        self.cacheKey = cacheKey
        self.fromBatch = fromBatch
    }
}
