// The compiled form of rules and how they are evaluated during sampling (RuleCompiler.swift makes it):
// assignments, conditions, numeric expressions and the evaluator.

/// The values of one persona while it is being sampled: a flat array of integer codes plus a state per attribute.
///
/// Codes: the value index of categorical attributes; the integer of `int`; the bit pattern of `double`; the
/// member bit mask of `set`. A binned state holds the bin index: only the interval is known.
struct Assignment: Sendable {
    static let unassigned: UInt8 = 0
    static let disabled: UInt8 = 1
    static let assigned: UInt8 = 2
    static let binned: UInt8 = 3

    var codes: [Int64]
    var states: [UInt8]

    init(count: Int) {
        codes = [Int64](repeating: 0, count: count)
        states = [UInt8](repeating: Assignment.unassigned, count: count)
    }

    @inline(__always) mutating func set(_ attribute: Int, _ code: Int64) {
        codes[attribute] = code
        states[attribute] = Assignment.assigned
    }

    @inline(__always) mutating func clear(_ attribute: Int) { states[attribute] = Assignment.unassigned }
}

/// A typed, compiled boolean expression with Kleene semantics.
indirect enum Condition: Sendable {
    case constant(Truth)
    case all([Condition])
    case any([Condition])
    case negate(Condition)
    /// A categorical attribute whose code is allowed by the mask.
    case category(attribute: Int, allowed: [Bool])
    case compare(NumberExpression, ComparisonOperator, NumberExpression)
    case assigned(attribute: Int, expected: Bool)
    case contains(attribute: Int, mask: Int64)
    case sameCategory(Int, Int, equal: Bool)
}

/// A typed, compiled numeric expression evaluated with interval arithmetic.
indirect enum NumberExpression: Sendable {
    case constant(Double)
    case attribute(Int)
    case arithmetic(Character, NumberExpression, NumberExpression)
    case negative(NumberExpression)
    case absolute(NumberExpression)
    case minimum([NumberExpression])
    case maximum([NumberExpression])
    case lookup(attribute: Int, values: [Double?])
    case count(attribute: Int)
}

/// What a rule's `@reference` stands for.
public enum RuleReference: Sendable {
    /// A list of literals (`in @vocab/x`).
    case list([String])
    /// A key → number table (`lookup(@tables/x, attr)`).
    case table([(String, Double)])
}

/// The attribute facts the evaluator needs, in flat arrays.
struct RuleSchema: Sendable {
    var kinds: [AttributeKind]
    var binLow: [[Double]]
    var binHigh: [[Double]]

    init(_ taxonomy: Taxonomy) {
        kinds = taxonomy.attributes.map(\.kind)
        binLow = taxonomy.attributes.map { $0.bins.map(\.lo) }
        binHigh = taxonomy.attributes.map { $0.bins.map(\.hi) }
    }

    /// Kleene's conjunction (`decisive` false) or disjunction (`decisive` true): the decisive value
    /// as soon as an item has it, else unknown if any item is, else the other value.
    func kleene(_ items: [Condition], _ values: Assignment, decisive: Truth) -> Truth {
        var result = decisive.negated
        for item in items {
            let value = truth(item, values)
            if value == decisive { return decisive }
            if value == .unknown { result = .unknown }
        }
        return result
    }

    func truth(_ condition: Condition, _ values: Assignment) -> Truth {
        switch condition {
        case .constant(let truth):
            return truth
        case .all(let items):
            return kleene(items, values, decisive: .false)
        case .any(let items):
            return kleene(items, values, decisive: .true)
        case .negate(let inner):
            return truth(inner, values).negated
        case .category(let attribute, let allowed):
            guard values.states[attribute] == Assignment.assigned else { return .unknown }
            let code = Int(values.codes[attribute])
            return code >= 0 && code < allowed.count && allowed[code] ? .true : .false
        case .compare(let left, let op, let right):
            guard let a = interval(left, values), let b = interval(right, values) else { return .unknown }
            return Self.compare(a, op, b)
        case .assigned(let attribute, let expected):
            switch values.states[attribute] {
            case Assignment.unassigned: return .unknown
            case Assignment.disabled: return expected ? .false : .true
            default: return expected ? .true : .false
            }
        case .contains(let attribute, let mask):
            guard values.states[attribute] == Assignment.assigned else { return .unknown }
            return values.codes[attribute] & mask != 0 ? .true : .false
        case .sameCategory(let first, let second, let equal):
            guard values.states[first] == Assignment.assigned, values.states[second] == Assignment.assigned else {
                return .unknown
            }
            return (values.codes[first] == values.codes[second]) == equal ? .true : .false
        }
    }

