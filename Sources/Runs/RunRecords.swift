public import Storage

/// What a run store knows about its run: written once when the run is created.
public struct RunManifest: Sendable, Hashable {
    /// The run id (the run folder's name).
    public var runID: String
    /// What produced the run: a scenario kind (`survey`), or another producer's word (`tool-task`).
    public var kind: String
    /// The scenario (or task set) document, as given.
    public var document: JSONValue
    /// SHA-256 (hex) of the canonical JSON of ``document``.
    public var digest: String
    /// The file the document came from, if any.
    public var sourceFile: String?
    /// The run seed.
    public var seed: UInt64
    /// The model identifier the run was started with.
    public var model: String
    /// What was learned about each model endpoint the run connected to (server, context window and
    /// its source, structured-output form; ``ServerProfile/json(model:endpoint:)``), in connection
    /// order; empty when none was connected (scripted models, `agora report`).
    public var models: [JSONValue] = []
    /// The shard this run folder holds (`agora run --shard I/N`), or `nil` for a whole run (and a
    /// merged one).
    public var shard: RunShard?

    /// Creates a manifest; the digest is computed from `document`.
    public init(runID: String, kind: String, document: JSONValue, sourceFile: String?, seed: UInt64, model: String) {
        self.runID = runID
        self.kind = kind
        self.document = document
        self.digest = Self.digest(of: document)
        self.sourceFile = sourceFile
        self.seed = seed
        self.model = model
    }

    /// SHA-256 (hex) of the canonical JSON of `document`.
    public static func digest(of document: JSONValue) -> String { SHA256.hex(CanonicalJSON.string(document)) }
}

/// One unit of work: a survey respondent, an interview, a group session, a tool-task trial.
public struct UnitSpec: Sendable, Hashable {
    /// The position in the run (0-based); outputs are written in this order.
    public var index: Int
    /// A stable id (`r000042`, `session-1`, `task-7/trial-2`).
    public var id: String
    /// The kind of unit (`survey-respondent`, `interview`, `session`, `tool-task`).
    public var kind: String
    /// What the unit needs to run (persona ids, task id, trial number…).
    public var input: JSONValue

    /// Creates a unit.
    public init(index: Int, id: String, kind: String, input: JSONValue) {
        self.index = index
        self.id = id
        self.kind = kind
        self.input = input
    }
}

/// The state of a unit in the store.
public enum UnitStatus: String, Sendable, Hashable {
    /// Not finished (never started, or interrupted): runs on resume.
    case pending
    /// Finished; its events and result are stored. Never runs again.
    case done
    /// Failed as a whole (e.g. the model kept failing); runs again on resume.
    case failed
}

/// One event of a unit's conversation or episode, in order.
public struct RunEvent: Sendable, Hashable {
    /// The position in the unit (0-based, dense).
    public var seq: Int
    /// What happened (`utterance`, `thought`, `narration`, `toolCall`, `toolResult`, `answer`…).
    public var kind: String
    /// Who acted (a persona or role id), or `nil` for the environment.
    public var speaker: String?
    /// The speaker's display name, if any.
    public var speakerName: String?
    /// The content (verbatim text).
    public var content: String
    /// Anything else (addressees, tool payloads, the parsed answer), as JSON.
    public var data: JSONValue

    /// Creates an event.
    public init(
        seq: Int, kind: String, speaker: String?, speakerName: String? = nil, content: String, data: JSONValue = .null
    ) {
        self.seq = seq
        self.kind = kind
        self.speaker = speaker
        self.speakerName = speakerName
        self.content = content
        self.data = data
    }
}

