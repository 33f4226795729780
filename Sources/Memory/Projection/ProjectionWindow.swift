/// Windowing for long histories (spec memory.md §A.5.5): the event list is cut *before*
/// projection, so every projection invariant still holds on the result.
public enum ProjectionWindow {
    /// The events of `log` that `viewer` sees, keeping only the first `first` and the last `last`
    /// of them (thoughts count as seen by their speaker); a kept tool result keeps its call and a
    /// kept call keeps its result. The result is in seq order (seqs need not be dense). When the
    /// two ends overlap, every visible event is kept.
    public static func apply(
        _ log: [Event], viewer: Participant, first: Int, last: Int,
        backlog: ProjectionConfig.BacklogPolicy = .fromJoin
    ) -> [Event] {
        let visible = log.indices.filter { isVisible(log[$0], to: viewer, backlog: backlog) }
        guard visible.count > first + last else { return visible.map { log[$0] } }
        var keep = Set(visible.prefix(max(first, 0)) + visible.suffix(max(last, 0)))
        for i in keep.sorted() {
            if log[i].kind == .toolResult, i > 0, log[i - 1].kind == .toolCall { keep.insert(i - 1) }
            if log[i].kind == .toolCall, i + 1 < log.count, log[i + 1].kind == .toolResult,
                log[i + 1].tool?.callID == log[i].tool?.callID
            {
                keep.insert(i + 1)
            }
        }
        return keep.sorted().map { log[$0] }
    }
}
