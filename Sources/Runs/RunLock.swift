public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive lock on a run folder (`<run>/run.lock`, `flock`), held while one process runs,
/// resumes or reports the run, so two processes never run the same units (and pay for them) twice.
///
/// The kernel releases the lock when the process exits or dies (SIGKILL included), so a stale
/// lock file never blocks a later `--resume`. The file holds the holder's pid, for the error
/// message of the process that is refused.
public final class RunLock: Sendable {
    /// The lock file's name inside a run folder.
    public static let fileName = "run.lock"

    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)  // releases the flock
    }

    /// Takes the lock of the run in `directory`, or throws at once when another process holds it.
    ///
    /// - Throws: ``RunError`` (`runStore`) naming the holder's pid, or `io` when the lock file
    ///   cannot be created.
    public static func acquire(_ directory: URL) throws(RunError) -> RunLock {
        let path = directory.appendingPathComponent(fileName).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RunError(.io, "cannot create the run's lock file (\(String(cString: strerror(errno))))", file: path)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.holder(descriptor)
            close(descriptor)
            throw RunError(
                .runStore,
                "another agora process\(holder.map { " (pid \($0))" } ?? "") is running this run; wait for it to finish or stop it, then --resume",
                file: directory.path)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBufferPointer { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return RunLock(descriptor: descriptor)
    }

    /// The pid written by the process holding the lock, if readable.
    private static func holder(_ descriptor: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBufferPointer { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
