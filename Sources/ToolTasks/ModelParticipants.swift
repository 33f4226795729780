import Agents
public import Foundation
public import Inference
public import Memory
public import Population
import Runs
public import Storage

/// The agent under test backed by a language model: the policy is the system prompt, the tools are
/// function definitions, tool calls come back as `ToolCall`s (spec §10.4).
public struct ModelToolAgent: ToolTaskAgent {
    /// The model.
    public var model: any LanguageModel
    /// Sampling temperature (default 0).
    public var temperature: Double?
    /// The answer length cap.
    public var maxTokens: Int?

    /// Creates the agent.
    public init(model: any LanguageModel, temperature: Double? = 0, maxTokens: Int? = 512) {
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
    }

    /// The chat messages of an agent view: the policy as system prompt, then the Egocentric Context
    /// Projection of the episode log for the agent (its own text and tool calls `assistant`, its tool
    /// results `tool`, the user's text `user`; the user's tool calls are not in its audience).
    public static func messages(_ view: AgentView) throws(MemoryError) -> [ChatMessage] {
        try view.messages()
    }

    /// The tool definitions of a view.
    public static func definitions(_ tools: [ToolSpec]) -> [ToolDefinition] {
        tools.map { ToolDefinition(name: $0.name, description: $0.description, parameters: $0.parameters) }
    }

    /// Asks the model for the next message.
    public func next(_ view: AgentView) async throws -> AgentMessage {
        // Fitted to the model's window: the policy and the latest message stay, old exchanges go first.
        let fit = try MessageFitter.fit(try Self.messages(view), model: model, maxTokens: maxTokens)
        let request = ChatRequest(
            messages: fit.messages, temperature: temperature, maxTokens: maxTokens,
            tools: Self.definitions(view.tools),
            toolChoice: view.tools.isEmpty ? nil : .auto)
        let response = try await model.complete(request)
        if !response.toolCalls.isEmpty {
            return .calls(response.toolCalls.map { ToolInvocation(id: $0.id, name: $0.name, arguments: $0.arguments) })
        }
        return .text(response.content)
    }
}

/// The LLM user simulator (spec §10.6): our guidelines, tau2's `<scenario>` block verbatim, and the
/// behaviour-policy block when a persona policy is assigned. The history is shown with roles flipped.
public struct LLMUser: UserSimulator {
    /// The model.
    public var model: any LanguageModel
    /// Sampling temperature (default 0: user drift is the biggest source of noise).
    public var temperature: Double?
    /// The answer length cap.
    public var maxTokens: Int?
    /// A full population persona this user carries (the `<persona>` block, made task-safe), if any.
    public var population: Persona?

    /// Creates the user.
    public init(
        model: any LanguageModel, temperature: Double? = 0, maxTokens: Int? = 200, population: Persona? = nil
    ) {
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.population = population
    }

    /// Our rewording of tau2's user guidelines, with the fixes from tau2 issues #182, #297 and #494.
    public static let guidelines = """
        You are playing a customer who contacts a support agent. Your goal and facts are in the scenario below.
        - Speak as the customer, in the first person, one message at a time. Never play the agent.
        - Share information only as the scenario allows, and only when it is relevant or asked for. Never invent
          facts that are not in the scenario; if asked for something you do not know, say you do not know it.
        - Follow the task instructions. Keep the conversation natural and on topic.
        - Agreeing to an action is not the same as the action being done. Before stopping, wait until the agent
          confirms the action is complete.
        - When your goal is met, write ###STOP### alone in its own final message; don't glue content to it.
        - If you are transferred to a human agent, write ###TRANSFER###.
        - If the scenario gives you no way to go on, write ###OUT-OF-SCOPE###.
        - If your goal cannot be met, say so and then stop. Do not invent new goals.
        """

    /// The `<persona>` block's preamble: who the user is shapes how they talk, never the goal or the stop rules.
    public static let personaPreamble = """
        Background of the customer you play. It affects HOW you communicate (tone, wording, what you mention in \
        passing), not WHAT you want: your goal, the facts and name in the scenario, your private information and \
        the rules for stopping do not change. Stay in character and never mention these instructions.
        """

    /// The system prompt: guidelines, `<scenario>` block (verbatim, the same with or without a persona), then
    /// the `<persona>` block of a population persona and the `<behaviour>` block of a persona policy, if any.
    public static func systemPrompt(task: ToolTask, persona: PersonaPolicy?, population: Persona? = nil) -> String {
        guidelines + "\n\n" + profile(task: task, persona: persona, population: population)
    }

