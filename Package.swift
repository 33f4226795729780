// swift-tools-version: 6.2
// Agora: simulate populations of people with language models.
// No package dependencies beyond the toolchain (Foundation, FoundationNetworking, Dispatch,
// Synchronization, Swift Testing) and two system C libraries: sqlite3 and libcurl (via URLSession).
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Agora",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "agora", targets: ["AgoraCLI"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "HTMLKit", targets: ["HTMLKit"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "Memory", targets: ["Memory"]),
        .library(name: "Population", targets: ["Population"]),
        .library(name: "Agents", targets: ["Agents"]),
        .library(name: "Runs", targets: ["Runs"]),
        .library(name: "Worlds", targets: ["Worlds"]),
        .library(name: "Scenarios", targets: ["Scenarios"]),
        .library(name: "ToolTasks", targets: ["ToolTasks"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "Fidelity", targets: ["Fidelity"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Environments", targets: ["Environments"]),
        .library(name: "AgoraTesting", targets: ["AgoraTesting"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .systemLibrary(name: "CEpoll", path: "Sources/CEpoll"),
        .target(name: "Storage", dependencies: ["CSQLite"], swiftSettings: strict),
        // Escaping, the page head and SVG charts shared by the run reports (Runs) and the population
        // fragment (Population), which must not import Runs.
        .target(name: "HTMLKit", swiftSettings: strict),
        .target(
            name: "Inference",
            dependencies: ["Storage", .target(name: "CEpoll", condition: .when(platforms: [.linux]))],
            swiftSettings: strict
        ),
        .target(name: "Memory", dependencies: ["Storage", "Inference"], swiftSettings: strict),
        .target(name: "Population", dependencies: ["Storage", "Inference", "HTMLKit"], swiftSettings: strict),
        .target(name: "Agents", dependencies: ["Memory", "Population", "Inference", "Storage"], swiftSettings: strict),
        // The run layer (docs/architecture.md has the import graph): the engine, the one conversation
        // engine, the kinds, and the front door that maps a scenario file to its kind.
        .target(name: "Runs", dependencies: ["Inference", "Storage", "HTMLKit"], swiftSettings: strict),
        .target(name: "Worlds", dependencies: ["Agents", "Memory", "Inference", "Storage"], swiftSettings: strict),
        // Persona consistency (evaluation.md §C.2): judges, `agora evaluate`, the validation kit, run comparison.
        .target(
            name: "Evaluation",
            dependencies: ["Runs", "Agents", "Memory", "Population", "Inference", "Storage", "HTMLKit"],
            swiftSettings: strict),
        .target(
            name: "Scenarios",
            dependencies: [
                "Runs", "Worlds", "Agents", "Memory", "Population", "Inference", "Storage", "HTMLKit", "Evaluation",
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ToolTasks",
            dependencies: [
                "Runs", "Worlds", "Agents", "Memory", "Population", "Inference", "Storage", "HTMLKit", "Evaluation",
            ],
            swiftSettings: strict
        ),
        // Experiments (docs/experiments.md): arms, factorial and conjoint designs, their statistics.
        .target(
            name: "Experiments", dependencies: ["Runs", "Scenarios", "ToolTasks", "Storage", "HTMLKit", "Evaluation"],
            swiftSettings: strict),
        // Fidelity against real survey data (docs/fidelity.md): reference packages, metrics, the fidelity kind.
        .target(
            name: "Fidelity", dependencies: ["Runs", "Population", "Inference", "Storage", "HTMLKit"],
            swiftSettings: strict),
        .target(
            name: "Environments",
            dependencies: ["Runs", "Scenarios", "ToolTasks", "Storage", "Experiments", "Fidelity"],
            swiftSettings: strict),
        .target(name: "AgoraTesting", dependencies: ["Inference", "Storage"], swiftSettings: strict),
        .executableTarget(
            name: "AgoraCLI",
            dependencies: [
                "Storage", "Inference", "Memory", "Population", "Agents", "Runs", "Worlds", "Scenarios", "ToolTasks",
                "Fidelity", "Environments", "AgoraTesting", "Experiments", "Evaluation",
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "StorageTests", dependencies: ["Storage"], swiftSettings: strict),
        .testTarget(name: "HTMLKitTests", dependencies: ["HTMLKit"], swiftSettings: strict),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "AgoraTesting"], swiftSettings: strict),
        .testTarget(name: "MemoryTests", dependencies: ["Memory", "AgoraTesting"], swiftSettings: strict),
        .testTarget(name: "PopulationTests", dependencies: ["Population", "AgoraTesting"], swiftSettings: strict),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "AgoraTesting"], swiftSettings: strict),
        .testTarget(
            name: "RunsTests", dependencies: ["Runs", "Inference", "Storage", "AgoraTesting"], swiftSettings: strict),
        .testTarget(
            name: "WorldsTests", dependencies: ["Worlds", "Agents", "Memory", "Inference", "Storage", "AgoraTesting"],
            swiftSettings: strict),
        .testTarget(
            name: "ScenariosTests",
            dependencies: [
                "Scenarios", "Runs", "Worlds", "Environments", "Agents", "Memory", "Inference", "Storage",
                "AgoraTesting", "Evaluation",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ToolTasksTests",
            dependencies: [
                "ToolTasks", "Scenarios", "Runs", "Worlds", "Environments", "Agents", "Memory", "Inference", "Storage",
                "AgoraTesting", "HTMLKit", "Evaluation",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "EnvironmentsTests",
            dependencies: [
                "Environments", "Runs", "Scenarios", "ToolTasks", "Inference", "Storage", "AgoraTesting", "HTMLKit",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: [
                "Experiments", "Environments", "Runs", "Scenarios", "Inference", "Storage", "AgoraTesting",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "FidelityTests",
            dependencies: ["Fidelity", "Environments", "Runs", "Population", "Inference", "Storage", "AgoraTesting"],
            swiftSettings: strict),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "Runs", "Agents", "Memory", "Inference", "Storage", "AgoraTesting"],
            swiftSettings: strict),
        .testTarget(name: "AgoraTestingTests", dependencies: ["AgoraTesting", "Inference"], swiftSettings: strict),
        .testTarget(
            name: "AgoraCLITests", dependencies: ["AgoraCLI", "AgoraTesting", "Storage", "Inference"],
            swiftSettings: strict),
    ]
)
