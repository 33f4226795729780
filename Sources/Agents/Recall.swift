import Foundation
public import Inference
public import Memory
public import Storage

/// Which part of a long conversation an agent's prompt shows verbatim (spec memory.md §A.5.5): the
/// first `first` and the last `last` events the agent saw. Older events stay reachable through the
/// agentic recall path (``RecallSettings``) and the agent's PersonaTree.
public struct HistoryWindow: Sendable, Hashable {
    /// Events kept from the start of what the agent saw (e.g. the scenario's opening).
    public var first: Int
    /// Events kept from the end (at least; see ``step``).
    public var last: Int
    /// How far the cut between the hidden and the shown part moves at once. With step 1 exactly
    /// the last `last` events are shown and the cut moves on every new event, so no two requests
    /// share more than the system message and the head. With a larger step the tail holds between
    /// `last` and `last + step - 1` events and the cut moves only every `step` events: in between,
    /// each request extends the previous one, which providers can serve from their prefix cache.
    public var step: Int

    /// Creates a window.
    public init(first: Int = 2, last: Int = 12, step: Int = 1) {
        self.first = max(0, first)
        self.last = max(0, last)
        self.step = max(1, step)
    }
}

/// The agentic retrieval path of spec memory.md §B.2.5, with deployable triggers.
///
/// Before a turn, when the agent saw events that its prompt no longer shows (they fell outside the
/// ``HistoryWindow``), the path runs if either trigger fires on the current input (the cue of the
/// turn and the latest thing someone else said or narrated that the agent saw):
/// - (a) the input asks for specifics (dates, quotes, exact words, an earlier moment:
///   Memory's `AgenticTrigger.asksForDetails`);
/// - (b) the agent's PersonaTree has no filled leaf with BM25 ≥ ``tau`` for the input.
///
/// It then asks the model for two or three search queries conditioned on the pruned tree, searches
/// the agent's episodic store (only events it saw and that the prompt does not already show — M1)
/// per query, takes the union, reranks it against the input and keeps the best ``limit`` (ties by
/// seq). The turn is answered with the tree and the recalled moments in the system message.
public struct RecallSettings: Sendable, Hashable {
    /// Trigger (b)'s threshold: the best BM25 score of a tree leaf for the input.
    public var tau: Double
    /// Whether trigger (a), the detail-request cue, is used.
    public var detailCue: Bool
    /// Whether trigger (b), the tree-coverage test, is used (only with a PersonaTree memory).
    public var treeCoverage: Bool
    /// Recalled moments kept (spec: 4).
    public var limit: Int
    /// Queries asked of the rewrite call (spec: 2–3).
    public var maxQueries: Int
    /// Token limit of the rewrite answer.
    public var maxTokens: Int?
    /// Token budget of the tree shown to the rewrite call (characters / 4).
    public var treeBudgetTokens: Int

    /// Creates settings.
    public init(
        tau: Double = 1.0, detailCue: Bool = true, treeCoverage: Bool = true, limit: Int = 4, maxQueries: Int = 3,
        maxTokens: Int? = 96, treeBudgetTokens: Int = 300
    ) {
        self.tau = tau
        self.detailCue = detailCue
        self.treeCoverage = treeCoverage
        self.limit = max(1, limit)
        self.maxQueries = max(1, maxQueries)
        self.maxTokens = maxTokens
        self.treeBudgetTokens = treeBudgetTokens
    }
}

/// What the recall path did on one turn (kept on the turn record and in the run store).
public struct RecallRecord: Sendable, Hashable {
    /// Which trigger fired.
    public enum Trigger: String, Sendable, Hashable, Codable {
        /// (a): the input asks for specifics.
        case detailRequest
        /// (b): no tree leaf covers the input.
        case treeLacksAnswer
    }

    /// The trigger that fired.
    public var trigger: Trigger
    /// The input the path answered (cue and latest visible message of someone else).
    public var question: String
    /// The queries searched (the question alone when the rewrite call failed).
    public var queries: [String]
    /// The seqs of the recalled events, in the order shown (seq order).
    public var recalled: [Int]
    /// Why the rewrite call failed, if it did (the question was searched instead).
    public var failure: String?

    /// Creates a record.
    public init(trigger: Trigger, question: String, queries: [String], recalled: [Int], failure: String? = nil) {
        self.trigger = trigger
        self.question = question
        self.queries = queries
        self.recalled = recalled
        self.failure = failure
    }

    /// The record as JSON (for the run store).
    public var jsonValue: JSONValue {
        var object = JSONObject([
            ("trigger", .string(trigger.rawValue)), ("question", .string(question)),
            ("queries", .array(queries.map { .string($0) })),
            ("recalled", .array(recalled.map { .integer(Int64($0)) })),
        ])
        if let failure { object["failure"] = .string(failure) }
        return .object(object)
    }
}

/// The result of ``Agent/recall(in:shown:)``.
public struct RecallResult: Sendable {
    /// What happened.
    public var record: RecallRecord
    /// The recalled moments, in seq order.
    public var moments: [EpisodicDocument]
    /// Tokens of the rewrite call.
    public var usage: Usage
    /// Model calls made (the rewrite call and its repair round).
    public var calls: Int
}

