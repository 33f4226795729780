public import Inference
import Memory
public import Storage

/// The prompt-size estimate used to fit requests to a model's context window.
///
/// It is deliberately conservative: `ceil(UTF-8 bytes / 3)` per message plus 4 tokens of chat
/// framing, which over-counts English text for BPE tokenisers (about 4 characters per token) so a
/// fitted request does not overflow a window the estimate cannot see exactly.
public enum PromptSize {
    /// Tokens of chat framing counted per message.
    public static let framing = 4

    /// The estimated prompt tokens of `messages`.
    public static func estimate(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { total, message in
            var bytes = message.content.utf8.count
            for call in message.toolCalls { bytes += call.name.utf8.count + call.arguments.utf8.count }
            return total + (bytes + 2) / 3 + framing
        }
    }

    /// Tokens reserved for the answer when a request names no `maxTokens`.
    public static let defaultCompletionReserve = 512

    /// The prompt tokens a request may use in a window of `window` tokens with `maxTokens` reserved
    /// for the answer.
    public static func available(window: Int, maxTokens: Int?) -> Int {
        window - (maxTokens ?? defaultCompletionReserve)
    }

    /// The error for a request that cannot fit: a configuration error naming the model, its window
    /// and the prompt's size (exit code 2).
    public static func tooLong(model: String, window: Int, prompt: Int, maxTokens: Int?, what: String)
        -> InferenceError
    {
        InferenceError(
            .promptTooLong,
            "the prompt does not fit \(model)'s context window of \(window) tokens: \(what) alone need about "
                + "\(prompt) tokens (estimated) plus \(maxTokens ?? defaultCompletionReserve) for the answer; "
                + "use a model with a larger window (or --context-window if the server's is larger than detected), "
                + "or shorten the persona, instructions or policy",
            model: model)
    }
}

/// What a turn's prompt showed and what it left out: the history window, the memory budget and
/// fitting to the model's context window. Kept on the turn record and in the run store.
public struct ContextRecord: Sendable, Hashable {
    /// Events of the history shown verbatim.
    public var historyShown: Int
    /// Events the agent saw that the prompt does not show (the window's cut and fitting).
    public var historyHidden: Int
    /// Learned memory entries shown.
    public var memoryShown: Int
    /// Memory entries cut (PersonaTree paths, in the spec's salience order).
    public var memoryDropped: [String]
    /// Recalled moments shown.
    public var recalled: Int
    /// The estimated prompt tokens (``PromptSize``).
    public var promptTokens: Int
    /// The context window the request was fitted to (`nil`: unknown, sent unfitted).
    public var fittedTo: Int?
    /// Events fitting removed beyond the configured window.
    public var fitDroppedEvents: Int = 0
    /// Memory entries fitting removed beyond the configured budget.
    public var fitDroppedMemory: Int = 0
    /// Recalled moments and thoughts fitting removed.
    public var fitDroppedNotes: Bool = false
    /// The memory render shown, for the agent to keep until the window's cut moves (not stored).
    public var memorySnapshot: MemorySnapshot?

    /// Whether anything was left out.
    public var leftSomethingOut: Bool {
        historyHidden > 0 || !memoryDropped.isEmpty || fitDroppedEvents > 0 || fitDroppedNotes
    }

    /// The record as JSON (for the run store).
    public var jsonValue: JSONValue {
        var object = JSONObject([
            ("historyShown", .integer(Int64(historyShown))), ("historyHidden", .integer(Int64(historyHidden))),
            ("memoryShown", .integer(Int64(memoryShown))), ("memoryDropped", .array(memoryDropped.map { .string($0) })),
            ("recalled", .integer(Int64(recalled))), ("promptTokens", .integer(Int64(promptTokens))),
        ])
        if let fittedTo {
            object["fittedTo"] = .integer(Int64(fittedTo))
            object["fitDroppedEvents"] = .integer(Int64(fitDroppedEvents))
            object["fitDroppedMemory"] = .integer(Int64(fitDroppedMemory))
            object["fitDroppedNotes"] = .bool(fitDroppedNotes)
        }
        return .object(object)
    }
}

