public import Foundation

/// Runs a program (usually the `agora` binary) for end-to-end tests, without blocking the
/// cooperative pool: the pipes are drained on their own threads before the exit is awaited, so a
/// chatty child never deadlocks on a full pipe.
public enum CommandRunner {
    /// What a finished program left.
    public struct Result: Sendable {
        /// The exit status (or the signal number, negated, when it was killed by one).
        public var status: Int32
        /// Everything it wrote to standard output.
        public var stdout: String
        /// Everything it wrote to standard error.
        public var stderr: String
    }

    /// The `agora` binary next to the test bundle (`.build/<config>/agora`), or `nil` if it is not built.
    public static var agoraBinary: URL? {
        var candidates: [URL] = []
        if let explicit = ProcessInfo.processInfo.environment["AGORA_BINARY"] {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("agora"))
            directory = directory.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs the `agora` binary with `arguments`.
    public static func agora(
        _ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil,
        stdin: Data? = nil
    ) async throws -> Result {
        guard let binary = agoraBinary else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the agora binary is not built"])
        }
        return try await run(
            binary, arguments, environment: environment, currentDirectory: currentDirectory, stdin: stdin)
    }

    /// Runs `executable` with `arguments`; `environment` is added to this process's environment.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: URL? = nil, stdin: Data? = nil
    ) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        let collected = Collected()
        let group = DispatchGroup()
        for (pipe, keyPath) in [(out, \Collected.stdout), (err, \Collected.stderr)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(keyPath, data)
                group.leave()
            }
        }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                let code =
                    finished.terminationReason == .uncaughtSignal
                    ? -finished.terminationStatus : finished.terminationStatus
                group.notify(queue: .global()) { continuation.resume(returning: code) }
            }
            do {
                try process.run()
                if let stdin {
                    input.fileHandleForWriting.write(stdin)
                    try? input.fileHandleForWriting.close()
                }
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Result(
            status: status, stdout: String(decoding: collected.stdout, as: UTF8.self),
            stderr: String(decoding: collected.stderr, as: UTF8.self))
    }

    /// The output of both pipes; `@unchecked Sendable` because every access holds the lock.
    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var storage: [Data] = [Data(), Data()]

        var stdout: Data { lock.withLock { storage[0] } }
        var stderr: Data { lock.withLock { storage[1] } }

        func set(_ keyPath: KeyPath<Collected, Data>, _ data: Data) {
            lock.withLock { storage[keyPath == \Collected.stdout ? 0 : 1] = data }
        }
    }
}
