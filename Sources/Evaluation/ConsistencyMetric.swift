import Foundation

// Persona consistency (evaluation.md §C.2): the three metrics of Abdulhai et al. (NeurIPS 2025).
// This module holds the judges, the library side of `agora evaluate`, the human-rating validation
// kit and the comparison of runs of one scenario (docs/architecture.md).

/// One of the three persona-consistency metrics a judge scores.
public enum ConsistencyMetric: String, Sendable, Hashable, CaseIterable, Codable {
    /// Prompt-to-line: does a line agree with the speaker's persona?
    case promptToLine = "p2l"
    /// Line-to-line: does a line contradict the speaker's own earlier lines?
    case lineToLine = "l2l"
    /// Q&A: does the simulated person answer questions about its persona as the persona would?
    case questionAnswer = "qa"

    /// Parses a comma-separated list such as `p2l,l2l,qa` (order kept, duplicates dropped).
    /// - Throws: `ConsistencyMetric.ParseError` naming the unknown metric and the known ones.
    public static func parseList(_ text: String) throws -> [ConsistencyMetric] {
        var metrics: [ConsistencyMetric] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = piece.trimmingCharacters(in: .whitespaces)
            guard let metric = ConsistencyMetric(rawValue: name) else {
                throw ParseError(name: name)
            }
            if !metrics.contains(metric) { metrics.append(metric) }
        }
        return metrics
    }

    /// An unknown metric name.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        /// The name that is not a metric.
        public let name: String
        public var description: String {
            "unknown consistency metric `\(name)`; use a comma-separated list of "
                + ConsistencyMetric.allCases.map(\.rawValue).joined(separator: ", ")
        }
    }
}
