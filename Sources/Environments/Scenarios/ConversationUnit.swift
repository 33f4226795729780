import Inference
import Storage

/// An interview or a group session run as one unit (placeholder until the world engine lands).
struct ConversationUnit {
    let context: UnitContext
    let unit: UnitSpec

    func run(model: any LanguageModel) async throws -> (events: [RunEvent], result: JSONValue) {
        throw EnvironmentError(.world, "the \(context.scenario.kind.rawValue) kind needs the world engine, which this build lacks")
    }
}

extension ConversationUnit {
    /// The speaker id of a scripted interviewer.
    static let interviewerID = "interviewer"
}
