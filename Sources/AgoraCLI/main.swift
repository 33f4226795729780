// Entry point of `agora`. Kept thin: closures written here would be main-actor isolated (STYLE.md),
// so the work and the signal handling live in AgoraMain and SignalHandling.
import Foundation

let status = await SignalHandling.runCancellable {
    await AgoraMain.run(Array(CommandLine.arguments.dropFirst()))
}
exit(status)
