import Foundation
import Storage

/// Subgroups of a reference survey: one group per labelled code, numbers binned at the quartiles.
public struct SurveyGroups: Sendable {
    /// Cell labels: cell 0 is everyone, then each attribute's groups in order.
    public var cells: [(attribute: Int, label: String)]
    /// The cell ids of each attribute's groups.
    public var attributeCells: [[Int]]
    /// `groups[r * attributes + a]` for every respondent of the survey (`-1`: missing).
    public var groups: [Int32]
    /// Attributes.
    public var attributeCount: Int
    /// The quartile cut points of each numeric attribute (empty for coded ones).
    public var cuts: [[Double]]
    /// The cell of each code of each coded attribute.
    public var codeCells: [[String: Int]]

    /// The cell of value `code` of attribute `a` (nil: missing or unknown).
    public func cell(attribute a: Int, code: String) -> Int? {
        if let cell = codeCells[a][code] { return cell }
        guard !cuts[a].isEmpty || codeCells[a].isEmpty, let x = Double(code.trimmingCharacters(in: .whitespaces)),
            let first = attributeCells[a].first
        else { return nil }
        return first + (cuts[a].firstIndex { x <= $0 } ?? cuts[a].count)
    }

    /// Groups every respondent of `survey`.
    public init(_ survey: ReferenceSurvey) {
        let a = survey.attributes.count
        var cells: [(attribute: Int, label: String)] = [(-1, "everyone")]
        var attributeCells: [[Int]] = []
        var groups = [Int32](repeating: -1, count: survey.count * a)
        var allCuts: [[Double]] = []
        var codeCells: [[String: Int]] = []
        for (ai, attribute) in survey.attributes.enumerated() {
            let codes = survey.attributeCodes.map { $0[ai] }
            var ids: [Int] = []
            if attribute.type == .string {
                var order = attribute.labels.map(\.code)
                let extra = Set(codes.compactMap { $0 }).subtracting(order)
                order += extra.sorted { (Double($0) ?? .infinity, $0) < (Double($1) ?? .infinity, $1) }
                let present = Set(codes.compactMap { $0 })
                var cellOf: [String: Int] = [:]
                for code in order where present.contains(code) {
                    cellOf[code] = cells.count
                    ids.append(cells.count)
                    cells.append((ai, attribute.text(code)))
                }
                for (r, code) in codes.enumerated() {
                    if let code, let cell = cellOf[code] { groups[r * a + ai] = Int32(cell) }
                }
                allCuts.append([])
                codeCells.append(cellOf)
            } else {
                let values = codes.compactMap { $0.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
                    .sorted()
                var cuts: [Double] = []
                if !values.isEmpty {
                    for q in [0.25, 0.5, 0.75] {
                        let rank = max(Int((q * Double(values.count)).rounded(.up)) - 1, 0)
                        let cut = values[min(rank, values.count - 1)]
                        if cuts.last != cut, cut < values[values.count - 1] { cuts.append(cut) }
                    }
                }
                let name = Self.format
                var labels: [String] = []
                if cuts.isEmpty {
                    if !values.isEmpty { labels = ["all \(name(values[0]))"] }
                } else {
                    labels.append("≤ \(name(cuts[0]))")
                    for i in 1..<cuts.count { labels.append("> \(name(cuts[i - 1])) and ≤ \(name(cuts[i]))") }
                    labels.append("> \(name(cuts[cuts.count - 1]))")
                }
                let first = cells.count
                for label in labels {
                    ids.append(cells.count)
                    cells.append((ai, label))
                }
                for (r, code) in codes.enumerated() {
                    guard let code, let x = Double(code.trimmingCharacters(in: .whitespaces)) else { continue }
                    let bin = cuts.firstIndex { x <= $0 } ?? cuts.count
                    groups[r * a + ai] = Int32(first + bin)
                }
                allCuts.append(cuts)
                codeCells.append([:])
            }
            attributeCells.append(ids)
        }
        self.cells = cells
        self.attributeCells = attributeCells
        self.groups = groups
        attributeCount = a
        cuts = allCuts
        self.codeCells = codeCells
    }

    static func format(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    /// The group cells of the respondents at `indices`, in that order.
    public func rows(_ indices: [Int]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(indices.count * attributeCount)
        for r in indices { out += groups[(r * attributeCount)..<((r + 1) * attributeCount)] }
        return out
    }
}

/// The settings of a fidelity analysis.
public struct FidelitySettings: Sendable {
    /// Bootstrap resamples (0: no intervals).
    public var resamples: Int
    /// The seed of the bootstrap, the folds and the splits.
    public var seed: UInt64
    /// Child tasks the resamples are split across.
    public var workers: Int
    /// Split-half splits averaged for the human ceiling.
    public var splits: Int
    /// Resamples used for the pattern-correspondence intervals (its cost grows with the question pairs).
    public var patternResamples: Int

    /// Creates settings.
    public init(
        resamples: Int = 1000, seed: UInt64 = 1, workers: Int = 2, splits: Int = 20, patternResamples: Int = 200
    ) {
        self.resamples = resamples
        self.seed = seed
        self.workers = workers
        self.splits = splits
        self.patternResamples = patternResamples
    }
}

/// The human side of an analysis: which respondents, which questions are scored, and the features
/// the demographic baseline may use.
public struct FidelitySubject: Sendable {
    /// The survey.
    public var survey: ReferenceSurvey
    /// The groups of the survey.
    public var groups: SurveyGroups
    /// Survey rows analysed, in order.
    public var respondents: [Int]
    /// Question indices scored.
    public var scored: [Int]
    /// Question indices the personas were given (Argyle conditioning): baseline features, not scored.
    public var conditioning: [Int]

    /// Creates a subject (every respondent and question by default).
    public init(survey: ReferenceSurvey, respondents: [Int]? = nil, conditioning: [Int] = []) {
        self.survey = survey
        groups = SurveyGroups(survey)
        self.respondents = respondents ?? Array(0..<survey.count)
        self.conditioning = conditioning
        scored = survey.questions.indices.filter { !conditioning.contains($0) }
    }

    /// The table of the human answers with `simulated` on the other side.
    public func table(_ simulated: FidelityTable.Simulated) -> FidelityTable {
        let q = survey.questions.count
        var human: [Int32] = []
        human.reserveCapacity(respondents.count * scored.count)
        for r in respondents {
            for j in scored { human.append(survey.answers[r * q + j]) }
        }
        return FidelityTable(
            optionCounts: scored.map { survey.questions[$0].optionCount },
            ordinal: scored.map { survey.questions[$0].ordinal }, human: human, simulated: simulated,
            weights: respondents.map { survey.weights[$0] }, groups: groups.rows(respondents),
            attributeCount: groups.attributeCount, cellCount: groups.cells.count)
    }
}
