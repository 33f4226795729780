import Foundation
import Storage
import Testing

@Suite("CanonicalJSON")
struct CanonicalJSONTests {
    @Test("object keys are sorted by UTF-8 bytes, not by insertion or UTF-16 order")
    func keySorting() {
        let value: JSONValue = [
            "😀": 1, "\u{FFFF}": 2, "é": 3, "ä": 4, "z": 5, "a": 6, "Z": 7, "aa": 8, "": 9,
        ]
        #expect(
            CanonicalJSON.string(value)
                == #"{"":9,"Z":7,"a":6,"aa":8,"z":5,"ä":4,"é":3,"\#u{FFFF}":2,"😀":1}"#)
    }

    @Test("nested objects and arrays are written without whitespace")
    func nesting() {
        let value: JSONValue = ["b": [1, ["y": nil, "x": true]], "a": ["d": [], "c": [:]]]
        #expect(CanonicalJSON.string(value) == #"{"a":{"c":{},"d":[]},"b":[1,{"x":true,"y":null}]}"#)
    }

    static let doubleCases: [(Double, String)] = [
        (25.0, "25"),
        (-25.0, "-25"),
        (0.1, "0.1"),
        (-0.0, "0"),
        (0.0, "0"),
        (1e-7, "0.0000001"),
        (123.456, "123.456"),
        (-0.5, "-0.5"),
        (1.0 / 3.0, "0.3333333333333333"),
        (9_007_199_254_740_991.0, "9007199254740991"),
        (9_007_199_254_740_992.0, "9007199254740992"),
        (9_007_199_254_740_994.0, "9007199254740994"),
        (1e21, "1000000000000000000000"),
        (1e16 + 2, "10000000000000002"),
        (1234567.125, "1234567.125"),
        (Double.leastNonzeroMagnitude, "0." + String(repeating: "0", count: 323) + "5"),
        (1.5e300, "15" + String(repeating: "0", count: 299)),
        (Double.greatestFiniteMagnitude, "17976931348623157" + String(repeating: "0", count: 292)),
    ]

    @Test("doubles follow the integer, shortest round-trip and no-exponent rules", arguments: doubleCases)
    func doubles(value: Double, expected: String) {
        #expect(CanonicalJSON.string(.number(value)) == expected)
    }

    @Test(
        "every canonical double parses back to the same bits",
        arguments: [0.1, 1e-7, 1.5e300, .leastNonzeroMagnitude, 2.5e-300, 6.02214076e23, -1e22, 3.14159] as [Double])
    func doublesRoundTrip(value: Double) throws {
        let text = CanonicalJSON.string(.number(value))
        #expect(!text.contains("e"))
        let parsed = try JSONValue.parse(text)
        #expect(parsed.doubleValue == value)
    }

    @Test("integers are base 10 and integral doubles share their text")
    func integers() {
        #expect(CanonicalJSON.string(.integer(Int64.min)) == "-9223372036854775808")
        #expect(CanonicalJSON.string(.integer(Int64.max)) == "9223372036854775807")
        #expect(CanonicalJSON.string(.integer(25)) == CanonicalJSON.string(.number(25.0)))
    }

    @Test("NaN and infinities are written as null")
    func nonFinite() {
        #expect(CanonicalJSON.string([.number(.nan), .number(.infinity), .number(-.infinity)]) == "[null,null,null]")
    }

    @Test("strings escape only quote, backslash and control characters")
    func stringEscapes() {
        let value = JSONValue.string("a\"b\\c\n\t\r\u{8}\u{C}\u{0}\u{1}\u{1F}/\u{7F}é😀\u{2028}")
        #expect(CanonicalJSON.string(value) == #""a\"b\\c\n\t\r\b\f\u0000\u0001\u001f/"# + "\u{7F}é😀\u{2028}\"")
    }

    @Test("key order in the input never changes the canonical text or its digest")
    func orderIndependence() throws {
        let first = try JSONValue.parse(#"{"b": 1, "a": {"y": 2.50, "x": [1, 2]}}"#)
        let second = try JSONValue.parse(#"{"a": {"x": [1, 2], "y": 2.5}, "b": 1.0}"#)
        #expect(CanonicalJSON.string(first) == CanonicalJSON.string(second))
        #expect(CanonicalJSON.string(first) == #"{"a":{"x":[1,2],"y":2.5},"b":1}"#)
        #expect(SHA256.digest(CanonicalJSON.data(first)) == SHA256.digest(CanonicalJSON.data(second)))
    }

    @Test("data is the UTF-8 encoding of the canonical string")
    func dataIsUTF8() {
        let value: JSONValue = ["é": "ü"]
        #expect(CanonicalJSON.data(value) == Data(#"{"é":"ü"}"#.utf8))
    }
}
