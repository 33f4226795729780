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
            var result: (Double, Double)?
            for item in items {
                guard let a = interval(item, values) else { return nil }
                result = result.map { (min($0.0, a.0), min($0.1, a.1)) } ?? a
            }
            return result
        case .maximum(let items):
            var result: (Double, Double)?
            for item in items {
                guard let a = interval(item, values) else { return nil }
                result = result.map { (max($0.0, a.0), max($0.1, a.1)) } ?? a
            }
            return result
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

/// Type-checks rule expressions against a taxonomy and compiles them (spec §10 load-time checks).
struct RuleCompiler {
    let taxonomy: Taxonomy
    let resolve: (String) throws(PopulationError) -> RuleReference

    private struct Failure: Error { var message: String }
    private typealias Typed = Result<Condition, Failure>

    func compile(_ rule: Rule, file: String?, path: String) throws(PopulationError) -> CompiledRule {
        var dependencies: [Int] = []
        let when = try rule.when.map { text throws(PopulationError) in
            try condition(
                text, context: "rule '\(rule.id)' (when)", file: file, path: path + ".when", into: &dependencies)
        }
        let require = try condition(
            rule.require, context: "rule '\(rule.id)' (require)", file: file, path: path + ".require",
            into: &dependencies)
        return CompiledRule(
            rule: rule, when: when, require: require, dependencies: Array(Set(dependencies)).sorted())
    }

    func condition(
        _ text: String, context: String, file: String?, path: String, into dependencies: inout [Int]
    ) throws(PopulationError) -> Condition {
        let syntax: RuleSyntax
        do {
            syntax = try RuleParser.parse(text)
        } catch {
            throw PopulationError(
                .invalidRule,
                "\(context): cannot parse \"\(text)\": \(error.message); see the grammar in docs/population.md",
                file: file, path: path)
        }
        var collected: [Int] = []
        do {
            let result = try compileCondition(syntax, &collected)
            dependencies.append(contentsOf: collected)
            return result
        } catch let error as PopulationError {
            throw error
        } catch let failure as Failure {
            throw PopulationError(.invalidRule, "\(context): \(failure.message) in \"\(text)\"", file: file, path: path)
        } catch {
            throw PopulationError(.invalidRule, "\(context): \(error)", file: file, path: path)
        }
    }

    private func attributeIndex(_ syntax: RuleSyntax) -> Int? {
        if case .identifier(let name) = syntax { return taxonomy.index(of: name) }
        return nil
    }

    private func unknownIdentifier(_ name: String) -> Failure {
        if name.contains(".") {
            return Failure(message: "unknown attribute '\(name)'; check the id against the taxonomy")
        }
        return Failure(message: "unknown attribute or misplaced literal '\(name)'")
    }

    private func literalText(_ syntax: RuleSyntax) -> String? {
        switch syntax {
        case .identifier(let name) where taxonomy.index(of: name) == nil: name
        case .string(let value): value
        case .boolean(let value): value ? "true" : "false"
        case .number(let value):
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        default: nil
        }
    }

    private func code(of literal: RuleSyntax, in attribute: Int) throws -> Int {
        let target = taxonomy.attributes[attribute]
        guard let text = literalText(literal) else {
            throw Failure(message: "expected a value of '\(target.id)'")
        }
        guard let index = target.optionIndex(text) else {
            let known = target.options.prefix(12).map(\.id).joined(separator: ", ")
            throw Failure(message: "literal '\(text)' is not a value of '\(target.id)' (values: \(known))")
        }
        return index
    }

    private func listItems(_ syntax: RuleSyntax) throws -> [RuleSyntax] {
        switch syntax {
        case .list(let items): return items
        case .reference(let path):
            guard case .list(let strings) = try resolve(path) else {
                throw Failure(message: "@\(path) is a table, not a list")
            }
            return strings.map { .string($0) }
        default: throw Failure(message: "expected a list")
        }
    }

