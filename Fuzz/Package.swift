// swift-tools-version: 6.0
// Coverage-guided fuzz targets (libFuzzer) for SwarmTune's parsers and decoders.
// Separate from the root package so `swift build` / `swift test` there stay as they are.
// Build and run through `scripts/fuzz` (release, -sanitize=fuzzer,address); see docs/FUZZING.md.
import Foundation
import PackageDescription

// A path dependency's identity is its directory name (the checkout's, e.g. "main" or a worktree's).
let root = "swarmtune"

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: "fuzz-\(name)",
                      dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: root) },
                      swiftSettings: [.swiftLanguageMode(.v6)])
}

let package = Package(
    name: "SwarmTuneFuzz",
    dependencies: [.package(path: "SwarmTune")],
    targets: [
        // What every target shares: the seed writer hook and the invariant check.
        .target(name: "FuzzSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        fuzzTarget("core", ["ModelIO", "Quant", "LM", "Tokenizer", "TestSupport"]),
        fuzzTarget("adapter", ["Adapters", "SwarmBase"]),
        fuzzTarget("dataset", ["TrainData", "SwarmBase"]),
        fuzzTarget("frames", ["Transport", "Gossip", "SwarmBase"]),
        fuzzTarget("swim", ["Membership", "SwarmBase"]),
        fuzzTarget("factors", ["Gossip", "SwarmBase"]),
        fuzzTarget("json", ["SwarmBase"]),
        fuzzTarget("peers", ["Membership"]),
        fuzzTarget("scenario", ["Scenario", "SwarmBase"]),
        fuzzTarget("node", ["SwarmTuneCLI"]),
    ]
)
