public import Storage

/// A questionnaire (docs/scenarios.md, `survey`).
public struct SurveySpec: Sendable {
    /// Instructions shown to every respondent (in the system message).
    public var instructions: String
    /// Text shown before the questions (an ad, a product description), if any; may hold templates.
    public var context: String?
    /// Whether choice options are shuffled per respondent from a seeded stream.
    public var randomizeOptions: Bool
    /// The items, in order.
    public var items: [SurveyItem]
    /// Which earlier questions and answers each item's request shows (default none).
    public var memory: SurveyMemory = .none
    /// The stimuli the survey is crossed with, if any.
    public var stimuli: SurveyStimuli?

    /// Creates a questionnaire.
    public init(
        instructions: String, context: String?, randomizeOptions: Bool, items: [SurveyItem],
        memory: SurveyMemory = .none, stimuli: SurveyStimuli? = nil
    ) {
        self.instructions = instructions
        self.context = context
        self.randomizeOptions = randomizeOptions
        self.items = items
        self.memory = memory
        self.stimuli = stimuli
    }

    /// The position of the item `id`, if any.
    public func index(of id: String) -> Int? { items.firstIndex { $0.id == id } }
}

/// Answer memory of a survey: which earlier items (question and the respondent's own answer) are
/// shown before the next one, as the respondent's own view of the interview so far.
public enum SurveyMemory: Sendable, Hashable {
    /// Every item alone (the default; the most cache-friendly).
    case none
    /// Every earlier item asked.
    case full
    /// The last `k` items asked.
    case lagged(Int)
    /// For an item id, the listed earlier item ids (items not listed see none).
    case targeted([String: [String]])
}

/// Stimuli: a table of variables (`{{vars.NAME}}`) crossed with the survey.
public struct SurveyStimuli: Sendable, Hashable {
    /// How respondents meet the stimuli.
    public enum Design: String, Sendable, Hashable, CaseIterable {
        /// Each respondent sees one stimulus, assigned from a seeded shuffle, balanced across rows.
        case between
        /// Each respondent sees every stimulus, in an order drawn per respondent and recorded.
        case within
    }

    /// One stimulus: an id and its variables.
    public struct Row: Sendable, Hashable {
        /// The stimulus id (a CSV value or column suffix).
        public var id: String
        /// The variables, in file order.
        public var vars: JSONObject
    }

    /// The design.
    public var design: Design
    /// The stimuli, in file order.
    public var rows: [Row]

    /// The variable names (every row has the same).
    public var names: [String] { rows.first?.vars.keys ?? [] }
}

/// One row of a matrix item: a CSV column `ITEM.ROW`.
public struct MatrixRow: Sendable, Hashable {
    /// The row id.
    public var id: String
    /// The row text.
    public var text: String
}

/// A rule that jumps forward to a named item.
public struct SurveyBranch: Sendable, Hashable {
    /// When to jump (evaluated after the item is answered).
    public var condition: SurveyCondition
    /// The item to jump to (a later item).
    public var target: String
}

/// One survey item.
public struct SurveyItem: Sendable, Hashable {
    /// What kind of answer the item takes.
    public enum Answer: Sendable, Hashable {
        /// An integer on a scale `min...max` with optional labels (one per point).
        case likert(min: Int, max: Int, labels: [String])
        /// One option.
        case singleChoice(options: [String])
        /// Between `minSelections` and `maxSelections` distinct options.
        case multipleChoice(options: [String], minSelections: Int, maxSelections: Int)
        /// A number in `min...max` (whole when `integer`), with an optional unit.
        case numeric(min: Double?, max: Double?, integer: Bool, unit: String?)
        /// Free text of at most `maxLength` characters.
        case open(maxLength: Int)
        /// `Yes` or `No`.
        case yesNo
        /// An integer in `min...max` with labels on the two ends only.
        case linearScale(min: Int, max: Int, minLabel: String?, maxLabel: String?)
        /// Every option, ordered from first to last choice.
        case rank(options: [String])
        /// The `k` best options, in order.
        case topK(options: [String], k: Int)
        /// Several rows answered on one shared scale in one call.
        case matrix(rows: [MatrixRow], min: Int, max: Int, labels: [String])
        /// Whole numbers per option summing to `total`.
        case constantSum(options: [String], total: Int)
        /// Between `minSelections` and `maxSelections` options, one of them `other` with a text.
        case checkbox(options: [String], minSelections: Int, maxSelections: Int, other: String)
        /// One to `maxItems` short strings of at most `maxLength` characters.
        case freeList(maxItems: Int, maxLength: Int)
    }

    /// The item id (a column of `responses.csv`).
    public var id: String
    /// The question text (may hold `{{…}}` templates).
    public var question: String
    /// The answer type.
    public var answer: Answer
    /// Skip the item when this holds (evaluated before asking).
    public var skipIf: SurveyCondition? = nil
    /// Ask the item only when this holds.
    public var showIf: SurveyCondition? = nil
    /// End the interview after this item when this holds.
    public var stopIf: SurveyCondition? = nil
    /// Jumps after this item; the first that holds wins.
    public var branch: [SurveyBranch] = []

    /// Creates an item without flow rules.
    public init(id: String, question: String, answer: Answer) {
        self.id = id
        self.question = question
        self.answer = answer
    }

    /// Every type name as written in scenario files.
    public static let typeNames = [
        "likert", "single-choice", "multiple-choice", "numeric", "open", "yes-no", "linear-scale", "rank", "top-k",
        "matrix", "constant-sum", "checkbox", "free-list",
    ]

    /// The type name as written in scenario files.
    public var typeName: String {
        switch answer {
        case .likert: "likert"
        case .singleChoice: "single-choice"
        case .multipleChoice: "multiple-choice"
        case .numeric: "numeric"
        case .open: "open"
        case .yesNo: "yes-no"
        case .linearScale: "linear-scale"
        case .rank: "rank"
        case .topK: "top-k"
        case .matrix: "matrix"
        case .constantSum: "constant-sum"
        case .checkbox: "checkbox"
        case .freeList: "free-list"
        }
    }

    /// The options in file order (choice items; `Yes`, `No` for yes/no), else empty.
    public var options: [String] {
        switch answer {
        case .singleChoice(let options), .multipleChoice(let options, _, _), .rank(let options),
            .topK(let options, _), .constantSum(let options, _):
            options
        case .checkbox(let options, _, _, let other): options + [other]
        case .yesNo: ["Yes", "No"]
        default: []
        }
    }

    /// Whether the respondent's option order may be shuffled (`randomizeOptions`).
    var shufflesOptions: Bool {
        switch answer {
        case .yesNo: false
        case .checkbox: false
        default: !options.isEmpty
        }
    }

    /// The CSV columns of the item: one per matrix row (`ID.ROW`), else the id.
    public var columns: [String] {
        if case .matrix(let rows, _, _, _) = answer { return rows.map { "\(id).\($0.id)" } }
        return [id]
    }
}

extension SurveyItem {
    /// The texts shown besides the question (options, or a matrix's rows), each once in the prompt.
    var parts: [String] {
        if case .matrix(let rows, _, _, _) = answer { return rows.map(\.text) }
        return options
    }
}