    private func compileCondition(_ syntax: RuleSyntax, _ dependencies: inout [Int]) throws -> Condition {
        switch syntax {
        case .boolean(let value):
            return .constant(value ? .true : .false)
        case .and(let items):
            return .all(try items.map { try compileCondition($0, &dependencies) })
        case .or(let items):
            return .any(try items.map { try compileCondition($0, &dependencies) })
        case .not(let inner):
            return .negate(try compileCondition(inner, &dependencies))
        case .identifier(let name):
            guard let index = taxonomy.index(of: name) else { throw unknownIdentifier(name) }
            guard taxonomy.attributes[index].kind == .bool else {
                throw Failure(message: "'\(name)' is not a bool attribute, so it cannot stand alone as a condition")
            }
            dependencies.append(index)
            return .category(attribute: index, allowed: [false, true])
        case .isSet(let inner, let expected):
            guard case .identifier(let name) = inner else { throw Failure(message: "'is set' needs an attribute id") }
            guard let index = taxonomy.index(of: name) else { throw unknownIdentifier(name) }
            dependencies.append(index)
            return .assigned(attribute: index, expected: expected)
        case .membership(let left, let list, let negated):
            let items = try listItems(list)
            if let index = attributeIndex(left) {
                let attribute = taxonomy.attributes[index]
                dependencies.append(index)
                if attribute.kind.isCategorical {
                    var allowed = [Bool](repeating: negated, count: attribute.options.count)
                    for item in items { allowed[try code(of: item, in: index)] = !negated }
                    return .category(attribute: index, allowed: allowed)
                }
                if attribute.kind == .set || attribute.kind == .text {
                    throw Failure(
                        message: "'in' does not apply to \(attribute.kind.rawValue) attribute '\(attribute.id)'")
                }
            }
            let number = try compileNumber(left, &dependencies)
            let alternatives = try items.map { item throws -> Condition in
                guard case .number(let value) = item else { throw Failure(message: "expected numbers in the list") }
                return .compare(number, .equal, .constant(value))
            }
            let any = Condition.any(alternatives)
            return negated ? .negate(any) : any
        case .comparison(let op, let left, let right):
            return try compileComparison(op, left, right, &dependencies)
        case .call(let name, let arguments):
            guard name == "contains" else {
                throw Failure(message: "function '\(name)' does not give a condition (use it in a comparison)")
            }
            guard arguments.count == 2, let index = attributeIndex(arguments[0]),
                taxonomy.attributes[index].kind == .set
            else { throw Failure(message: "contains(set.attribute, value) needs a set attribute and a value") }
            dependencies.append(index)
            return .contains(attribute: index, mask: Int64(1) << Int64(try code(of: arguments[1], in: index)))
        default:
            throw Failure(message: "expected a condition")
        }
    }

    private func compileComparison(
        _ op: ComparisonOperator, _ left: RuleSyntax, _ right: RuleSyntax, _ dependencies: inout [Int]
    ) throws -> Condition {
        let leftIndex = attributeIndex(left)
        let rightIndex = attributeIndex(right)
        for index in [leftIndex, rightIndex].compactMap({ $0 }) {
            let attribute = taxonomy.attributes[index]
            if attribute.kind == .set || attribute.kind == .text {
                throw Failure(
                    message:
                        "\(attribute.kind.rawValue) attribute '\(attribute.id)' cannot be compared; use contains() or count()"
                )
            }
        }
        if let l = leftIndex, let r = rightIndex,
            taxonomy.attributes[l].kind.isCategorical
                || taxonomy.attributes[r].kind.isCategorical
        {
            let a = taxonomy.attributes[l]
            let b = taxonomy.attributes[r]
            guard a.kind == b.kind, a.options.map(\.id) == b.options.map(\.id) else {
                throw Failure(message: "'\(a.id)' and '\(b.id)' have different value lists and cannot be compared")
            }
            dependencies.append(contentsOf: [l, r])
            switch op {
            case .equal: return .sameCategory(l, r, equal: true)
            case .notEqual: return .sameCategory(l, r, equal: false)
            default:
                guard a.kind == .ordinal else {
                    throw Failure(message: "'\(op.rawValue)' needs ordinal attributes; '\(a.id)' is \(a.kind.rawValue)")
                }
                return .compare(.attribute(l), op, .attribute(r))
            }
        }
        var categorical: (index: Int, literal: RuleSyntax, op: ComparisonOperator)?
        if let l = leftIndex, taxonomy.attributes[l].kind.isCategorical {
            categorical = (l, right, op)
        } else if let r = rightIndex, taxonomy.attributes[r].kind.isCategorical {
            let flipped: ComparisonOperator =
                switch op {
                case .less: .greater
                case .lessOrEqual: .greaterOrEqual
                case .greater: .less
                case .greaterOrEqual: .lessOrEqual
                default: op
                }
            categorical = (r, left, flipped)
        }
        if let categorical {
            let attribute = taxonomy.attributes[categorical.index]
            let literal = try code(of: categorical.literal, in: categorical.index)
            dependencies.append(categorical.index)
            if attribute.kind != .ordinal && categorical.op != .equal && categorical.op != .notEqual {
                throw Failure(
                    message: "'\(categorical.op.rawValue)' on \(attribute.kind.rawValue) attribute '\(attribute.id)': "
                        + "only ordinal attributes are ordered; declare it ordinal or use == / in")
            }
            let allowed = (0..<attribute.options.count).map { value -> Bool in
                switch categorical.op {
                case .equal: value == literal
                case .notEqual: value != literal
                case .less: value < literal
                case .lessOrEqual: value <= literal
                case .greater: value > literal
                case .greaterOrEqual: value >= literal
                }
            }
            return .category(attribute: categorical.index, allowed: allowed)
        }
        return .compare(try compileNumber(left, &dependencies), op, try compileNumber(right, &dependencies))
    }

