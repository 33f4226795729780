import Foundation
import Storage
import Testing

@Suite("JSONValue parsing")
struct JSONValueParsingTests {
    @Test("object key order is kept as written")
    func keyOrder() throws {
        let value = try JSONValue.parse(#"{"zeta": 1, "alpha": 2, "mid": {"b": 0, "a": 0}}"#)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid"])
        #expect(value["mid"]?.objectValue?.keys == ["b", "a"])
        #expect(value.serialized() == #"{"zeta":1,"alpha":2,"mid":{"b":0,"a":0}}"#)
    }

    @Test("integers that fit Int64 become integers and every other number becomes a double")
    func numbers() throws {
        #expect(try JSONValue.parse("9223372036854775807") == .integer(.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .integer(.min))
        #expect(try JSONValue.parse("9223372036854775808") == .number(9_223_372_036_854_775_808.0))
        #expect(try JSONValue.parse("-0") == .integer(0))
        #expect(try JSONValue.parse("1.0") == .number(1.0))
        #expect(try JSONValue.parse("1e2") == .number(100))
        #expect(try JSONValue.parse("-2.5E-3") == .number(-0.0025))
        #expect(try JSONValue.parse("0.1") == .number(0.1))
    }

    @Test("escapes decode, including surrogate pairs")
    func escapes() throws {
        #expect(
            try JSONValue.parse(#""\ud83d\ude00 \u00e9 \u00E9 \/ \" \\ \b\f\n\r\t \u0000""#)
                == .string("😀 é é / \" \\ \u{8}\u{C}\n\r\t \u{0}"))
        #expect(try JSONValue.parse(#""plain ünïcödé 😀""#) == .string("plain ünïcödé 😀"))
    }

    @Test("literals, whitespace and nesting parse")
    func structure() throws {
        let value = try JSONValue.parse(" \n\t{ \"a\" : [ true , false , null , [ ] , { } ] }\r\n ")
        #expect(value == ["a": [true, false, nil, [], [:]]])
    }

    @Test("a repeated key is refused (it used to keep its first position and its last value)")
    func duplicateKeys() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a": 1, "b": 2, "a": 3}"#) }
    }

    @Test("Data input parses the same and a byte-order mark is skipped")
    func dataInput() throws {
        #expect(try JSONValue.parse(Data(#"{"k": "v"}"#.utf8)) == ["k": "v"])
        #expect(try JSONValue.parse(Data([0xEF, 0xBB, 0xBF] + Array("[1]".utf8))) == [1])
    }

    static let errorCases: [(String, Int, Int, String)] = [
        ("", 1, 1, "empty input"),
        ("{\n  \"a\": 1,\n}", 3, 1, "expected a string key"),
        ("[1, 2", 1, 6, "expected ',' or ']'"),
        ("[1 2]", 1, 4, "expected ',' or ']'"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("01", 1, 2, "leading zeros"),
        ("\"abc", 1, 5, "unterminated string"),
        ("tru", 1, 1, "expected 'true'"),
        ("1 2", 1, 3, "after the JSON value"),
        ("{} x", 1, 4, "after the JSON value"),
        ("[1,]", 1, 4, "expected a JSON value"),
        ("-", 1, 2, "expected a digit"),
        ("1.", 1, 3, "expected a digit after '.'"),
        ("1e", 1, 3, "exponent"),
        ("1e400", 1, 1, "out of range"),
        ("\"\\ud800\"", 1, 2, "unpaired high surrogate"),
        ("\"\\udc00\"", 1, 2, "unpaired low surrogate"),
        ("\"\\ud800\\u0041\"", 1, 2, "not followed by a low surrogate"),
        ("\"\\x\"", 1, 3, "invalid escape"),
        ("\"\\u12G4\"", 1, 6, "invalid hex digit"),
        ("\"a\u{1}\"", 1, 3, "unescaped control character"),
        ("\"é\" x", 1, 5, "after the JSON value"),
        ("[\n\n   nul]", 3, 4, "expected 'null'"),
        ("{'a': 1}", 1, 2, "expected a string key"),
        ("NaN", 1, 1, "expected a JSON value"),
    ]

    @Test("malformed input reports line, column and reason", arguments: errorCases)
    func errors(text: String, line: Int, column: Int, fragment: String) {
        do {
            let value = try JSONValue.parse(text)
            Issue.record("parsed \(value) from \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
            #expect(error.description.contains("line \(line), column \(column)"))
        }
    }

    @Test("invalid UTF-8 inside a string is an error")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data([0x22, 0x5C, 0x6E, 0xFF, 0x22])) }
    }

    @Test("nesting deeper than the limit is an error, not a crash")
    func deepNesting() {
        let text = String(repeating: "[", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect((try? JSONValue.parse(fine)) != nil)
    }
}

