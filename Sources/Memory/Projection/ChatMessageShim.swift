// TEMPORARY: mirrors Inference's ChatMessage/ToolCall (CONTRACT.md) until Inference lands on main;
// deleted at that merge so that only one message type exists.

/// A chat message (temporary mirror of Inference.ChatMessage).
public struct ChatMessage: Sendable, Hashable, Codable {
    /// The chat role.
    public enum Role: String, Sendable, Hashable, Codable { case system, user, assistant, tool }
    /// The role.
    public var role: Role
    /// The text.
    public var content: String
    /// Tool calls of an assistant message.
    public var toolCalls: [ToolCall]
    /// The call a tool message answers.
    public var toolCallID: String?
    /// Creates a message.
    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }
}

/// A tool call (temporary mirror of Inference.ToolCall).
public struct ToolCall: Sendable, Hashable, Codable {
    /// Call id.
    public var id: String
    /// Tool name.
    public var name: String
    /// JSON text.
    public var arguments: String
    /// Creates a call.
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}
