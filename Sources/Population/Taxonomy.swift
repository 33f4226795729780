/// The kind of an attribute (spec §7).
public enum AttributeKind: String, Sendable, Hashable, CaseIterable {
    /// One of an unordered list of values.
    case enumeration = "enum"
    /// One of an ordered list of values; compares by declared index.
    case ordinal
    /// `true` or `false`.
    case bool
    /// An integer within `range`, optionally with `bins` for quotas.
    case int
    /// A real number within `range`, rounded to `precision` decimals.
    case double
    /// A subset of a list of values with `minCount`…`maxCount` members.
    case set
    /// Free text written later by the language model; never part of quotas or the canonical hash.
    case text

    /// Whether the value is one of a finite list of value ids.
    public var isCategorical: Bool { self == .enumeration || self == .ordinal || self == .bool }
    /// Whether the value is a number.
    public var isNumeric: Bool { self == .int || self == .double }
}

/// One allowed value of an `enum`, `ordinal` or `set` attribute.
public struct AttributeOption: Sendable, Hashable {
    /// The stable id used in rules, quotas, hashes and output.
    public var id: String
    /// A human label (presentation only).
    public var label: String

    /// Creates an option.
    public init(id: String, label: String? = nil) {
        self.id = id
        self.label = label ?? id
    }
}

/// A closed interval of a numeric attribute used as a quota category.
public struct AttributeBin: Sendable, Hashable {
    /// The bin id, e.g. `"18-24"`.
    public var id: String
    /// The lowest value in the bin.
    public var lo: Double
    /// The highest value in the bin.
    public var hi: Double

    /// Creates a bin.
    public init(id: String, lo: Double, hi: Double) {
        self.id = id
        self.lo = lo
        self.hi = hi
    }
}

/// A conditional probability table keyed by the categories of parent attributes.
public struct ConditionalPrior: Sendable {
    /// The parent attribute indices (in the taxonomy's attribute list).
    public var parents: [Int]
    /// The number of categories of each parent.
    public var radix: [Int]
    /// One weight row per combination of parent categories (mixed radix, first parent most significant);
    /// `nil` where the table has no row, which falls back to `defaultRow`.
    public var rows: [[Double]?]
    /// The row used for parent combinations the table does not list.
    public var defaultRow: [Double]
}

/// How an attribute's value is drawn before constraints filter it.
public enum AttributePrior: Sendable {
    /// Equal weight on every value (or every integer of the range).
    case uniform
    /// Fixed weights: per value for categorical and set attributes, per bin for binned numbers.
    case weights([Double])
    /// Weights that depend on already-drawn parent attributes.
    case conditional(ConditionalPrior)
}

/// One attribute (a leaf of the taxonomy).
public struct Attribute: Sendable {
    /// The stable dotted id, e.g. `demo.age`.
    public var id: String
    /// A human label.
    public var label: String
    /// The kind of value.
    public var kind: AttributeKind
    /// The values of `enum`, `ordinal` and `set` attributes (`bool` gets `false`, `true`).
    public var options: [AttributeOption]
    /// The inclusive range of numeric attributes.
    public var range: ClosedRange<Double>?
    /// Declared bins of numeric attributes.
    public var bins: [AttributeBin]
    /// Decimal places kept for `double` values.
    public var precision: Int
    /// Least members of a `set` value.
    public var minCount: Int
    /// Most members of a `set` value.
    public var maxCount: Int
    /// The prior.
    public var prior: AttributePrior
    /// The `enabledIf` expression text, if any.
    public var enabledIf: String?
    /// The optional group (index into ``Taxonomy/optionalGroups``) this attribute belongs to, if any.
    public var optionalGroup: Int?
    /// For `text` attributes: the maximum number of characters.
    public var maxChars: Int?

