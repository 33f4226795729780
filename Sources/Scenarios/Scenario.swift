public import Agents
public import Evaluation
public import Memory
public import Population
import Runs
public import Storage
import Worlds

/// A declarative scenario file (`Scenarios/*.json`, documented in docs/scenarios.md): what kind of
/// study to run, on which population, with which questions or phases.
public struct Scenario: Sendable {
    /// The kind of study.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A questionnaire answered by each respondent with structured output.
        case survey
        /// An interviewer (a question script with follow-ups, or a persona) with each respondent.
        case interview
        /// A moderator and participants discussing over phases; positions extracted at the end.
        case focusGroup = "focus-group"
        /// A moderator and participants generating ideas over phases; ideas extracted at the end.
        case brainstorm
    }

    /// The scenario id (used in run ids and outputs).
    public var id: String
    /// The kind.
    public var kind: Kind
    /// A human title.
    public var title: String
    /// The run seed (overridden by `--seed`).
    public var seed: UInt64
    /// Where the people come from.
    public var population: PopulationSource
    /// Sampling settings for every model call.
    public var generation: GenerationSettings
    /// Persona attributes to split results by.
    public var splitBy: [String]
    /// The questionnaire (`survey`).
    public var survey: SurveySpec?
    /// The interview script (`interview`).
    public var interview: InterviewSpec?
    /// The group session (`focus-group`, `brainstorm`).
    public var session: SessionSpec?
    /// Long-term memory of the agents (conversation kinds: a PersonaTree each unless the file says
    /// `"memory": "off"`; `nil`: none).
    public var memory: ScenarioMemory? = nil
    /// How much of the conversation each prompt shows (conversation kinds; bounded by default).
    public var context = ScenarioContext()
    /// Persona-consistency judging run after the run (`evaluation`; conversation kinds).
    public var evaluation: EvaluationSettings? = nil
    /// The file it was loaded from, if any.
    public var file: String?
    /// The scenario document as written (key order kept); the run store keeps a copy.
    public var document: JSONValue

    /// SHA-256 (hex) of the canonical JSON of ``document``.
    public var digest: String { SHA256.hex(CanonicalJSON.string(document)) }
}

/// Where a scenario's people come from: a persona file or a generated population, and/or personas
/// written in the scenario (appended after the others, e.g. a moderator).
public struct PopulationSource: Sendable, Hashable {
    /// The people from a file.
    public enum Base: Sendable, Hashable {
        /// A persona JSONL file (one `{"id", "attributes", "narrative"?}` object a line), resolved path.
        case personas(path: String)
        /// A `POPULATION.json` spec generated on the fly with exact quotas: `count` and `seed` override the spec's.
        case spec(path: String, count: Int?, seed: UInt64?)
    }

    /// The people from a file, if any.
    public var base: Base?
    /// Personas written in the scenario (the short form, `{"id", "name"?, "attributes", "narrative"?}`).
    public var inline: [Persona]

    /// Creates a source.
    public init(base: Base?, inline: [Persona] = []) {
        self.base = base
        self.inline = inline
    }
}

/// Sampling settings applied to every model call of a scenario.
public struct GenerationSettings: Sendable, Hashable {
    /// Sampling temperature (default 0.7).
    public var temperature: Double = 0.7
    /// The most tokens a structured answer may take (default 96).
    public var maxTokens: Int = 96
    /// The most tokens of one free-text turn (default 160).
    public var turnMaxTokens: Int = 160

    /// Creates the defaults.
    public init() {}
}

/// An interview: an interviewer with each respondent.
public struct InterviewSpec: Sendable {
    /// One scripted question.
    public struct Question: Sendable, Hashable {
        /// The question id (answers are extracted per id).
        public var id: String
        /// What the interviewer asks.
        public var text: String
        /// How many model-written follow-ups may follow (overrides the interview's default).
        public var followUps: Int
    }

    /// The interviewer's display name.
    public var interviewerName: String
    /// An interviewer persona id (from the population or inline) that improvises instead of a script, if any.
    public var interviewerPersona: String?
    /// Instructions to the interviewer (tone, goals).
    public var instructions: String
    /// The question script.
    public var questions: [Question]
}

