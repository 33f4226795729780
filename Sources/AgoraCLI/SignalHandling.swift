import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM cancel the root task; the command cleans up (stops the local
/// server, closes stores) and `agora` exits 130.
enum SignalHandling {
    static func runCancellable(_ body: @escaping @Sendable () async -> Int32) async -> Int32 {
        let root = Task { await body() }
        let queue = DispatchQueue(label: "agora.signals")
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { @Sendable in
                root.cancel()
            }
            source.resume()
            sources.append(source)
        }
        let status = await root.value
        for source in sources { source.cancel() }
        return root.isCancelled && status != 0 ? ExitCode.interrupted : status
    }
}