extension Agent {
    /// The turn's messages fitted to the model's context window (spec: the history window shrinks
    /// first, then the learned memory, then recalled moments and thoughts; never the persona core,
    /// the instructions or the cue).
    ///
    /// - Throws: ``AgentError``, or `InferenceError` (`promptTooLong`) when nothing more can go.
    func fitted(
        _ context: TurnContext, extraCue: String?, recalled: [EpisodicDocument], maxTokens: Int?
    ) throws -> (messages: [ChatMessage], record: ContextRecord) {
        let configured = try assemble(
            context, extraCue: extraCue, recalled: recalled, window: settings.historyWindow,
            memoryBudget: settings.memoryBudgetTokens)
        guard let window = model.contextWindow else { return configured }
        let limit = PromptSize.available(window: window, maxTokens: maxTokens)
        var result = configured
        result.record.fittedTo = window
        if result.record.promptTokens <= limit { return result }

        // 1. The history: the largest tail (then head) that fits, found by bisection.
        let shownNow = configured.record.historyShown
        let head = min(settings.historyWindow?.first ?? 2, 2)
        func attempt(first: Int, last: Int, memory: Int, notes: Bool) throws -> (
            messages: [ChatMessage], record: ContextRecord
        ) {
            try assemble(
                context, extraCue: extraCue, recalled: notes ? recalled : [],
                window: HistoryWindow(first: first, last: last), memoryBudget: memory)
        }
        var memoryBudget = settings.memoryBudgetTokens
        var best = try attempt(first: 0, last: 0, memory: memoryBudget, notes: true)
        if best.record.promptTokens <= limit {
            var lo = 0
            var hi = max(0, shownNow - head)
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                let candidate = try attempt(first: head, last: mid, memory: memoryBudget, notes: true)
                if candidate.record.promptTokens <= limit {
                    lo = mid
                    best = candidate
                } else {
                    hi = mid - 1
                }
            }
            if lo == 0 {
                let headOnly = try attempt(first: head, last: 0, memory: memoryBudget, notes: true)
                if headOnly.record.promptTokens <= limit { best = headOnly }
            }
        } else {
            // 2. The learned memory, halved until it fits (the history is already gone).
            while memoryBudget > 0 {
                memoryBudget /= 2
                best = try attempt(first: 0, last: 0, memory: memoryBudget, notes: true)
                if best.record.promptTokens <= limit { break }
            }
            // 3. Recalled moments.
            if best.record.promptTokens > limit {
                best = try attempt(first: 0, last: 0, memory: 0, notes: false)
                best.record.fitDroppedNotes = !recalled.isEmpty
            }
        }
        if best.record.promptTokens > limit {
            throw PromptSize.tooLong(
                model: model.identifier, window: window, prompt: best.record.promptTokens, maxTokens: maxTokens,
                what: "the persona, the instructions and the cue")
        }
        best.record.fittedTo = window
        best.record.fitDroppedEvents = max(0, shownNow - best.record.historyShown)
        best.record.fitDroppedMemory = max(0, best.record.memoryDropped.count - configured.record.memoryDropped.count)
        return best
    }
}

/// Fits a finished message list (a tool-task agent's or simulated user's view) to a model's
/// context window: the system message (the policy) and the last message (the current cue) stay;
/// the oldest exchanges go first, a whole exchange at a time (from one user message to the next,
/// so a tool call never loses its result and roles keep alternating).
public enum MessageFitter {
    /// What fitting did.
    public struct Fit: Sendable {
        /// The messages to send.
        public var messages: [ChatMessage]
        /// Messages left out (oldest first).
        public var dropped: Int
        /// The estimated prompt tokens.
        public var promptTokens: Int
    }

    /// Fits `messages` to `model`'s window with `maxTokens` reserved for the answer; unchanged when
    /// the window is unknown or the messages fit.
    ///
    /// - Throws: `InferenceError` (`promptTooLong`) when the system message and the last exchange
    ///   alone do not fit.
    public static func fit(_ messages: [ChatMessage], model: any LanguageModel, maxTokens: Int?) throws(InferenceError)
        -> Fit
    {
        let size = PromptSize.estimate(messages)
        guard let window = model.contextWindow else { return Fit(messages: messages, dropped: 0, promptTokens: size) }
        let limit = PromptSize.available(window: window, maxTokens: maxTokens)
        if size <= limit { return Fit(messages: messages, dropped: 0, promptTokens: size) }
        let head = messages.first?.role == .system ? 1 : 0
        // Exchange starts: user messages after the head; the last exchange always stays.
        let starts = messages.indices.filter { $0 >= head && messages[$0].role == .user }
        var kept = messages
        var dropped = 0
        for start in starts.dropFirst() {
            let candidate = Array(messages[..<head]) + Array(messages[start...])
            kept = candidate
            dropped = start - head
            if PromptSize.estimate(candidate) <= limit { break }
        }
        let keptSize = PromptSize.estimate(kept)
        guard keptSize <= limit else {
            throw PromptSize.tooLong(
                model: model.identifier, window: window, prompt: keptSize, maxTokens: maxTokens,
                what: "the system prompt (policy) and the latest message")
        }
        return Fit(messages: kept, dropped: dropped, promptTokens: keptSize)
    }
}