/// A moderated group session (focus group or brainstorm).
public struct SessionSpec: Sendable {
    /// How speakers are chosen.
    public enum TurnTaking: String, Sendable, Hashable, CaseIterable {
        /// Everyone in roster order (the moderator opens each phase).
        case roundRobin = "round-robin"
        /// The moderator names the next speaker.
        case moderator
        /// Each candidate bids an urge score 0–9; the highest speaks.
        case selfSelection = "self-selection"
        /// Everyone present speaks each round on the same snapshot of the conversation
        /// (TinyTroupe-style parallel steps); a round of N speakers counts N turns of the phase.
        case simultaneous
    }

    /// One phase of the session.
    public struct Phase: Sendable, Hashable {
        /// The phase name.
        public var name: String
        /// The topic the moderator introduces.
        public var topic: String
        /// Instructions for this phase.
        public var instructions: String
        /// The turn budget of the phase (participant turns).
        public var turns: Int
    }

    /// The moderator's persona id; must be one of ``participants``.
    public var moderator: String
    /// The persona ids taking part (the moderator included), in roster order.
    public var participants: [String]
    /// How speakers are chosen.
    public var turnTaking: TurnTaking
    /// The phases, in order.
    public var phases: [Phase]
    /// How many independent sessions (units) to run.
    public var sessions: Int
}

/// The `"memory"` section of a conversation scenario: each persona-backed agent gets a PersonaTree
/// seeded from its persona (persona-core leaves locked), updated by the MemListener after every
/// `updateEvery` exchanges involving it and at the end (spec memory.md §B.2.4). The prompt shows
/// the persona once, as the persona text, and only the learned leaves within `budgetTokens`.
public struct ScenarioMemory: Sendable {
    /// The self-schema (the built-in `agora.person.v1` unless the scenario names a file).
    public var schema: TreeSchema
    /// The schema file, when the scenario names one.
    public var schemaFile: String?
    /// Token budget of the learned leaves in each turn's prompt (characters / 4).
    public var budgetTokens: Int = ScenarioContext.defaultMemoryBudget
    /// Exchanges involving an agent per MemListener update (1–3).
    public var updateEvery: Int = 3
}

/// The `"context"` setting of a conversation scenario: how much of the history each turn's prompt
/// shows verbatim, and whether older moments are recalled (spec memory.md §A.5.5, §B.2.5).
///
/// The default is bounded: the first 2 and the last 16–23 events the agent saw (the cut moves 8
/// events at a time, so consecutive requests share their prefix), with the agentic recall path for
/// detail questions. `"context": "full"` shows the whole history. docs/memory.md has the
/// measurements behind the defaults.
public struct ScenarioContext: Sendable, Hashable {
    /// How the log becomes each agent's chat messages (docs/ablations.md).
    public enum Projection: String, Sendable, Hashable, CaseIterable {
        /// Egocentric Context Projection: own words `assistant`, others' `user` (the default).
        case ecp
        /// The naive shared transcript: the whole visible history in one `user` message as
        /// `Name: text` lines (Memory's CONCAT baseline), for ablations.
        case concat

        /// Memory's projection mode.
        public var mode: ProjectionMode { self == .ecp ? .egocentric : .concatTranscript }
    }

    /// The window (`nil`: the whole history).
    public var window: HistoryWindow? = ScenarioContext.defaultWindow
    /// The recall path (`nil`: off; it needs a window).
    public var recall: RecallSettings? = ScenarioContext.defaultRecall
    /// The projection every agent of the conversation sees (`"context": "concat"` for the ablation).
    public var projection = Projection.ecp

    /// Creates the default, bounded context.
    public init() {}

    /// The default window: first 2, last 16, cut moved 8 at a time.
    public static let defaultWindow = HistoryWindow(first: 2, last: 8, step: 16)
    /// The default recall: only on explicit detail questions (the tree-coverage trigger fired on
    /// most turns of the bench and doubled the calls per turn; docs/memory.md).
    public static let defaultRecall = RecallSettings(treeCoverage: false)
    /// The default token budget of learned memory in a prompt.
    public static let defaultMemoryBudget = 400
    /// The whole history, no recall.
    public static var full: ScenarioContext {
        var context = ScenarioContext()
        context.window = nil
        context.recall = nil
        return context
    }
}
