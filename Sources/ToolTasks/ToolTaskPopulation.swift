import Foundation
public import Population
import Runs
public import Storage

/// Where a tool-task run's population personas come from (`--population`, scenario `"population"`).
public enum ToolTaskPopulation: Sendable, Hashable {
    /// A persona JSONL file as `agora population generate` writes it.
    case personas(path: String)
    /// A `POPULATION.json` spec, generated on the fly by the population factory (`count` personas, the
    /// spec's own seed when `nil`).
    case spec(path: String, count: Int?, seed: UInt64?)
    /// Personas given directly (tests, library use).
    case inline([Persona])

    /// A file argument: `.jsonl` → personas, anything else → a spec.
    public init(file: String, count: Int? = nil, seed: UInt64? = nil) {
        self = file.hasSuffix(".jsonl") ? .personas(path: file) : .spec(path: file, count: count, seed: seed)
    }

    /// The source as JSON for the run manifest (paths made absolute).
    public var json: JSONValue {
        func absolute(_ p: String) -> JSONValue { .string(URL(fileURLWithPath: p).standardizedFileURL.path) }
        switch self {
        case .personas(let path): return .object(JSONObject([("personas", absolute(path))]))
        case .spec(let path, let count, let seed):
            var o = JSONObject([("spec", absolute(path))])
            if let count { o["count"] = .integer(Int64(count)) }
            if let seed { o["seed"] = .integer(Int64(bitPattern: seed)) }
            return .object(o)
        case .inline(let personas): return .object(JSONObject([("inline", .array(personas.map(\.participantJSON)))]))
        }
    }

    /// The personas, in population order, through Population's loaders (the same JSONL reader and
    /// population factory that `agora run` uses).
    public func resolve(generator: PopulationGenerator? = PersonaFactory.generator) async throws -> [Persona] {
        switch self {
        case .personas(let path):
            let personas: [Persona]
            do {
                personas = try Persona.readJSONL(file: path)
            } catch {
                throw RunError(error)
            }
            guard !personas.isEmpty else { throw RunError(.invalidInput, "the persona file is empty", file: path) }
            return personas
        case .inline(let personas):
            guard !personas.isEmpty else {
                throw RunError(.invalidInput, "the population is empty", path: "population")
            }
            return personas
        case .spec(let path, let count, let seed):
            guard let generator else {
                throw RunError(
                    .invalidInput,
                    "cannot generate a population here; run `agora population generate --spec \(path) --out personas.jsonl` and pass the JSONL",
                    file: path)
            }
            let personas = try await generator(path, count, seed)
            guard !personas.isEmpty else {
                throw RunError(.invalidInput, "the population is empty", file: path)
            }
            return personas
        }
    }

    /// Which population persona each (task, persona policy) pair gets: a permutation of the population
    /// drawn from `seed` (stream `population-users`), cycled over the pairs in unit order. Every persona
    /// is used ⌊pairs/N⌋ or ⌈pairs/N⌉ times; all trials of a pair share the persona, so pass^k compares
    /// like with like.
    public static func assignment(pairs: Int, population: Int, seed: UInt64) -> [Int] {
        guard pairs > 0, population > 0 else { return [] }
        var order = Array(0..<population)
        var stream = RandomStream(seed: seed).substream("population-users")
        stream.shuffle(&order)
        return (0..<pairs).map { order[$0 % population] }
    }
}

extension RunError {
    /// A Population error (a persona that does not decode) as a run error: same message, file and
    /// path; the Population error underneath.
    init(_ error: PopulationError, code: Code = .invalidInput) {
        self.init(code, error.message, file: error.file, path: error.path, underlying: error)
    }
}
