import Foundation

/// Runs a child process without blocking the cooperative pool (its exit is awaited through the
/// termination handler, never `waitUntilExit`).
enum Subprocess {
    enum Output {
        case standardError
        case discard
    }

    /// Runs `executable` with `arguments`, adding `environment` to ours; returns the exit status.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], output: Output)
        async throws -> Int32
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        switch output {
        case .standardError:
            process.standardOutput = FileHandle.standardError
            process.standardError = FileHandle.standardError
        case .discard:
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                continuation.resume(returning: finished.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }
}
