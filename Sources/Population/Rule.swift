/// A plausibility rule: `when` implies `require` (spec §10).
public struct Rule: Sendable, Hashable {
    /// How a violation is treated.
    public enum Severity: String, Sendable, Hashable {
        /// A violation rejects the persona; hard rules also make structural zeros and drive forward checking.
        case hard
        /// A violation adds `penalty` and a warning.
        case soft
    }

    /// The rule id, used in errors and reports.
    public var id: String
    /// Hard or soft.
    public var severity: Severity
    /// The condition, if any (a missing `when` means always).
    public var when: String?
    /// The requirement.
    public var require: String
    /// A human explanation shown with violations.
    public var message: String?
    /// The penalty of a soft violation.
    public var penalty: Double

    /// Creates a rule.
    public init(
        id: String, severity: Severity = .hard, when: String? = nil, require: String, message: String? = nil,
        penalty: Double = 1
    ) {
        self.id = id
        self.severity = severity
        self.when = when
        self.require = require
        self.message = message
        self.penalty = penalty
    }
}

/// Kleene three-valued truth (spec §10).
public enum Truth: UInt8, Sendable, Hashable {
    /// Definitely false.
    case `false` = 0
    /// Definitely true.
    case `true` = 1
    /// Not decidable yet (an attribute is unassigned or disabled).
    case unknown = 2

    /// Kleene negation.
    @inlinable public var negated: Truth {
        switch self {
        case .false: .true
        case .true: .false
        case .unknown: .unknown
        }
    }
}

/// A rule violation in the HACHIMI issue shape minus the LLM owner.
public struct RuleViolation: Sendable, Hashable {
    /// The rule id.
    public var ruleID: String
    /// Hard or soft.
    public var severity: Rule.Severity
    /// The attribute ids the rule reads.
    public var attributes: [String]
    /// The rule's message.
    public var message: String
}
