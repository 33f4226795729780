import Foundation
import Inference
import Storage
import Testing

@testable import Inference

@Suite struct SchemaValidatorTests {
    static let schema: JSONValue = try! JSONValue.parse(
        #"""
        {"type": "object",
         "properties": {
           "rating": {"type": "integer", "minimum": 1, "maximum": 5},
           "choice": {"type": "string", "enum": ["a", "b"]},
           "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
           "note": {"type": ["string", "null"], "maxLength": 5}
         },
         "required": ["rating", "choice"],
         "additionalProperties": false}
        """#)

    @Test func aValidValueHasNoProblems() throws {
        let value = try JSONValue.parse(#"{"rating": 3, "choice": "a", "tags": ["x"], "note": null}"#)
        #expect(SchemaValidator.validate(value, against: Self.schema) == [])
    }

    @Test func everyKindOfViolationIsNamedWithItsPath() throws {
        let value = try JSONValue.parse(
            #"{"rating": 9, "choice": "c", "tags": ["x", 2, "z"], "note": "too long", "extra": 1}"#)
        #expect(
            SchemaValidator.validate(value, against: Self.schema) == [
                "$.rating: 9 is above the maximum 5",
                #"$.choice: "c" is not one of ["a", "b"]"#,
                "$.tags: more than 2 items",
                "$.tags[1]: expected string, found integer",
                "$.note: longer than 5 characters",
                #"$: unexpected property "extra""#,
            ])
    }

    @Test func missingRequiredPropertiesAndWrongTypesAreReported() throws {
        let value = try JSONValue.parse(#"{"rating": "3"}"#)
        #expect(
            SchemaValidator.validate(value, against: Self.schema) == [
                #"$: missing required property "choice""#,
                "$.rating: expected integer, found string",
            ])
    }

    @Test func anIntegralDoubleCountsAsAnInteger() throws {
        let value = try JSONValue.parse(#"{"rating": 4.0, "choice": "b"}"#)
        #expect(SchemaValidator.validate(value, against: Self.schema) == [])
    }
}

@Suite struct TolerantJSONTests {
    @Test(arguments: [
        (#"{"a": 1}"#, #"{"a":1}"#),
        ("Sure! Here it is:\n```json\n{\"a\": 1}\n```", #"{"a":1}"#),
        (#"{"a": [1, 2,], }"#, #"{"a":[1,2]}"#),
        (#"text {"a": "}"} more"#, #"{"a":"}"}"#),
        (#"{"a": "cut off"#, #"{"a":"cut off"}"#),
        (#"[1, 2"#, "[1,2]"),
    ])
    func recoversTheJSONAModelMeant(input: String, expected: String) throws {
        let value = try #require(TolerantJSON.extract(input))
        #expect(value.serialized() == expected)
    }

    @Test func textWithoutJSONGivesNothing() {
        #expect(TolerantJSON.extract("no json here") == nil)
    }
}

@Suite struct RetryPolicyTests {
    @Test func retryableStatusesAreExactlyTheTransientOnes() {
        let retryable = (400...599).filter { RetryPolicy.isRetryable(status: $0) }
        #expect(retryable == [408, 409, 429] + Array(500...599))
    }

    @Test func retryAfterAcceptsSecondsAndHTTPDates() throws {
        #expect(RetryPolicy.parseRetryAfter("3") == 3)
        #expect(RetryPolicy.parseRetryAfter(" 0.5 ") == 0.5)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
        let now = try #require(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: .distantPast))
        #expect(now > 0)
    }

    @Test func fullJitterStaysWithinTheExponentialCap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 0.5, maxDelay: 4)
        var random = RandomStream(seed: 1)
        for retry in 0..<10 {
            let cap = min(4, 0.5 * Double(1 << retry))
            for _ in 0..<100 {
                let delay = policy.backoff(retry: retry, random: &random)
                #expect(delay >= 0 && delay < cap)
            }
        }
    }
}

@Suite struct WireDialectTests {
    @Test func theLlamaCppDialectSendsSmallIntegerRangesAsEnumsInsideJSONObject() throws {
        let schema = try JSONValue.parse(
            #"{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 3}, "big": {"type": "integer", "minimum": 0, "maximum": 100000}}}"#
        )
        let request = ChatRequest(
            messages: [.user("x")], responseFormat: .jsonSchema(name: "s", schema: schema, strict: true))
        let body = OpenAIWire.chatBody(request, model: "m", dialect: .llamaCpp)
        #expect(body["response_format"]?["type"] == "json_object")
        #expect(body["response_format"]?["schema"]?["properties"]?["n"]?["enum"] == [1, 2, 3])
        #expect(body["response_format"]?["schema"]?["properties"]?["big"]?["enum"] == nil)
        let openAI = OpenAIWire.chatBody(request, model: "m")
        #expect(openAI["response_format"]?["type"] == "json_schema")
        #expect(openAI["response_format"]?["json_schema"]?["schema"] == schema)
    }
}

@Suite("Hardening: parsing model output is linear with a depth limit")
struct ParserHardeningTests {
    @Test(
        "hostile answers (deep brackets, many openers) are rejected quickly", .timeLimit(.minutes(1)),
        arguments: [
            String(repeating: "[", count: 20_000), String(repeating: "{\"a\":", count: 20_000),
            String(repeating: "[1,", count: 20_000), "text " + String(repeating: "{ ", count: 20_000) + " end",
            String(repeating: "\"", count: 20_001) + "{",
        ])
    func hostileAnswers(text: String) {
        let clock = ContinuousClock()
        let start = clock.now
        _ = TolerantJSON.extract(text)
        #expect(clock.now - start < .seconds(10), "\(text.prefix(12))… took \(clock.now - start)")
    }

    @Test("a well-formed answer after many stray brackets in prose is still found within the candidate budget")
    func strayBracketsThenJSON() throws {
        let text = "notes [a] [b] [c] then: {\"answer\": 3}"
        #expect(TolerantJSON.extract(text) == ["answer": 3])
    }
}
