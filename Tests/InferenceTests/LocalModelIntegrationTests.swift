import AgoraTesting
import Foundation
import Inference
import Storage
import Testing

/// Integration tests against the real local model (llama.cpp + the default GGUF, SmolLM2-135M-Instruct). They run whenever
/// the model is built; in CI a missing model fails them instead of skipping.
@Suite(.serialized, .enabled(if: LocalModelFixture.isAvailable), .timeLimit(.minutes(5)))
struct LocalModelIntegrationTests {
    @Test func aChatCallAnswersWithText() async throws {
        let model = try await LocalModelFixture.model()
        let response = try await model.complete(
            ChatRequest(
                messages: [.system("You are Maria, a nurse from Ohio."), .user("Where do you live?")],
                temperature: 0, maxTokens: 24))
        #expect(!response.content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(response.usage.promptTokens > 0)
        #expect(response.usage.completionTokens > 0)
    }

    @Test func aJSONSchemaCallDecodesAndValidates() async throws {
        let model = try await LocalModelFixture.model()
        let schema = try JSONValue.parse(
            #"""
            {"type": "object",
             "properties": {"answer": {"type": "string", "enum": ["yes", "no"]},
                            "confidence": {"type": "integer", "minimum": 1, "maximum": 5}},
             "required": ["answer", "confidence"]}
            """#)
        let result = try await StructuredGenerator(model: model).generate(
            ChatRequest(
                messages: [.user("Is water wet? Answer yes or no, with a confidence from 1 to 5.")],
                temperature: 0, maxTokens: 40),
            schema: schema, name: "answer")
        #expect(SchemaValidator.validate(result.value, against: schema).isEmpty)
        #expect(result.mode == .jsonSchema)
    }
}
