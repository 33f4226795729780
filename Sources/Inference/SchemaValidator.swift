public import Storage

/// Checks a JSON value against the subset of JSON Schema that structured output uses: `type`
/// (one or a list), `enum`, `const`, `properties`, `required`, `additionalProperties: false`,
/// `items`, `minItems`, `maxItems`, `uniqueItems`, `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `minLength`, `maxLength`, `anyOf`, `oneOf`.
public enum SchemaValidator {
    /// The problems found, each as `"$.path: reason"`, in document order; empty when valid.
    public static func validate(_ value: JSONValue, against schema: JSONValue) -> [String] {
        var problems: [String] = []
        check(value, schema, path: "$", into: &problems)
        return problems
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number(let x): x.rounded() == x && abs(x) < 9.0e15 ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        let actual = typeName(value)
        if type == "number" { return actual == "number" || actual == "integer" }
        return actual == type
    }

    private static func check(_ value: JSONValue, _ schema: JSONValue, path: String, into problems: inout [String]) {
        guard case .object(let s) = schema else { return }  // `true`/missing schema accepts anything

        if let type = s["type"] {
            let allowed: [String] = type.stringValue.map { [$0] } ?? (type.arrayValue ?? []).compactMap(\.stringValue)
            if !allowed.isEmpty, !allowed.contains(where: { matches(value, type: $0) }) {
                problems.append("\(path): expected \(allowed.joined(separator: " or ")), found \(typeName(value))")
                return
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(where: { equalValues($0, value) }) {
            let list = options.map { $0.serialized() }.joined(separator: ", ")
            problems.append("\(path): \(value.serialized()) is not one of [\(list)]")
        }
        if let constant = s["const"], !equalValues(constant, value) {
            problems.append("\(path): must be \(constant.serialized())")
        }
        if let anyOf = s["anyOf"]?.arrayValue {
            if !anyOf.contains(where: { validate(value, against: $0).isEmpty }) {
                problems.append("\(path): matches none of the anyOf alternatives")
            }
        }
        if let oneOf = s["oneOf"]?.arrayValue {
            let count = oneOf.filter { validate(value, against: $0).isEmpty }.count
            if count != 1 { problems.append("\(path): matches \(count) of the oneOf alternatives, expected exactly 1") }
        }

        switch value {
        case .integer, .number:
            guard let x = value.doubleValue else { break }
            if let minimum = s["minimum"]?.doubleValue, x < minimum {
                problems.append("\(path): \(format(x)) is below the minimum \(format(minimum))")
            }
            if let maximum = s["maximum"]?.doubleValue, x > maximum {
                problems.append("\(path): \(format(x)) is above the maximum \(format(maximum))")
            }
            if let bound = s["exclusiveMinimum"]?.doubleValue, x <= bound {
                problems.append("\(path): \(format(x)) must be greater than \(format(bound))")
            }
            if let bound = s["exclusiveMaximum"]?.doubleValue, x >= bound {
                problems.append("\(path): \(format(x)) must be less than \(format(bound))")
            }
        case .string(let text):
            let length = text.count
            if let minimum = s["minLength"]?.intValue, length < minimum {
                problems.append("\(path): shorter than \(minimum) characters")
            }
            if let maximum = s["maxLength"]?.intValue, length > maximum {
                problems.append("\(path): longer than \(maximum) characters")
            }
        case .array(let items):
            if let minimum = s["minItems"]?.intValue, items.count < minimum {
                problems.append("\(path): fewer than \(minimum) items")
            }
            if let maximum = s["maxItems"]?.intValue, items.count > maximum {
                problems.append("\(path): more than \(maximum) items")
            }
            if s["uniqueItems"]?.boolValue == true {
                for (i, item) in items.enumerated() where items[..<i].contains(where: { equalValues($0, item) }) {
                    problems.append("\(path)[\(i)]: duplicate item")
                }
            }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { check(item, itemSchema, path: "\(path)[\(i)]", into: &problems) }
            }
        case .object(let object):
            let properties = s["properties"]?.objectValue ?? JSONObject()
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                problems.append("\(path): missing required property \"\(name)\"")
            }
            for (key, child) in object {
                if let propertySchema = properties[key] {
                    check(child, propertySchema, path: "\(path).\(key)", into: &problems)
                } else if s["additionalProperties"]?.boolValue == false {
                    problems.append("\(path): unexpected property \"\(key)\"")
                } else if case .object = s["additionalProperties"], let extra = s["additionalProperties"] {
                    check(child, extra, path: "\(path).\(key)", into: &problems)
                }
            }
        case .null, .bool:
            break
        }
    }

    /// JSON equality where 3 and 3.0 are the same number.
    private static func equalValues(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue,
            typeName(a) != "string", typeName(b) != "string"
        {
            return x == y
        }
        return a == b
    }

    private static func format(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