extension Agent {
    /// The JSON Schema of a rewrite answer: `{"queries": [1…maxQueries strings]}`.
    static func querySchema(maxQueries: Int) -> JSONValue {
        .object(
            JSONObject([
                ("type", "object"),
                (
                    "properties",
                    .object(
                        JSONObject([
                            (
                                "queries",
                                .object(
                                    JSONObject([
                                        ("type", "array"), ("minItems", 1), ("maxItems", .integer(Int64(maxQueries))),
                                        ("items", .object(JSONObject([("type", "string"), ("maxLength", 120)]))),
                                    ]))
                            )
                        ]))
                ),
                ("required", ["queries"]), ("additionalProperties", false),
            ]))
    }

    /// The events of the log this agent's prompt shows verbatim: every event it sees, or only those
    /// inside ``AgentSettings/historyWindow``.
    func shownEvents(_ context: TurnContext) -> [Event] {
        events(context, window: settings.historyWindow)
    }

    /// The current input of a turn: the turn's cue and the latest utterance or narration by someone
    /// else that this agent saw.
    func currentInput(_ context: TurnContext) -> String {
        var parts: [String] = []
        if let me = context.transcript.roster.first(where: { $0.id == id }),
            let last = context.transcript.events.last(where: {
                $0.speaker != id && ($0.kind == .utterance || $0.kind == .narration)
                    && isVisible($0, to: me, backlog: context.projection.backlog)
            })
        {
            parts.append(last.content)
        }
        if let cue = context.cue, !cue.isEmpty { parts.append(cue) }
        return parts.joined(separator: "\n")
    }

    /// Runs the agentic recall path for this turn when ``AgentSettings/recall`` is set, the agent
    /// saw events its prompt no longer shows (`shown` holds the seqs the prompt shows), and a
    /// trigger fires; returns `nil` otherwise.
    ///
    /// A failed rewrite call is not fatal: the question itself is searched and the failure recorded.
    ///
    /// - Throws: ``AgentError`` for a log that cannot be read for this agent, or `cancelled`.
    public func recall(in context: TurnContext, shown: Set<Int>) async throws(AgentError) -> RecallResult? {
        guard let settings = settings.recall else { return nil }
        let question = currentInput(context).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty else { return nil }
        // The triggers first: they are cheap, and most turns fire none (indexing the hidden events
        // on every turn cost more CPU than the rest of the turn in a 300-round brainstorm).
        let tree = memory as? PersonaTree
        let trigger: RecallRecord.Trigger
        if settings.detailCue && AgenticTrigger.asksForDetails(question) {
            trigger = .detailRequest
        } else if settings.treeCoverage, let tree,
            AgenticTrigger.treeLacksAnswer(tree, query: question, tau: settings.tau)
        {
            trigger = .treeLacksAnswer
        } else {
            return nil
        }
        let store: EpisodicStore
        do {
            store = try EpisodicStore(
                log: context.transcript.events, viewer: id, roster: context.transcript.roster,
                backlog: context.projection.backlog, excluding: shown)
        } catch {
            throw AgentError(.projection, "cannot read the log for \(id)'s recall: \(error.message)", underlying: error)
        }
        guard !store.index.documents.isEmpty else { return nil }

        var queries = [question]
        var failure: String?
        var usage = Usage()
        var calls = 0
        let name = profile.displayName
        let known = tree?.render(.outline, budget: settings.treeBudgetTokens).text ?? ""
        let request = ChatRequest(
            messages: [
                .system("You help \(name) recall earlier moments of a conversation \(name) took part in."),
                .user(
                    (known.isEmpty ? "" : "What \(name) knows about themself:\n\(known)\n\n")
                        + "The current message to \(name):\n\(question)\n\n"
                        + "Write 2 or 3 short keyword queries that would find the earlier moments \(name) needs to answer it. "
                        + "Reply with JSON {\"queries\": [\"...\"]}."),
            ], temperature: 0, maxTokens: settings.maxTokens, seed: Self.requestSeed(context.seed ^ 0x5EC0_11))
        do {
            let result = try await StructuredGenerator(model: model).generate(
                request, schema: Self.querySchema(maxQueries: settings.maxQueries), name: "recall_queries")
            calls = result.attempts
            usage = result.usage
            let written = (result.value["queries"]?.arrayValue ?? []).compactMap {
                $0.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            .filter { !$0.isEmpty }
            if written.isEmpty { failure = "the rewrite returned no query" } else { queries = written }
        } catch {
            if error.code == .cancelled || Task.isCancelled {
                throw AgentError(.cancelled, "\(id)'s recall was cancelled", underlying: error)
            }
            calls = error.code == .invalidStructuredOutput ? 2 : 1
            failure = error.message
        }
        let hits: [EpisodicHit]
        do {
            hits = try await store.retrieve(queries: queries, question: question, limit: settings.limit)
        } catch {
            throw AgentError(.invalidInput, "\(id)'s recall search failed: \(error)")
        }
        let moments = hits.map(\.document).sorted { $0.seq < $1.seq }
        return RecallResult(
            record: RecallRecord(
                trigger: trigger, question: question, queries: queries, recalled: moments.map(\.seq), failure: failure),
            moments: moments, usage: usage, calls: calls)
    }
}
