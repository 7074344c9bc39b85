// swift-tools-version: 6.0
// SwarmTune: decentralized peer-to-peer LoRA fine-tuning on a shared quantized core.
// No package dependencies: only the Swift toolchain and the system's OpenSSL and SQLite.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "SwarmTune",
    products: [
        .executable(name: "swarmtune", targets: ["swarmtune"]),
        // The tiny GGUF writer the tests use (TestSupport) and the parsers: libraries for the fuzz
        // package (Fuzz/Package.swift), which calls them directly.
    ] + ["SwarmBase", "ModelIO", "Quant", "Tokenizer", "LM", "Adapters", "TrainData", "Membership", "Gossip",
         "Transport", "Scenario", "SwarmTuneCLI", "TestSupport"].map { .library(name: $0, targets: [$0]) },
    targets: [
        // System libraries (headers from libssl-dev, libsqlite3-dev).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .target(name: "COpenSSLShims", dependencies: ["COpenSSL"],
                linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // The base: what every layer shares and no layer owns (node ids, digests, the seeded
        // generator, byte reader/writer, errno, atomic files, strict JSON, clocks, the condition).
        .target(name: "SwarmBase", swiftSettings: strict),
        // SHA-256 through OpenSSL: core hashes and node ids.
        .target(name: "Hashing", dependencies: ["SwarmBase", "COpenSSL"], swiftSettings: strict),

        // Numerics, lowest first. CKernels is built with optimisation even in debug builds so the
        // test suite runs the real kernels at speed; each ISA variant carries its own target attribute.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2", "-ffp-contract=fast", "-Wno-psabi"])]),
        .target(name: "Quant", swiftSettings: strict),
        .target(name: "Tensor", dependencies: ["CKernels", "Quant"], swiftSettings: strict),
        .target(name: "ModelIO", dependencies: ["Quant", "Hashing", "SwarmBase"], swiftSettings: strict),
        .target(name: "Tokenizer", swiftSettings: strict),
        // Adapter files (safetensors, PEFT directories) and private datasets (JSONL).
        .target(name: "Adapters", dependencies: ["SwarmBase"], swiftSettings: strict),
        .target(name: "TrainData", dependencies: ["SwarmBase"], swiftSettings: strict),
        .target(name: "LM", dependencies: ["SwarmBase", "ModelIO", "Tensor", "Quant", "Tokenizer", "Adapters"], swiftSettings: strict),

        // Protocols: pure state machines, no I/O.
        .target(name: "Membership", dependencies: ["SwarmBase"], swiftSettings: strict),
        .target(name: "Consensus", swiftSettings: strict),
        // Gossip: the Dec-LoRA round state machine (pure) and the factor frame codec.
        .target(name: "Gossip", dependencies: ["SwarmBase", "Consensus"], swiftSettings: strict),

        // Secure transport: TLS 1.3 mutual authentication, swarm certificates, framed protocol.
        .target(name: "Transport", dependencies: ["SwarmBase", "Hashing", "COpenSSL", "COpenSSLShims"], swiftSettings: strict),

        // The node's durable state: one SQLite database (WAL) per node, checkpoints with checksums.
        .target(name: "Store", dependencies: ["CSQLite", "SwarmBase"], swiftSettings: strict),

        // The node runtime: the membership driver over the transport, state files, the node command.
        .target(name: "SwarmNode", dependencies: ["Exchange", "SwarmBase", "Membership", "Transport", "Gossip", "Consensus", "Store", "Hashing", "LM", "Tensor", "Train", "TrainData", "Adapters"], swiftSettings: strict),

        // Training: optimizer, schedules, the chat rendering of dataset records, the trainer loop.
        .target(name: "Train", dependencies: ["SwarmBase", "LM", "Tensor", "Tokenizer", "Adapters", "TrainData"], swiftSettings: strict),

        // Dec-LoRA in one process: trainers on one core, mixed over a topology each round.
        .target(name: "Simulation", dependencies: ["SwarmBase", "Train", "Consensus", "LM", "Tensor", "Tokenizer", "TrainData"], swiftSettings: strict),

        // Scenario files (docs/SCENARIOS.md) and the data partitions they ask for: values and pure
        // functions, read by the simulator's backends.
        .target(name: "Scenario", dependencies: ["SwarmBase", "Consensus", "Gossip", "TrainData"], swiftSettings: strict),

        // report.html: a scenario run's summary as one self-contained HTML file with inline SVG (pure
        // rendering, nice ticks, number formats; one atomic write). inspect --html plots through it.
        .target(name: "Report", dependencies: ["SwarmBase", "Scenario", "Consensus"], swiftSettings: strict),

        // Adapters out: merge methods and exports (PEFT, llama.cpp GGUF LoRA, merged GGUF core).
        .target(name: "Export", dependencies: ["Adapters", "Consensus", "ModelIO", "Quant", "LM"], swiftSettings: strict),

        // The CLI: commands live in a library so tests can run them; the executable is one line.
        // The inproc scenario backend: every node of a scenario in one process on one mapped core,
        // the round machine driven in virtual time over a virtual network.
        // Which parts of an adapter a gossip round exchanges, their wire tensors, and the mix per
        // averaging mode: shared by the node and the inproc backend.
        .target(name: "Exchange", dependencies: ["SwarmBase", "Gossip", "Hashing", "LM", "Consensus", "Quant"], swiftSettings: strict),
        .target(name: "ScenarioRun", dependencies: ["SwarmBase", "Scenario", "Gossip", "Consensus", "Train", "LM", "Tensor", "Tokenizer", "TrainData", "Adapters", "Exchange", "Store"], swiftSettings: strict),
        .target(name: "ScenarioProcess", dependencies: ["SwarmBase", "Scenario", "ScenarioRun", "Store", "Transport", "Exchange", "Gossip", "LM", "Train", "Tensor", "Tokenizer", "Consensus"], swiftSettings: strict),
        .target(name: "SwarmTuneCLI", dependencies: ["SwarmBase", "LM", "Train", "Simulation", "Scenario", "ScenarioRun", "ScenarioProcess", "Report", "Export", "Consensus", "Adapters", "TrainData", "Tokenizer", "Transport", "Membership", "Gossip", "Store", "SwarmNode", "ModelIO", "Tensor", "Quant"], swiftSettings: strict),
        .executableTarget(name: "swarmtune", dependencies: ["SwarmTuneCLI"], swiftSettings: strict),

        .testTarget(name: "SwarmBaseTests", dependencies: ["SwarmBase"], swiftSettings: strict),
        .target(name: "TestSupport", dependencies: ["SwarmBase", "ModelIO", "Quant", "LM"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "QuantTests", dependencies: ["Quant", "SwarmBase"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "LMTests", dependencies: ["LM", "ModelIO", "Tokenizer", "Tensor", "Quant", "SwarmBase", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CKernels", "Quant", "SwarmBase"], swiftSettings: strict),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "ModelIO", "SwarmBase", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "MembershipTests", dependencies: ["Membership", "SwarmBase"], swiftSettings: strict),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "SwarmBase", "Hashing", "Gossip", "COpenSSL", "COpenSSLShims", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AdaptersTests", dependencies: ["Adapters", "SwarmBase", "TestSupport"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "TrainDataTests", dependencies: ["TrainData", "SwarmBase", "Tokenizer", "Train"], swiftSettings: strict),
        .testTarget(name: "TrainTests", dependencies: ["Train", "TrainData", "Tokenizer", "LM", "Tensor", "Adapters", "SwarmBase", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Train", "TrainData", "Consensus", "LM", "Tensor", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ScenarioProcessTests", dependencies: ["ScenarioProcess", "Scenario", "SwarmBase"], swiftSettings: strict),
        .testTarget(name: "SwarmTuneCLITests", dependencies: ["ScenarioRun", "ScenarioProcess", "Scenario", "Exchange", "SwarmTuneCLI", "SwarmBase", "Store", "TestSupport", "SwarmNode", "Transport",
                                                          "Adapters", "LM", "Train", "TrainData", "Tensor", "Consensus", "Gossip"], swiftSettings: strict),
        .testTarget(name: "SwarmNodeTests", dependencies: ["SwarmNode", "Exchange", "Membership", "Transport", "SwarmBase", "Gossip", "Consensus", "Store", "LM", "Train", "TrainData", "Tensor", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ExportTests", dependencies: ["Export", "Consensus", "SwarmTuneCLI", "Adapters", "ModelIO", "Quant", "LM", "Train",
                                                      "TrainData", "SwarmBase", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ScenarioRunTests", dependencies: ["ScenarioRun", "Scenario", "SwarmBase", "LM", "Tensor", "Train", "TrainData", "Store", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario", "SwarmBase", "Consensus", "Gossip", "TrainData", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Scenario", "SwarmBase"], swiftSettings: strict),
        .testTarget(name: "StoreTests", dependencies: ["Store", "SwarmBase"], swiftSettings: strict),
        .testTarget(name: "ConsensusTests", dependencies: ["Consensus"], swiftSettings: strict),
        .testTarget(name: "GossipTests", dependencies: ["Gossip", "Consensus", "SwarmBase"], swiftSettings: strict),
        .testTarget(name: "ModelIOTests", dependencies: ["Hashing", "ModelIO", "Quant", "SwarmBase", "TestSupport"], swiftSettings: strict),
    ]
)
