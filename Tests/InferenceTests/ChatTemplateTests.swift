import AgoraTesting
import Foundation
import Storage
import Testing

@testable import Inference

/// The prompt each built-in model is given, rendered by the server's own code (llama-cpp-python's
/// chat formatters in the built venv) for one persona turn (#15 item 5). Runs where the venv is built.
@Suite(
    "Chat prompts of the built-in models, as the server renders them", .timeLimit(.minutes(2)),
    .enabled(if: FileManager.default.isExecutableFile(atPath: LocalModel().python.path), "the venv is not built"))
struct ChatTemplateTests {
    static let messages: JSONValue = [
        ["role": "system", "content": "You are Maria, a nurse."], ["role": "user", "content": "Would you buy it?"],
    ]

    /// Renders `messages` with the named llama-cpp-python chat format, or with `template` (Jinja).
    static func render(format: String?, template: String?) async throws -> String {
        let script = """
            import json, sys
            from llama_cpp import llama_chat_format as f
            messages = json.loads(sys.argv[1])
            if sys.argv[2]:
                handler = {"gemma": f.format_gemma}[sys.argv[2]]
                print(handler(messages=messages).prompt, end="")
            else:
                formatter = f.Jinja2ChatFormatter(template=sys.argv[3], eos_token="<|im_end|>", bos_token="")
                print(formatter(messages=messages).prompt, end="")
            """
        let result = try await CommandRunner.run(
            LocalModel().python, ["-c", script, messages.serialized(), format ?? "", template ?? ""])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// llama-cpp-python's `gemma` format has no system turn: the persona in the system message is
    /// not in Gemma's prompt at all (a reason SmolLM2 is the better default, docs/local-model.md).
    @Test func gemmaIsPromptedWithItsGemmaFormatWhichDropsTheSystemMessage() async throws {
        let prompt = try await Self.render(format: LocalModelChoice.gemma3.chatFormat, template: nil)
        #expect(prompt == "<start_of_turn>user\nWould you buy it?<end_of_turn>\n<start_of_turn>model\n")
    }

    @Test(.enabled(if: LocalModel(choice: .smolLM2).isBuilt, "the SmolLM2 GGUF is not built"))
    func smolLM2IsPromptedWithItsOwnChatMLTemplateIncludingTheSystemMessage() async throws {
        #expect(LocalModelChoice.smolLM2.chatFormat == nil)
        let template = try #require(try GGUFMetadata.read(LocalModel(choice: .smolLM2).modelFile).chatTemplate)
        let prompt = try await Self.render(format: nil, template: template)
        #expect(
            prompt
                == "<|im_start|>system\nYou are Maria, a nurse.<|im_end|>\n<|im_start|>user\nWould you buy it?<|im_end|>\n<|im_start|>assistant\n"
        )
    }
}
