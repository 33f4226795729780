import Storage

/// Seeded, balanced assignment of respondents to the arms of an experiment.
///
/// Between subjects: within each stratum the members are shuffled by a named stream and dealt to
/// the arms in turn, the deal continuing across strata, so every stratum's arm sizes differ by at
/// most one and so do the totals. Within subjects: every respondent sees every arm, in the order of
/// one row of a cyclic Latin square (rows dealt the same way), so each arm is in each position
/// equally often (±1). Both depend only on the seed, the ids and the strata: never on concurrency
/// or on which units already ran.
public enum BalancedAssignment {
    /// The arm (0..<arms) of each respondent, in the order of `ids`.
    ///
    /// - Parameters:
    ///   - ids: the respondents.
    ///   - strata: each respondent's stratum key (e.g. `sex=female|region=West`); empty for none.
    ///   - arms: how many arms (≥ 1).
    ///   - seed: the run seed.
    public static func between(ids: [String], strata: [String], arms: Int, seed: UInt64) -> [Int] {
        deal(ids: ids, strata: strata, arms: arms, seed: seed).map(\.arm)
    }

    /// Each respondent's arm and turn in the deal (0, 1, 2…: every run of `arms` consecutive turns
    /// covers every arm once, so running respondents in turn order keeps any prefix balanced).
    public static func deal(ids: [String], strata: [String], arms: Int, seed: UInt64) -> [(arm: Int, turn: Int)] {
        precondition(arms >= 1 && strata.count == ids.count, "one stratum per respondent and at least one arm")
        var assignment = [(arm: Int, turn: Int)](repeating: (0, 0), count: ids.count)
        var dealt = 0
        for (key, members) in groups(strata) {
            var order = members
            var stream = RandomStream(seed: seed).substream("experiment/assignment/\(key)")
            stream.shuffle(&order)
            for member in order {
                assignment[member] = (dealt % arms, dealt)
                dealt += 1
            }
        }
        return assignment
    }

    /// The order of the arms each respondent sees (a row of a cyclic Latin square), in the order of
    /// `ids`.
    public static func within(ids: [String], strata: [String], arms: Int, seed: UInt64) -> [[Int]] {
        between(ids: ids, strata: strata, arms: arms, seed: seed).map { row in (0..<arms).map { (row + $0) % arms } }
    }

    /// The members of each stratum (indices), strata sorted by key so the result never depends on
    /// dictionary order.
    static func groups(_ strata: [String]) -> [(String, [Int])] {
        var members: [String: [Int]] = [:]
        for (index, key) in strata.enumerated() { members[key, default: []].append(index) }
        return members.keys.sorted().map { ($0, members[$0] ?? []) }
    }
}
