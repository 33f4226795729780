public import Inference
public import Memory

/// Carries out tool calls for a world (implemented by tool domains; ToolTasks supplies one per episode).
///
/// For each call the world writes a `toolCall` event (speaker = the caller) and, right after it, a
/// `toolResult` event with the returned text, both visible to the caller only; then the public
/// `narration`, if any, and a `join` event for each party in `joins`. A thrown error becomes a failed
/// turn (`unsupported`) and that call is not logged.
public protocol ToolExecutor: Sendable {
    /// Runs `request` for `caller`; `transcript` is the log before the call.
    func execute(_ request: ToolRequest, caller: ParticipantID, transcript: Transcript) async throws -> ToolExecution
}

/// One tool call a party makes.
public struct ToolRequest: Sendable, Hashable {
    /// The call: id (empty: the world assigns `call_<n>`, n counting the world's calls from 1), tool
    /// name, and the arguments as JSON text, kept verbatim (a model's text may not even parse).
    public var call: ToolCall
    /// The toolset the call is addressed to, when not the caller's own (the executor interprets it:
    /// a gold replay acting for a tool task's user names `user`).
    public var toolset: String?

    /// Creates a request.
    public init(_ call: ToolCall, toolset: String? = nil) {
        self.call = call
        self.toolset = toolset
    }
}

/// What a tool call returned.
public struct ToolExecution: Sendable, Hashable {
    /// The result text the caller sees (JSON text is fine).
    public var result: String
    /// A public narration describing a visible change, if any.
    public var narration: String?
    /// Whether the call failed (counted toward ``TerminationRules/maxToolErrors``).
    public var isError: Bool
    /// Parties the call brings into the conversation (absent members of the roster; each gets a
    /// `join` event after the result and, under half-duplex turn taking, the floor after the caller's
    /// next text move).
    public var joins: [ParticipantID]
    /// Why the conversation ends once the caller's move is done, when the call ends it (a transfer
    /// to a human): the world stops with ``Termination/Reason/toolEnded``.
    public var endsConversation: String?

    /// Creates a result.
    public init(
        result: String, narration: String? = nil, isError: Bool = false, joins: [ParticipantID] = [],
        endsConversation: String? = nil
    ) {
        self.result = result
        self.narration = narration
        self.isError = isError
        self.joins = joins
        self.endsConversation = endsConversation
    }
}

/// One tool call as the world ran it.
public struct ToolCallRecord: Sendable, Hashable {
    /// The request, with the id written in the log.
    public var request: ToolRequest
    /// What the executor returned.
    public var execution: ToolExecution
    /// The seqs of the events written for it: the call, its result, then any narration and joins.
    public var events: [Int]
}