    private func compileNumber(_ syntax: RuleSyntax, _ dependencies: inout [Int]) throws -> NumberExpression {
        switch syntax {
        case .number(let value):
            return .constant(value)
        case .identifier(let name):
            guard let index = taxonomy.index(of: name) else { throw unknownIdentifier(name) }
            let attribute = taxonomy.attributes[index]
            guard attribute.kind.isNumeric else {
                throw Failure(message: "'\(name)' is \(attribute.kind.rawValue), not a number")
            }
            dependencies.append(index)
            return .attribute(index)
        case .arithmetic(let op, let left, let right):
            return .arithmetic(op, try compileNumber(left, &dependencies), try compileNumber(right, &dependencies))
        case .negative(let inner):
            return .negative(try compileNumber(inner, &dependencies))
        case .call(let name, let arguments):
            switch name {
            case "abs":
                guard arguments.count == 1 else { throw Failure(message: "abs() takes one argument") }
                return .absolute(try compileNumber(arguments[0], &dependencies))
            case "min", "max":
                guard !arguments.isEmpty else { throw Failure(message: "\(name)() needs arguments") }
                let items = try arguments.map { try compileNumber($0, &dependencies) }
                return name == "min" ? .minimum(items) : .maximum(items)
            case "count":
                guard arguments.count == 1, let index = attributeIndex(arguments[0]),
                    taxonomy.attributes[index].kind == .set
                else { throw Failure(message: "count() needs one set attribute") }
                dependencies.append(index)
                return .count(attribute: index)
            case "lookup":
                guard arguments.count == 2, case .reference(let path) = arguments[0] else {
                    throw Failure(message: "lookup(@table, attribute) needs a table reference and an attribute")
                }
                guard let index = attributeIndex(arguments[1]), taxonomy.attributes[index].kind.isCategorical else {
                    throw Failure(message: "lookup()'s second argument must be a categorical attribute")
                }
                guard case .table(let pairs) = try resolve(path) else {
                    throw Failure(message: "@\(path) is a list, not a table")
                }
                var values = [Double?](repeating: nil, count: taxonomy.attributes[index].options.count)
                for (key, value) in pairs {
                    values[try code(of: .string(key), in: index)] = value
                }
                dependencies.append(index)
                return .lookup(attribute: index, values: values)
            default:
                throw Failure(message: "unknown function '\(name)' (known: abs, min, max, lookup, count, contains)")
            }
        case .string(let value):
            throw Failure(message: "string \"\(value)\" where a number is expected")
        default:
            throw Failure(message: "expected a number")
        }
    }
}
