import Inference
public import Storage

/// What `agora memory project` needs: a transcript file, a viewer and the projection settings.
public struct ProjectionCommandInput: Hashable, Sendable {
    /// The JSON Lines transcript path.
    public var logPath: String
    /// The viewer's participant id.
    public var viewer: String
    /// The system text (no system message when nil or empty).
    public var system: String?
    /// The projection settings.
    public var config: ProjectionConfig

    /// Creates an input.
    public init(logPath: String, viewer: String, system: String? = nil, config: ProjectionConfig = ProjectionConfig()) {
        self.logPath = logPath
        self.viewer = viewer
        self.system = system
        self.config = config
    }

    /// Loads the transcript, projects it for the viewer and returns the messages as a JSON array of
    /// `{"role", "content", "tool_calls"?: [{"id", "name", "arguments"}], "tool_call_id"?}`.
    public func run() throws(MemoryError) -> String {
        let transcript = try TranscriptJSONL.load(logPath)
        let id: ParticipantID
        do { id = try ParticipantID(viewer) } catch {
            throw MemoryError(.unknownParticipant, "--viewer \"\(viewer)\": \(error.message)")
        }
        guard transcript.participant(id) != nil else {
            throw MemoryError(
                .unknownParticipant,
                "--viewer \"\(viewer)\" is not in the roster of \(logPath); use one of: \(transcript.roster.map(\.id.raw).joined(separator: ", "))"
            )
        }
        let messages = try transcript.projection(for: id, system: system ?? "", config: config)
        return Self.json(messages).serialized(pretty: true)
    }

    /// Projected messages in the OpenAI-style wire shape.
    public static func json(_ messages: [ProjectedMessage]) -> JSONValue {
        .array(
            messages.map { m in
                var o = JSONObject([("role", .string(m.role.rawValue)), ("content", .string(m.content))])
                if !m.toolCalls.isEmpty {
                    o["tool_calls"] = .array(
                        m.toolCalls.map { c in
                            .object(
                                JSONObject([
                                    ("id", .string(c.id)), ("name", .string(c.name)),
                                    ("arguments", .string(c.arguments)),
                                ]))
                        })
                }
                if let id = m.toolCallID { o["tool_call_id"] = .string(id) }
                return .object(o)
            })
    }
}