@Suite("JSONValue serialization")
struct JSONValueSerializationTests {
    static let sample: JSONValue = [
        "name": "Ada \"the\" Countess\n\\ ✓ 😀",
        "age": 36,
        "height": 1.65,
        "exact": 25.0,
        "tiny": 1e-7,
        "huge": 1.5e300,
        "neg": -9_223_372_036_854_775_808,
        "flags": [true, false, nil],
        "nested": ["z": [], "a": [:], "m": [1, [2, [3]]]],
        "control": "\u{0}\u{1F}\u{7F}",
    ]

    @Test("serialized output parses back to an equal value with the same key order")
    func roundTrip() throws {
        for pretty in [false, true] {
            let text = Self.sample.serialized(pretty: pretty)
            let parsed = try JSONValue.parse(text)
            #expect(parsed == Self.sample)
            #expect(parsed.objectValue?.keys == Self.sample.objectValue?.keys)
            #expect(parsed.serialized(pretty: pretty) == text)
        }
    }

    @Test("doubles keep their double-ness and non-finite numbers become null")
    func numbers() {
        #expect(JSONValue.number(25.0).serialized() == "25.0")
        #expect(JSONValue.integer(25).serialized() == "25")
        #expect(JSONValue.number(.nan).serialized() == "null")
        #expect(JSONValue.array([.number(.infinity)]).serialized() == "[null]")
    }

    @Test("pretty output indents by two spaces and keeps empty containers inline")
    func pretty() {
        let value: JSONValue = ["b": [1, 2], "a": ["c": nil], "e": [], "o": [:]]
        #expect(
            value.serialized(pretty: true) == """
                {
                  "b": [
                    1,
                    2
                  ],
                  "a": {
                    "c": null
                  },
                  "e": [],
                  "o": {}
                }
                """)
    }

    @Test("Codable round trip through JSONEncoder and JSONDecoder keeps the value")
    func codable() throws {
        struct Envelope: Codable, Equatable {
            var id: Int
            var payload: JSONValue
        }
        let envelope = Envelope(id: 7, payload: Self.sample)
        let data = try JSONEncoder().encode(envelope)
        let decoded = try JSONDecoder().decode(Envelope.self, from: data)
        // Foundation's JSONEncoder writes 25.0 as "25", which decodes as an integer; all else is equal.
        var expected = envelope
        expected.payload = .object(
            {
                var object = Self.sample.objectValue ?? JSONObject()
                object["exact"] = .integer(25)
                return object
            }())
        #expect(decoded == expected)
        #expect(CanonicalJSON.string(decoded.payload) == CanonicalJSON.string(envelope.payload))
        #expect(decoded.payload["age"] == .integer(36))
        #expect(decoded.payload["height"] == .number(1.65))
        #expect(decoded.payload["flags"] == [true, false, nil])
    }
}

@Suite("JSONObject")
struct JSONObjectTests {
    @Test("setting a new key appends, setting nil removes, and order is kept")
    func mutation() {
        var object = JSONObject([("c", 1), ("a", 2)])
        object["b"] = 3
        object["c"] = 4
        #expect(object.keys == ["c", "a", "b"])
        object["c"] = nil
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == 2)
        #expect(object["c"] == nil)
        object["c"] = 5
        #expect(object.keys == ["a", "b", "c"])
        #expect(object.count == 3)
        #expect(object.map(\.key) == ["a", "b", "c"])
        #expect(object.map(\.value) == [2, 3, 5])
    }

    @Test("equality and hashing ignore key order")
    func equality() {
        let first: JSONObject = ["a": 1, "b": [1, 2]]
        let second: JSONObject = ["b": [1, 2], "a": 1]
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first != ["a": 1])
        #expect(first != ["a": 1, "b": [2, 1]])
        #expect(Set([JSONValue.object(first), .object(second)]).count == 1)
    }

    @Test("accessors return values only for the matching case")
    func accessors() {
        let value: JSONValue = ["s": "x", "i": 3, "d": 2.5, "b": true, "a": [1], "o": ["k": nil]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.intValue == 3)
        #expect(value["i"]?.doubleValue == 3)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["d"]?.intValue == nil)
        #expect(JSONValue.number(4.0).intValue == 4)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?[0] == 1)
        #expect(value["a"]?[1] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["o"]?.objectValue?.keys == ["k"])
        #expect(value["o"]?["k"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?.intValue == nil)
        #expect(value[0] == nil)
    }
}

@Suite("Hardening: duplicate keys")
struct JSONDuplicateKeyTests {
    @Test("a key given twice in one object is an error naming both occurrences")
    func duplicateKey() {
        let text = "{\n  \"id\": 1,\n  \"name\": \"a\",\n  \"id\": 2\n}"
        do {
            _ = try JSONValue.parse(text)
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.line == 4 && error.column == 3)
            #expect(error.message == "duplicate key \"id\" (first at line 2, column 3); keep one")
        }
    }

    @Test("the same key in different objects, and keys that differ only in case, are fine")
    func notDuplicates() throws {
        let value = try JSONValue.parse(#"{"a": {"id": 1}, "b": {"id": 2}, "Id": 3, "id": 4}"#)
        #expect(value["b"]?["id"] == 2)
        #expect(value["Id"] == 3)
    }
}
