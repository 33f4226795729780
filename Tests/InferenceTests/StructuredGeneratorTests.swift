import AgoraTesting
import Inference
import Storage
import Testing

@Suite struct StructuredGeneratorTests {
    static let schema: JSONValue = try! JSONValue.parse(
        #"{"type": "object", "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 9}}, "required": ["score"]}"#
    )

    @Test func aValidAnswerIsReturnedAfterOneCallWithTheSchemaInResponseFormat() async throws {
        let model = ScriptedModel(identifier: "sg-valid", replies: [#"{"score": 7}"#])
        let result = try await StructuredGenerator(model: model).generate(
            ChatRequest(messages: [.user("Rate it")]), schema: Self.schema, name: "rating")
        #expect(result.value == .object(JSONObject([("score", .integer(7))])))
        #expect(result.attempts == 1)
        #expect(result.mode == .jsonSchema)
        #expect(model.requests.first?.responseFormat == .jsonSchema(name: "rating", schema: Self.schema, strict: true))
    }

    @Test func anOutOfRangeAnswerGetsOneRepairRoundThatNamesTheProblem() async throws {
        let model = ScriptedModel(identifier: "sg-repair", replies: [#"{"score": 12}"#, #"{"score": 9}"#])
        let result = try await StructuredGenerator(model: model).generate(
            ChatRequest(messages: [.user("Rate it")]), schema: Self.schema, name: "rating")
        #expect(result.value["score"] == .integer(9))
        #expect(result.attempts == 2)
        let repair = try #require(model.requests.last)
        #expect(repair.messages.count == 3)
        #expect(repair.messages[1] == .assistant(#"{"score": 12}"#))
        #expect(repair.messages[2].content.contains("$.score: 12 is above the maximum 9"))
    }

    @Test func malformedJSONTwiceIsATypedError() async throws {
        let model = ScriptedModel(identifier: "sg-malformed", replies: ["I think 7", "still 7"])
        await #expect {
            _ = try await StructuredGenerator(model: model).generate(
                ChatRequest(messages: [.user("Rate it")]), schema: Self.schema, name: "rating")
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .invalidStructuredOutput && error.message.contains("no JSON object")
        }
        #expect(model.requests.count == 2)
    }

    @Test func aRejectedJSONSchemaModeIsDowngradedAndRemembered() async throws {
        let identifier = "sg-downgrade"
        StructuredOutputSupport.reset(identifier)
        let model = ScriptedModel(
            identifier: identifier,
            answering: { request in
                if case .jsonSchema = request.responseFormat {
                    return .failure(
                        InferenceError(.httpError, "response_format json_schema is not supported", status: 400))
                }
                return .text(#"{"score": 3}"#)
            })
        let generator = StructuredGenerator(model: model)
        let first = try await generator.generate(
            ChatRequest(messages: [.user("Rate it")]), schema: Self.schema, name: "r")
        // The next strongest form is llama.cpp's json_object with a schema (enforced there by grammar).
        #expect(first.mode == .jsonObjectSchema)
        #expect(model.requests.count == 2)
        #expect(model.requests[1].responseFormat == .jsonObjectSchema(Self.schema))
        #expect(model.requests[1].messages[0].content.contains(#""maximum":9"#))
        // The second call goes straight to it.
        _ = try await generator.generate(ChatRequest(messages: [.user("Again")]), schema: Self.schema, name: "r")
        #expect(model.requests.count == 3)
        #expect(model.requests[2].responseFormat == .jsonObjectSchema(Self.schema))
        #expect(StructuredOutputSupport.mode(for: identifier) == .jsonObjectSchema)
    }

    @Test func aServerThatRejectsBothSchemaFormsGetsPlainJSONObject() async throws {
        let identifier = "sg-downgrade-twice"
        StructuredOutputSupport.reset(identifier)
        let model = ScriptedModel(
            identifier: identifier,
            answering: { request in
                switch request.responseFormat {
                case .jsonSchema, .jsonObjectSchema:
                    return .failure(
                        InferenceError(.httpError, "unsupported response_format parameter", status: 400))
                default:
                    return .text(#"{"score": 3}"#)
                }
            })
        let result = try await StructuredGenerator(model: model).generate(
            ChatRequest(messages: [.user("Rate it")]), schema: Self.schema, name: "r")
        #expect(result.mode == .jsonObject)
        #expect(
            model.requests.map(\.responseFormat) == [
                .jsonSchema(name: "r", schema: Self.schema, strict: true), .jsonObjectSchema(Self.schema), .jsonObject,
            ])
    }

    @Test func otherHTTPErrorsAreNotTakenForAFormatRejection() async throws {
        let model = ScriptedModel(
            identifier: "sg-401", answers: [.failure(InferenceError(.httpError, "bad key", status: 401))])
        await #expect(throws: InferenceError.self) {
            _ = try await StructuredGenerator(model: model).generate(
                ChatRequest(messages: [.user("x")]), schema: Self.schema, name: "r")
        }
        #expect(model.requests.count == 1)
    }
}
