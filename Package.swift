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

        // Numerics, lowest first.
        .target(name: "Quant", swiftSettings: strict),
        .target(name: "ModelIO", dependencies: ["Quant", "COpenSSL"], swiftSettings: strict),

        // The CLI.
        .executableTarget(name: "swarmtune", dependencies: ["Quant"], swiftSettings: strict),

        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "QuantTests", dependencies: ["Quant"], swiftSettings: strict),
        .testTarget(name: "ModelIOTests", dependencies: ["ModelIO", "Quant", "TestSupport"], swiftSettings: strict),
    ]
)
