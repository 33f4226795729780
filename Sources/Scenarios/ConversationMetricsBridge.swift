import Memory
import Runs

/// Memory's echo metric (spec memory.md §A.8) over a unit's stored events.
enum ConversationMetricsBridge {
    /// Memory's ``ConversationMetrics/pooledEchoRate(_:)`` over the unit's utterances: the share that
    /// echo one of the previous 3 utterances by others (0 when nobody spoke).
    static func echoRate(_ events: [RunEvent]) -> Double {
        ConversationMetrics.pooledEchoRate(
            events.filter { $0.kind == "utterance" && $0.speaker != nil }.map {
                (speaker: $0.speaker, content: $0.content)
            }
        )
    }
}
