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
