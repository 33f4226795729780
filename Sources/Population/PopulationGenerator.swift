/// Turns a `POPULATION.json` into personas, in slot order: `count` people (the spec's own population
/// when `nil`) from `seed` (the spec's own when `nil`).
///
/// Run kinds take one as a parameter so that tests can replace how populations are generated;
/// ``PersonaFactory/generator`` is the default.
public typealias PopulationGenerator =
    @Sendable (_ specPath: String, _ count: Int?, _ seed: UInt64?) async throws -> [Persona]

extension PersonaFactory {
    /// The factory as a ``PopulationGenerator``: loads the spec and generates its personas in memory
    /// with exact quotas (see ``personas(spec:count:seed:workers:)``).
    public static let generator: PopulationGenerator = { path, count, seed in
        let spec = try PopulationSpec.load(file: path)
        return try await personas(spec: spec, count: count, seed: seed).personas
    }
}
