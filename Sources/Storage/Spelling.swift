/// "Did you mean …?" suggestions: the nearest known word by edit distance.
public enum Spelling {
    /// The candidate nearest to `word` by edit distance (case-insensitive), if it is close (at most
    /// `maxEdits` edits); the first of equally near candidates wins.
    public static func closest(to word: String, in candidates: [String], maxEdits: Int = 2) -> String? {
        var best: (word: String, distance: Int)?
        let target = Array(word.lowercased())
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.lowercased()))
            if distance <= maxEdits, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.word
    }

    /// The Levenshtein distance between two sequences of characters (insertions, deletions and
    /// substitutions each cost 1).
    public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
