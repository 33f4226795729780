import Foundation
import Storage

/// The answers a fidelity figure is computed from, as flat arrays: one row per respondent, one
/// column per scored question, each cell an option position (`0..<K`) or `-1` (missing, failed).
///
/// Every respondent belongs to cell 0 (everyone) and to at most one group cell per attribute
/// (`groups[r * attributeCount + a]`, a cell id ≥ 1, or `-1` when the attribute is missing).
public struct FidelityTable: Sendable {
    /// What the simulated side of the table is.
    public enum Simulated: Sendable {
        /// Simulated answers, `answers[r * Q + q]`, `-1` for failed or not asked.
        case answers([Int32])
        /// The uniform reference point: S = U, expected accuracy 1/K.
        case uniform
        /// The majority reference point: everyone answers `modes[q]` (S one-hot; accuracy is the
        /// humans' share of that option), computed from the human counts alone.
        case majority([Int32])

        /// Whether the simulated side is computed from the human counts (no simulated answers).
        var isAnalytic: Bool {
            if case .answers = self { return false }
            return true
        }
    }

    /// K of each question.
    public var optionCounts: [Int]
    /// Whether each question is ordinal.
    public var ordinal: [Bool]
    /// The humans' answers, `human[r * Q + q]`.
    public var human: [Int32]
    /// The simulated side.
    public var simulated: Simulated
    /// Design weights, one per respondent.
    public var weights: [Double]
    /// Group cells, `groups[r * attributeCount + a]`.
    public var groups: [Int32]
    /// Attributes per respondent in ``groups``.
    public var attributeCount: Int
    /// Cells: 1 (everyone) + every group of every attribute.
    public var cellCount: Int
    /// Consecutive row counts resampled separately (quota runs: the people, then the simulated
    /// respondents); empty: one stratum of every row.
    public var strata: [Int] = []

    /// Creates a table.
    public init(
        optionCounts: [Int], ordinal: [Bool], human: [Int32], simulated: Simulated, weights: [Double],
        groups: [Int32] = [], attributeCount: Int = 0, cellCount: Int = 1
    ) {
        self.optionCounts = optionCounts
        self.ordinal = ordinal
        self.human = human
        self.simulated = simulated
        self.weights = weights
        self.groups = groups
        self.attributeCount = attributeCount
        self.cellCount = cellCount
    }

    /// Q.
    public var questionCount: Int { optionCounts.count }
    /// n.
    public var respondentCount: Int { weights.count }

    /// The same table with another simulated side.
    public func with(_ simulated: Simulated) -> FidelityTable {
        var copy = self
        copy.simulated = simulated
        return copy
    }
}

/// Where each figure sits in a flat figure vector: per cell, per question 5 figures, then 7
/// overall figures.
public struct FigureLayout: Sendable, Hashable {
    /// Per-question figures.
    public enum QuestionFigure: Int, Sendable, CaseIterable {
        case tvd, simbench, ordinalSimilarity, accuracy, ordinalError
    }
    /// Overall figures of a cell.
    public enum OverallFigure: Int, Sendable, CaseIterable {
        case representativenessOrdinal, representativenessNominal, representativeness, tvd, simbench, accuracy,
            ordinalError
    }

    /// Q.
    public var questions: Int
    /// Cells.
    public var cells: Int

    /// Figures per cell.
    public var perCell: Int { questions * 5 + 7 }
    /// Figures in all.
    public var count: Int { cells * perCell }
    /// The index of a question figure.
    public func index(cell: Int, question: Int, _ figure: QuestionFigure) -> Int {
        cell * perCell + question * 5 + figure.rawValue
    }
    /// The index of an overall figure.
    public func index(cell: Int, _ figure: OverallFigure) -> Int { cell * perCell + questions * 5 + figure.rawValue }
}