    /// Who the user is told to be: the system prompt after the guidelines (the `<scenario>` block,
    /// then the `<persona>` and `<behaviour>` blocks when given). The consistency judges read it as
    /// the simulated user's persona.
    public static func profile(task: ToolTask, persona: PersonaPolicy?, population: Persona? = nil) -> String {
        var text = "<scenario>\n" + task.scenario.rendered + "\n</scenario>"
        if let block = population?.taskSafe().promptText, !block.isEmpty {
            text += "\n\n<persona>\n" + personaPreamble + "\n" + block + "\n</persona>"
        }
        if let persona, !persona.text.isEmpty {
            text +=
                "\n\n<behaviour>\nThis affects HOW you communicate, not WHAT you want; your goal, facts and private "
                + "information do not change. Stay in character and never mention these instructions.\n"
                + persona.text + "\n</behaviour>"
        }
        return text
    }

    /// Asks the model for the user's next message.
    public func next(_ view: UserView) async throws -> AgentMessage {
        // The projection of the log for the user: its own messages `assistant`, the agent's `user`.
        let messages = try view.messages(
            system: Self.systemPrompt(task: view.task, persona: view.persona, population: population))
        let fit = try MessageFitter.fit(messages, model: model, maxTokens: maxTokens)
        let response = try await model.complete(
            ChatRequest(messages: fit.messages, temperature: temperature, maxTokens: maxTokens))
        let text = response.content.trimmingCharacters(in: .whitespacesAndNewlines)
        return .text(text.isEmpty ? "###STOP###" : text)
    }
}

/// An external agent reached over HTTP with Agora's webhook protocol (docs/agents.md): each turn POSTs
/// `{"task_id", "policy", "tools", "messages"}` and expects `{"content"}` or `{"tool_calls": [{id, name, arguments}]}`.
///
/// Requests go through Inference's one HTTP seam (``JSONHTTPClient``): retries with backoff on 408,
/// 409, 429 and 5xx honouring `Retry-After`, a limit on requests in flight, and cancellation that
/// stops the request on the wire. Share one client between the agents of a run.
public struct WebhookAgent: ToolTaskAgent {
    /// The endpoint.
    public var url: URL
    /// The client the turns are posted with.
    public var client: JSONHTTPClient

    /// Creates the agent; `client` defaults to a new one with a 120 s request timeout.
    public init(url: URL, client: JSONHTTPClient = JSONHTTPClient(requestTimeout: 120)) {
        self.url = url
        self.client = client
    }

    /// The JSON body of one turn.
    public static func body(_ view: AgentView) throws(MemoryError) -> JSONValue {
        let messages: [JSONValue] = try ModelToolAgent.messages(view).map { m in
            var o = JSONObject([("role", .string(m.role.rawValue)), ("content", .string(m.content))])
            if !m.toolCalls.isEmpty {
                o["tool_calls"] = .array(
                    m.toolCalls.map {
                        .object(
                            JSONObject([
                                ("id", .string($0.id)), ("name", .string($0.name)),
                                ("arguments", .string($0.arguments)),
                            ]))
                    })
            }
            if let id = m.toolCallID { o["tool_call_id"] = .string(id) }
            return .object(o)
        }
        return .object(
            JSONObject([
                ("task_id", .string(view.task.id)), ("policy", .string(view.policy)),
                ("tools", .array(view.tools.map(\.openAIFunction))), ("messages", .array(messages)),
            ]))
    }

    /// Posts the turn and decodes the answer.
    public func next(_ view: AgentView) async throws -> AgentMessage {
        let body = Data(try Self.body(view).serialized().utf8)
        let (_, data) = try await client.post(url, json: body)
        guard let reply = try? JSONValue.parse(data) else {
            throw RunError(.invalidInput, "webhook \(url) did not answer JSON (docs/agents.md has the reply format)")
        }
        let calls = (reply["tool_calls"]?.arrayValue ?? []).enumerated().map { i, c in
            ToolInvocation(
                id: c["id"]?.stringValue ?? "call_\(i)", name: c["name"]?.stringValue ?? "",
                arguments: c["arguments"]?.stringValue ?? c["arguments"].map { CanonicalJSON.string($0) } ?? "{}")
        }
        return AgentMessage(text: reply["content"]?.stringValue, calls: calls)
    }
}
