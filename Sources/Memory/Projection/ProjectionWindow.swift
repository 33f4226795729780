/// Windowing for long histories (spec memory.md §A.5.5): the event list is cut *before*
/// projection, so every projection invariant still holds on the result.
public enum ProjectionWindow {
    /// The events of `log` that `viewer` sees, keeping only the first `first` and the last `last`
    /// of them (thoughts count as seen by their speaker); a kept tool result keeps its call and a
    /// kept call keeps its result. The result is in seq order (seqs need not be dense). When the
    /// two ends overlap, every visible event is kept.
    ///
    /// With `step` > 1 the cut after the head moves `step` events at a time: the tail holds between
    /// `last` and `last + step - 1` events, so consecutive windows extend each other until the cut
    /// moves (prefix-cache friendly).
    public static func apply(
        _ log: [Event], viewer: Participant, first: Int, last: Int, step: Int = 1,
        backlog: ProjectionConfig.BacklogPolicy = .fromJoin
    ) -> [Event] {
        let visible = log.indices.filter { isVisible(log[$0], to: viewer, backlog: backlog) }
        let first = max(first, 0)
        let last = max(last, 0)
        guard visible.count > first + last else { return visible.map { log[$0] } }
        let afterHead = visible.count - first
        let hidden = ((afterHead - last) / max(1, step)) * max(1, step)
        let tail = afterHead - hidden
        guard hidden > 0 else { return visible.map { log[$0] } }
        var keep = Set(visible.prefix(first) + visible.suffix(tail))
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