    /// Creates an attribute.
    public init(
        id: String, label: String? = nil, kind: AttributeKind, options: [AttributeOption] = [],
        range: ClosedRange<Double>? = nil, bins: [AttributeBin] = [], precision: Int = 2, minCount: Int = 0,
        maxCount: Int = 0, prior: AttributePrior = .uniform, enabledIf: String? = nil, optionalGroup: Int? = nil,
        maxChars: Int? = nil
    ) {
        self.id = id
        self.label = label ?? id
        self.kind = kind
        self.options = kind == .bool ? [AttributeOption(id: "false"), AttributeOption(id: "true")] : options
        self.range = range
        self.bins = bins
        self.precision = precision
        self.minCount = minCount
        self.maxCount = maxCount
        self.prior = prior
        self.enabledIf = enabledIf
        self.optionalGroup = optionalGroup
        self.maxChars = maxChars
    }

    /// The number of categories: values of categorical attributes, bins (or deciles) of numbers.
    public var categoryCount: Int {
        switch kind {
        case .enumeration, .ordinal, .bool, .set: options.count
        case .int, .double: bins.isEmpty ? 10 : bins.count
        case .text: 0
        }
    }

    /// The category ids: value ids, or bin ids (deciles are named `d0`…`d9`).
    public var categoryIDs: [String] {
        switch kind {
        case .enumeration, .ordinal, .bool, .set: options.map(\.id)
        case .int, .double: bins.isEmpty ? (0..<10).map { "d\($0)" } : bins.map(\.id)
        case .text: []
        }
    }

    /// The index of the value with this id, if any.
    public func optionIndex(_ id: String) -> Int? { options.firstIndex { $0.id == id } }

    /// The bin (or decile) a number falls in.
    public func category(ofNumber value: Double) -> Int {
        if !bins.isEmpty {
            for (index, bin) in bins.enumerated() where value >= bin.lo && value <= bin.hi { return index }
            for (index, bin) in bins.enumerated() where value < bin.lo { return max(index - 1, 0) }
            return bins.count - 1
        }
        guard let range, range.upperBound > range.lowerBound else { return 0 }
        let position = (value - range.lowerBound) / (range.upperBound - range.lowerBound)
        return min(max(Int(position * 10), 0), 9)
    }
}

/// An optional subtree that the depth scheduler may include or skip.
public struct OptionalGroup: Sendable, Hashable {
    /// The group node id.
    public var id: String
    /// The probability of including it (default 0.5).
    public var probability: Double
}

/// A taxonomy: an ordered list of attributes (leaves) with priors, plus its optional groups and rules.
public struct Taxonomy: Sendable {
    /// The taxonomy id.
    public var id: String
    /// The format version.
    public var version: String
    /// The attributes in taxonomy (depth-first) order.
    public var attributes: [Attribute]
    /// The optional subtrees.
    public var optionalGroups: [OptionalGroup]
    /// Rules declared in the taxonomy file.
    public var rules: [Rule]
    /// Where the taxonomy was loaded from (for messages), if from a file.
    public var file: String?
    let indexByID: [String: Int]
    var referenceBase: String?
    var inlineReferences: [String: RuleReference] = [:]

    /// Creates a taxonomy from attributes; ids must be unique.
    public init(
        id: String, version: String = "1.0", attributes: [Attribute], optionalGroups: [OptionalGroup] = [],
        rules: [Rule] = [], file: String? = nil
    ) throws(PopulationError) {
        var index: [String: Int] = [:]
        for (position, attribute) in attributes.enumerated() {
            if index[attribute.id] != nil {
                throw PopulationError(
                    .invalidTaxonomy, "attribute id '\(attribute.id)' appears twice; ids must be unique", file: file)
            }
            index[attribute.id] = position
        }
        self.id = id
        self.version = version
        self.attributes = attributes
        self.optionalGroups = optionalGroups
        self.rules = rules
        self.file = file
        self.indexByID = index
    }

    /// The index of the attribute with this id, if any.
    public func index(of attributeID: String) -> Int? { indexByID[attributeID] }

    /// The attribute with this id, if any.
    public subscript(attributeID: String) -> Attribute? {
        guard let index = indexByID[attributeID] else { return nil }
        return attributes[index]
    }
}
