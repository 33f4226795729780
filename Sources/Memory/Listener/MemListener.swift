public import Inference
public import Storage

/// Settings of the MemListener.
public struct MemListenerConfig: Hashable, Sendable {
    /// How many exchanges involving the viewer make one chunk (spec: 3).
    public var exchangesPerChunk = 3
    /// Sampling temperature of the call.
    public var temperature: Double? = 0
    /// Token cap of the answer (small models can run on inside a string).
    public var maxTokens: Int? = 400
    /// Growth limits applied to the proposed ops.
    public var limits = TreeLimits()
    /// The defaults.
    public init() {}
}

/// The record of one MemListener call: what it saw, what it answered, what happened to each op.
public struct MemListenerRecord: Hashable, Sendable {
    /// Which wire format produced the ops.
    public enum Wire: String, Hashable, Codable, Sendable {
        /// Structured output `{"ops": [...]}`.
        case structured
        /// The line grammar (fallback).
        case lines
        /// No answer could be used.
        case none
    }

    /// Whose tree.
    public let viewer: ParticipantID
    /// The first seq of the chunk.
    public let fromSeq: Int
    /// The last seq of the chunk (stamped as `updatedAt`).
    public let toSeq: Int
    /// The wire format used.
    public let wire: Wire
    /// The model's raw answer(s), in order.
    public let raw: [String]
    /// The parsed ops.
    public let ops: [MemoryOp]
    /// One outcome per op.
    public let outcomes: [OpOutcome]
    /// Lines or items that were not ops.
    public let parseErrors: [OpParseError]
    /// Why the call produced nothing, when it failed.
    public let failure: String?

    /// The record as JSON (for the run store).
    public var jsonValue: JSONValue {
        var o = JSONObject([
            ("viewer", .string(viewer.raw)), ("fromSeq", .integer(Int64(fromSeq))), ("toSeq", .integer(Int64(toSeq))),
            ("wire", .string(wire.rawValue)), ("raw", .array(raw.map { .string($0) })),
        ])
        o["ops"] = .array(
            zip(ops, outcomes).map { op, outcome in
                .object(
                    JSONObject([
                        ("op", .string(op.name)), ("path", .string(op.path?.description ?? "")),
                        ("value", .string(op.value ?? "")), ("outcome", .string(outcome.description)),
                    ]))
            })
        o["parseErrors"] = .array(parseErrors.map { .string($0.description) })
        if let failure { o["failure"] = .string(failure) }
        return .object(o)
    }
}

/// Proposes PersonaTree operations from what one participant experienced (spec memory.md §B.2.4).
///
/// Its input is the viewer's full tree (empty slots included) and the chunk rendered from the
/// viewer's projection only, so it can never see what the viewer could not (invariant M1). It asks
/// for structured output and falls back to the line grammar; every outcome, parse error and
/// failure is recorded, and nothing it answers can make it throw.
public struct MemListener: Sendable {
    /// The model that proposes ops.
    public let model: any LanguageModel
    /// Settings.
    public var config: MemListenerConfig

    /// Creates a listener.
    public init(model: any LanguageModel, config: MemListenerConfig = MemListenerConfig()) {
        self.model = model
        self.config = config
    }

