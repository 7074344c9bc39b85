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
    ],
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
        .target(name: "LM", dependencies: ["SwarmBase", "ModelIO", "Tensor", "Quant", "Tokenizer"], swiftSettings: strict),

        // Protocols: pure state machines, no I/O.
        .target(name: "Membership", swiftSettings: strict),
        .target(name: "Consensus", swiftSettings: strict),
        // Gossip: the Dec-LoRA round state machine (pure) and the factor frame codec.
        .target(name: "Gossip", dependencies: ["SwarmBase", "Consensus"], swiftSettings: strict),

        // Secure transport: TLS 1.3 mutual authentication, swarm certificates, framed protocol.
        .target(name: "Transport", dependencies: ["COpenSSL", "COpenSSLShims"], swiftSettings: strict),

        // The node runtime: the membership driver over the transport, state files, the node command.
        .target(name: "SwarmNode", dependencies: ["Membership", "Transport"], swiftSettings: strict),

        // Adapter files (safetensors, PEFT directories) and private datasets (JSONL).
        .target(name: "Adapters", swiftSettings: strict),
        .target(name: "TrainData", swiftSettings: strict),

        // Training: optimizer, schedules, data, the trainer loop.
        .target(name: "Train", dependencies: ["LM", "Tensor", "Tokenizer", "ModelIO", "Adapters", "TrainData", "Consensus"], swiftSettings: strict),

        // Adapters out: merge methods and exports (PEFT, llama.cpp GGUF LoRA, merged GGUF core).
        .target(name: "Export", dependencies: ["Adapters", "ModelIO", "Quant", "LM", "Train"], swiftSettings: strict),

        // The CLI: commands live in a library so tests can run them; the executable is one line.
        .target(name: "SwarmTuneCLI", dependencies: ["LM", "Train", "Export", "Consensus", "Adapters", "TrainData", "Tokenizer", "Transport", "Membership", "SwarmNode", "ModelIO", "Tensor", "Quant", "CKernels"], swiftSettings: strict),
        .executableTarget(name: "swarmtune", dependencies: ["SwarmTuneCLI"], swiftSettings: strict),

        .testTarget(name: "SwarmBaseTests", dependencies: ["SwarmBase"], swiftSettings: strict),
        .target(name: "TestSupport", dependencies: ["ModelIO", "Quant"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "QuantTests", dependencies: ["Quant", "TestSupport"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "LMTests", dependencies: ["LM", "Tensor", "ModelIO", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CKernels", "Quant"], swiftSettings: strict),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "ModelIO", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "MembershipTests", dependencies: ["Membership"], swiftSettings: strict),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "COpenSSL", "COpenSSLShims", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AdaptersTests", dependencies: ["Adapters", "TestSupport"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "TrainDataTests", dependencies: ["TrainData"], swiftSettings: strict),
        .testTarget(name: "TrainTests", dependencies: ["Train", "LM", "Tensor", "Adapters", "TestSupport"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "SwarmTuneCLITests", dependencies: ["SwarmTuneCLI", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SwarmNodeTests", dependencies: ["SwarmNode", "Membership", "Transport"], swiftSettings: strict),
        .testTarget(name: "ExportTests", dependencies: ["Export", "SwarmTuneCLI", "Adapters", "ModelIO", "Quant", "LM", "Train",
                                                      "Tensor", "Tokenizer", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ConsensusTests", dependencies: ["Consensus"], swiftSettings: strict),
        .testTarget(name: "GossipTests", dependencies: ["Gossip", "Consensus", "SwarmBase"], swiftSettings: strict),
        .testTarget(name: "ModelIOTests", dependencies: ["Hashing", "ModelIO", "Quant", "TestSupport"], swiftSettings: strict),
    ]
)
