/// Writes model narratives for personas (placeholder until the Inference module lands).
public struct NarrativeWriter: Sendable {
    func generate(
        spec: PopulationSpec, count: Int, seed: UInt64, out: String, workers: Int,
        progress: (@Sendable (Int) -> Void)?
    ) async throws(PopulationError) -> GenerationSummary {
        throw PopulationError(.narrative, "narratives are not available yet")
    }
}
