import Runs
import Storage

/// Native parts of Agora's support-desk domain (most of its tools are SQL templates).
enum SupportDeskTools {
    static let all: [(String, NativeToolFunction)] = []
    static let assertions: [(String, NativeToolFunction)] = []
}