    static func compare(_ a: (Double, Double), _ op: ComparisonOperator, _ b: (Double, Double)) -> Truth {
        switch op {
        case .less: return a.1 < b.0 ? .true : (a.0 >= b.1 ? .false : .unknown)
        case .lessOrEqual: return a.1 <= b.0 ? .true : (a.0 > b.1 ? .false : .unknown)
        case .greater: return compare(b, .less, a)
        case .greaterOrEqual: return compare(b, .lessOrEqual, a)
        case .equal:
            if a.0 == a.1 && b.0 == b.1 && a.0 == b.0 { return .true }
            return a.1 < b.0 || b.1 < a.0 ? .false : .unknown
        case .notEqual: return compare(a, .equal, b).negated
        }
    }

    /// The interval of the smallest (`pick` is `min`) or largest (`max`) of `items`: `pick` of the lower
    /// and of the upper bounds; nil when there are none or one is undefined.
    func extreme(_ items: [NumberExpression], _ values: Assignment, _ pick: (Double, Double) -> Double)
        -> (Double, Double)?
    {
        var result: (Double, Double)?
        for item in items {
            guard let a = interval(item, values) else { return nil }
            result = result.map { (pick($0.0, a.0), pick($0.1, a.1)) } ?? a
        }
        return result
    }

    func interval(_ expression: NumberExpression, _ values: Assignment) -> (Double, Double)? {
        switch expression {
        case .constant(let value):
            return (value, value)
        case .attribute(let attribute):
            switch values.states[attribute] {
            case Assignment.assigned:
                let code = values.codes[attribute]
                let value = kinds[attribute] == .double ? Double(bitPattern: UInt64(bitPattern: code)) : Double(code)
                return (value, value)
            case Assignment.binned:
                let bin = Int(values.codes[attribute])
                return (binLow[attribute][bin], binHigh[attribute][bin])
            default:
                return nil
            }
        case .arithmetic(let op, let left, let right):
            guard let a = interval(left, values), let b = interval(right, values) else { return nil }
            switch op {
            case "+": return (a.0 + b.0, a.1 + b.1)
            case "-": return (a.0 - b.1, a.1 - b.0)
            case "*":
                let products = [a.0 * b.0, a.0 * b.1, a.1 * b.0, a.1 * b.1]
                return (products.min() ?? 0, products.max() ?? 0)
            default:
                guard b.0 > 0 || b.1 < 0 else { return nil }
                let quotients = [a.0 / b.0, a.0 / b.1, a.1 / b.0, a.1 / b.1]
                return (quotients.min() ?? 0, quotients.max() ?? 0)
            }
        case .negative(let inner):
            guard let a = interval(inner, values) else { return nil }
            return (-a.1, -a.0)
        case .absolute(let inner):
            guard let a = interval(inner, values) else { return nil }
            if a.0 >= 0 { return a }
            if a.1 <= 0 { return (-a.1, -a.0) }
            return (0, max(-a.0, a.1))
        case .minimum(let items):
            return extreme(items, values, min)
        case .maximum(let items):
            return extreme(items, values, max)
        case .lookup(let attribute, let table):
            guard values.states[attribute] == Assignment.assigned else { return nil }
            let code = Int(values.codes[attribute])
            guard code >= 0, code < table.count, let value = table[code] else { return nil }
            return (value, value)
        case .count(let attribute):
            guard values.states[attribute] == Assignment.assigned else { return nil }
            let count = Double(values.codes[attribute].nonzeroBitCount)
            return (count, count)
        }
    }
}

/// A rule compiled against a taxonomy.
struct CompiledRule: Sendable {
    var rule: Rule
    var when: Condition?
    var require: Condition
    /// Sorted attribute indices the rule reads.
    var dependencies: [Int]

    /// The Kleene value of `not when or require`.
    func truth(_ schema: RuleSchema, _ values: Assignment) -> Truth {
        guard let when else { return schema.truth(require, values) }
        let condition = schema.truth(when, values)
        if condition == .false { return .true }
        let requirement = schema.truth(require, values)
        if condition == .true || requirement == .true { return requirement }
        return .unknown
    }

    /// Final validation: true or vacuous (a `when` that is false or undecidable).
    func holds(_ schema: RuleSchema, _ values: Assignment) -> Bool {
        if let when, schema.truth(when, values) != .true { return true }
        return schema.truth(require, values) == .true
    }
}
