import Memory
import Runs

/// Memory's echo metric (spec memory.md §A.8) over a unit's stored events.
enum ConversationMetricsBridge {
    /// The share of utterances whose largest echo against the previous 3 utterances by others is
    /// at least 0.5, pooled over speakers (0 when nobody spoke).
    static func echoRate(_ events: [RunEvent]) -> Double {
        let utterances = events.filter { $0.kind == "utterance" && $0.speaker != nil }
        var hits = 0
        for (index, event) in utterances.enumerated() {
            let others = utterances[..<index].filter { $0.speaker != event.speaker }.suffix(3)
            let best = others.map { ConversationMetrics.echo(event.content, $0.content) }.max() ?? 0
            if best >= 0.5 { hits += 1 }
        }
        return utterances.isEmpty ? 0 : Double(hits) / Double(utterances.count)
    }
}