    /// The chunk as the viewer experienced it: its visible events in `log` rendered from its
    /// projection, others labelled by name and its own turns as `You (Name): …`.
    public static func chunkText(log: [Event], viewer: ParticipantID, roster: [Participant]) throws(MemoryError)
        -> String
    {
        var config = ProjectionConfig()
        config.labelOthers = .always
        let engine = try ProjectionEngine(roster: roster, viewer: viewer, config: config)
        let me = engine.viewer.displayName
        var lines: [String] = []
        for e in try engine.visibleEvents(log) {
            guard let s = engine.egocentric(e) else { continue }
            switch s.role {
            case .assistant:
                if let call = s.toolCalls.first {
                    lines.append("You (\(me)) used tool \(call.name) with \(call.arguments)")
                } else {
                    lines.append("You (\(me)): \(s.content)")
                }
            case .tool: lines.append("[Tool result] \(s.content)")
            default: lines.append(s.content)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The structured-output request for one chunk (pure; exposed for tests and caching).
    public func request(
        tree: PersonaTree, log: [Event], viewer: ParticipantID, roster: [Participant]
    ) throws(MemoryError) -> ChatRequest {
        let chunk = try Self.chunkText(log: log, viewer: viewer, roster: roster)
        guard let me = roster.first(where: { $0.id == viewer }) else {
            throw MemoryError(.unknownParticipant, "unknown viewer \"\(viewer)\"")
        }
        let others = roster.filter { $0.id != viewer && $0.role != .observer }
        return request(tree: tree, chunkText: chunk, viewerName: me.displayName, others: others)
    }

    /// The chunk text from already projected messages (the viewer's own projection of the chunk,
    /// system message excluded): user messages as they are, the viewer's own as `You (Name): …`,
    /// tool results as `[Tool result] …`; kickoff and turn-cue lines are dropped.
    public static func chunkText(
        messages: [ProjectedMessage], viewerName: String, config: ProjectionConfig = ProjectionConfig()
    ) -> String {
        var lines: [String] = []
        for m in messages {
            switch m.role {
            case .system:
                continue
            case .assistant:
                if let call = m.toolCalls.first {
                    lines.append("You (\(viewerName)) used tool \(call.name) with \(call.arguments)")
                } else {
                    // Merged own turns are separated by a blank line, as in the projection.
                    for paragraph in m.content.split(separator: "\n\n", omittingEmptySubsequences: true) {
                        lines.append("You (\(viewerName)): \(paragraph)")
                    }
                }
            case .tool:
                lines.append("[Tool result] \(m.content)")
            case .user:
                for paragraph in m.content.split(separator: "\n\n", omittingEmptySubsequences: true)
                where paragraph != config.kickoffText && paragraph != config.turnCueText {
                    lines.append(String(paragraph))
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The structured-output request for a chunk already rendered as text; `others` are the
    /// participants named in the prompt (so beliefs about them use their ids).
    public func request(tree: PersonaTree, chunkText chunk: String, viewerName name: String, others: [Participant])
        -> ChatRequest
    {
        let list = others.map { "\($0.displayName) (id \($0.id.raw))" }.joined(separator: ", ")
        let system = Self.instructions(
            name: name, hasBeliefsAbout: tree.node(at: TreePath(trusted: ["beliefsAbout"])) != nil)
        let user = """
            Other participants: \(list.isEmpty ? "none" : list)

            Memory tree of \(name):
            \(tree.listenerView())

            New part of the conversation, as \(name) experienced it:
            \(chunk.isEmpty ? "(nothing new)" : chunk)

            Propose the operations.
            """
        return ChatRequest(
            messages: [.system(system), .user(user)], temperature: config.temperature, maxTokens: config.maxTokens)
    }

    static func instructions(name: String, hasBeliefsAbout: Bool) -> String {
        var rules = [
            "Cover every new fact, trait, preference, experience or change about \(name) that this part shows, including what \(name) said about themself.",
            "Treat filled leaves as already known; do not repeat them.",
            "The latest explicit statement wins.",
            "ADD fills an empty leaf or creates a new leaf under an existing branch; UPDATE rewrites a leaf, folding the old and the new value into one; DELETE only when something is explicitly negated.",
            "Use the most specific path; one operation per attribute; short values (a few words).",
            "Never change leaves marked [locked], never contradict them, and never create new top-level categories.",
            "Record only what \(name) saw or heard here; never guess what others said in private.",
            "If nothing changes, answer with a single NO_OP.",
        ]
        if hasBeliefsAbout {
            rules.insert(
                "What \(name) learned about another participant goes under beliefsAbout.<their id>.<aspect>.", at: 5)
        }
        return
            "You keep the long-term memory of \(name), a person in a conversation. The memory is a tree of facts about \(name), shown as `path: \"value\"` lines (dotted paths). Read the new part of the conversation as \(name) experienced it and propose operations that keep the tree up to date.\nRules:\n"
            + rules.map { "- " + $0 }.joined(separator: "\n")
    }

    static let lineGrammarInstruction = """
        Write one operation per line and nothing else:
        ADD(path, "value")
        UPDATE(path, "value")
        DELETE(path)
        NO_OP()
        """

    /// Runs one MemListener call on the chunk `log` (events with seqs `fromSeq…toSeq`, the part of
    /// the full log to learn from) and applies the proposed ops to `tree` strictly.
    public func update(
        _ tree: inout PersonaTree, log: [Event], viewer: ParticipantID, roster: [Participant]
    ) async -> MemListenerRecord {
        let fromSeq = log.first?.seq ?? 0
        let toSeq = log.last?.seq ?? 0
        let request: ChatRequest
        do { request = try self.request(tree: tree, log: log, viewer: viewer, roster: roster) } catch {
            return MemListenerRecord(
                viewer: viewer, fromSeq: fromSeq, toSeq: toSeq, wire: .none, raw: [], ops: [], outcomes: [],
                parseErrors: [], failure: error.message)
        }
        return await run(request, tree: &tree, viewer: viewer, fromSeq: fromSeq, toSeq: toSeq)
    }

    /// Runs one MemListener call on a chunk given as the viewer's projected messages (the
    /// Agents-side seam) and applies the ops, stamping `updatedAt = throughSeq`.
    public func update(
        _ tree: inout PersonaTree, chunk: [ProjectedMessage], viewer: Participant, others: [Participant],
        throughSeq: Int
    ) async -> MemListenerRecord {
        let text = Self.chunkText(messages: chunk, viewerName: viewer.displayName)
        let request = request(tree: tree, chunkText: text, viewerName: viewer.displayName, others: others)
        let fromSeq = chunk.flatMap(\.sources).min() ?? throughSeq
        return await run(request, tree: &tree, viewer: viewer.id, fromSeq: fromSeq, toSeq: throughSeq)
    }

    /// Asks for structured ops, falls back to the line grammar, applies what parsed; never throws.
    func run(_ request: ChatRequest, tree: inout PersonaTree, viewer: ParticipantID, fromSeq: Int, toSeq: Int) async
        -> MemListenerRecord
    {
        func record(_ wire: MemListenerRecord.Wire, _ raw: [String], _ parsed: ParsedOps, failure: String?)
            -> MemListenerRecord
        {
            let outcomes = tree.apply(parsed.ops, seq: toSeq, limits: config.limits)
            return MemListenerRecord(
                viewer: viewer, fromSeq: fromSeq, toSeq: toSeq, wire: wire, raw: raw, ops: parsed.ops,
                outcomes: outcomes, parseErrors: parsed.errors, failure: failure)
        }
        var raw: [String] = []
        var firstFailure: String
        do {
            let result = try await StructuredGenerator(model: model).generate(
                request, schema: OpParser.schema, name: "memory_ops")
            raw.append(result.raw)
            return record(.structured, raw, OpParser.parseStructured(result.value), failure: nil)
        } catch {
            firstFailure = error.message
        }
        // Fallback: the line grammar, parsed tolerantly.
        var lines = request
        lines.messages[0].content += "\n\n" + Self.lineGrammarInstruction
        do {
            let response = try await model.complete(lines)
            raw.append(response.content)
            return record(.lines, raw, OpParser.parseLines(response.content), failure: nil)
        } catch {
            firstFailure += "; line-grammar fallback: \(error)"
        }
        return record(.none, raw, ParsedOps(), failure: firstFailure)
    }
}

/// Where MemListener chunks end: after every `exchangesPerChunk` of the viewer's own utterances,
/// and at the end of the session.
public enum MemListenerSchedule {
    /// The seq ranges (`from…to`, inclusive) of the chunks of `log` after `after` for `viewer`.
    /// Only complete chunks are returned unless `sessionEnded`, when the remainder (if it holds
    /// anything the viewer saw) is the last chunk. Boundaries fall right after an own utterance,
    /// so a tool call and its result are never split.
    public static func chunks(
        log: [Event], viewer: Participant, after: Int = -1, exchangesPerChunk: Int = 3, sessionEnded: Bool,
        backlog: ProjectionConfig.BacklogPolicy = .fromJoin
    ) -> [ClosedRange<Int>] {
        var ranges: [ClosedRange<Int>] = []
        var start: Int?
        var exchanges = 0
        var sawVisible = false
        for e in log where e.seq > after {
            if start == nil { start = e.seq }
            if isVisible(e, to: viewer, backlog: backlog) && e.kind != .thought { sawVisible = true }
            if e.kind == .utterance && e.speaker == viewer.id {
                exchanges += 1
                if exchanges == max(exchangesPerChunk, 1), let s = start {
                    ranges.append(s...e.seq)
                    start = nil
                    exchanges = 0
                    sawVisible = false
                }
            }
        }
        if sessionEnded, let s = start, sawVisible, let last = log.last?.seq { ranges.append(s...last) }
        return ranges
    }
}