/// One model call made by a unit.
public struct StoredModelCall: Sendable, Hashable {
    /// The position among the unit's calls (0-based).
    public var seq: Int
    /// The model identifier.
    public var model: String
    /// The response-cache key of the request.
    public var cacheKey: String
    /// What the call was for (the structured-output name, or `text`).
    public var purpose: String
    /// Prompt tokens (as reported, cached or not).
    public var promptTokens: Int
    /// Completion tokens.
    public var completionTokens: Int
    /// Prompt tokens the server took from its own prompt cache (part of ``promptTokens``).
    public var cachedPromptTokens: Int
    /// Seconds the call took (0 when served from the cache).
    public var latencySeconds: Double
    /// Whether the cache served it.
    public var cached: Bool
    /// The error, if the call failed.
    public var error: String?
    /// Whether the OpenAI Batch API answered it (`--batch`; billed at half the list price).
    public var batch: Bool

    /// Creates a record.
    public init(
        seq: Int, model: String, cacheKey: String, purpose: String, promptTokens: Int, completionTokens: Int,
        latencySeconds: Double, cached: Bool, error: String? = nil, cachedPromptTokens: Int = 0, batch: Bool = false
    ) {
        self.cachedPromptTokens = cachedPromptTokens
        self.batch = batch
        self.seq = seq
        self.model = model
        self.cacheKey = cacheKey
        self.purpose = purpose
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.latencySeconds = latencySeconds
        self.cached = cached
        self.error = error
    }
}

/// Everything a finished unit writes: committed in one transaction with its status.
public struct UnitOutcome: Sendable {
    /// The unit's index.
    public var index: Int
    /// `.done` or `.failed`.
    public var status: UnitStatus
    /// The unit's result (answers, extracted ideas, grade…), as JSON.
    public var result: JSONValue
    /// Why the unit failed, or a termination reason.
    public var error: String?
    /// The events, in order.
    public var events: [RunEvent]
    /// The model calls, in order.
    public var modelCalls: [StoredModelCall]
    /// Memory operations (PersonaTree ADD/UPDATE/DELETE), as JSON, in order.
    public var memoryOperations: [JSONValue]

    /// Creates an outcome.
    public init(
        index: Int, status: UnitStatus, result: JSONValue, error: String? = nil, events: [RunEvent] = [],
        modelCalls: [StoredModelCall] = [], memoryOperations: [JSONValue] = []
    ) {
        self.index = index
        self.status = status
        self.result = result
        self.error = error
        self.events = events
        self.modelCalls = modelCalls
        self.memoryOperations = memoryOperations
    }
}

/// A unit as read back from the store.
public struct UnitRecord: Sendable {
    /// The unit's spec.
    public var spec: UnitSpec
    /// Its status.
    public var status: UnitStatus
    /// Its result (`null` until done).
    public var result: JSONValue
    /// Why it failed, if it did.
    public var error: String?
    /// How many times it was started and committed (1 for a unit that ran once).
    public var commits: Int

    /// Creates a record (the store reads them; tests build them).
    public init(spec: UnitSpec, status: UnitStatus, result: JSONValue, error: String? = nil, commits: Int = 0) {
        self.spec = spec
        self.status = status
        self.result = result
        self.error = error
        self.commits = commits
    }
}

/// Token totals of a run's model calls.
public struct UsageTotals: Sendable, Hashable {
    /// The model identifier (`total` for the sum).
    public var model: String
    /// Calls (cached or not).
    public var calls: Int
    /// Calls served from the cache.
    public var cachedCalls: Int
    /// Failed calls.
    public var failedCalls: Int
    /// Prompt tokens.
    public var promptTokens: Int
    /// Completion tokens.
    public var completionTokens: Int
    /// Prompt tokens the server took from its own prompt cache.
    public var cachedPromptTokens: Int = 0
    /// Calls the OpenAI Batch API answered (`--batch`), and their tokens (part of the totals above):
    /// priced at half the list price.
    public var batchCalls: Int = 0
    /// Prompt tokens of ``batchCalls``.
    public var batchPromptTokens: Int = 0
    /// Server-cached prompt tokens of ``batchCalls``.
    public var batchCachedPromptTokens: Int = 0
    /// Completion tokens of ``batchCalls``.
    public var batchCompletionTokens: Int = 0
}
