import Foundation
import Testing
import Adapters
import SwarmTuneCLI
import TestSupport
@testable import Export

/// Inputs that cannot be merged are refused with an error naming them, and nothing is written.
@Suite struct MergeRefusalTests {
    typealias F = AdapterFactory

    @Test func adaptersOfDifferentCoresAreRefused() {
        let x = F.random(seed: 1, coreHash: F.hashA), y = F.random(seed: 2, coreHash: F.hashB)
        #expect(throws: ExportError.coreMismatch(path: "x", coreHash: F.hashA, otherPath: "y", otherCoreHash: F.hashB)) {
            try AdapterMerge.merge([x, y], names: ["x", "y"], options: MergeOptions(method: .exact))
        }
    }

    @Test func differentTargetsLayersOrShapesAreRefused() {
        let x = F.random(seed: 1, targets: [.q, .v])
        let otherTargets = F.random(seed: 2, targets: [.q, .k])
        var deeper = F.shape
        deeper.layerCount = 3
        let otherLayers = F.random(seed: 3, targets: [.q, .v], shape: deeper)
        var wider = F.shape
        wider.intermediateSize = 32
        let otherShapes = F.random(seed: 4, targets: [.q, .v, .down], shape: wider)
        let xd = F.random(seed: 5, targets: [.q, .v, .down])
        for (a, b) in [(x, otherTargets), (x, otherLayers), (xd, otherShapes)] {
            for method in MergeMethod.allCases {
                do {
                    _ = try AdapterMerge.merge([a, b], names: ["a", "b"], options: MergeOptions(method: method))
                    Issue.record("\(method) merged mismatched adapters")
                } catch {
                    guard case .layoutMismatch(path: "a", otherPath: "b", _) = error else { Issue.record("\(error)"); continue }
                }
            }
        }
    }

    @Test func linearRefusesDifferentRanksOthersAccept() throws {
        let x = F.random(seed: 1, rank: 4), y = F.random(seed: 2, rank: 2)
        #expect(throws: ExportError.rankMismatch(path: "x", rank: 4, otherPath: "y", otherRank: 2, method: "linear")) {
            try AdapterMerge.merge([x, y], names: ["x", "y"], options: MergeOptions(method: .linear))
        }
        for method in [MergeMethod.exact, .cat, .ties] {
            _ = try AdapterMerge.merge([x, y], options: MergeOptions(method: method))
        }
    }

    @Test func badWeightsAndOptionsAreRefused() {
        let x = F.random(seed: 1), y = F.random(seed: 2)
        for weights in [[1.0], [1, -1], [0, 0], [1, .nan]] {
            #expect(throws: ExportError.self) { try AdapterMerge.merge([x, y], options: MergeOptions(method: .exact, weights: weights)) }
        }
        #expect(throws: ExportError.self) { try AdapterMerge.merge([x, y], options: MergeOptions(method: .ties, density: 0)) }
        #expect(throws: ExportError.self) { try AdapterMerge.merge([x, y], options: MergeOptions(method: .cat, rank: 3)) }
        #expect(throws: ExportError.noAdapters) { try AdapterMerge.merge([], options: MergeOptions(method: .exact)) }
    }

    /// Writes two good adapters, returns their directories.
    static func writePair(_ dir: TemporaryDirectory) throws -> (String, String) {
        let a = dir.file("a"), b = dir.file("b")
        try F.random(seed: 1).write(to: a)
        try F.random(seed: 2).write(to: b)
        return (a, b)
    }

    @Test func theCommandWritesTheMergedAdapter() throws {
        let dir = TemporaryDirectory()
        let (a, b) = try Self.writePair(dir)
        let out = dir.file("merged")
        #expect(SwarmTuneCommand.main(["merge", a, b, "--method", "exact", "--weights", "1,3", "--out", out]) == 0)
        let merged = try LoRAAdapter.read(directory: out)
        let x = try LoRAAdapter.read(directory: a), y = try LoRAAdapter.read(directory: b)
        let expected = try AdapterMerge.merge([x, y], options: MergeOptions(method: .exact, weights: [1, 3])).adapter
        #expect(merged.factors == expected.factors)
        #expect(merged.provenance?.coreHash == F.hashA)
        // Not replaced without --force.
        #expect(SwarmTuneCommand.main(["merge", a, b, "--method", "cat", "--out", out]) == 1)
        #expect(try LoRAAdapter.read(directory: out).config.rank == 4)
        #expect(SwarmTuneCommand.main(["merge", a, b, "--method", "cat", "--out", out, "--force"]) == 0)
        #expect(try LoRAAdapter.read(directory: out).config.rank == 8)
    }

    @Test func missingFilesAndCorruptSafetensorsLeaveNoOutput() throws {
        let dir = TemporaryDirectory()
        let (a, b) = try Self.writePair(dir)
        let out = dir.file("merged")
        // Missing directory, missing weights file.
        #expect(SwarmTuneCommand.main(["merge", a, dir.file("nope"), "--method", "exact", "--out", out]) == 1)
        let noWeights = dir.file("noweights")
        try FileManager.default.createDirectory(atPath: noWeights, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: a + "/adapter_config.json", toPath: noWeights + "/adapter_config.json")
        #expect(throws: ExportError.self) { try AdapterMerge.read([a, noWeights]) }
        #expect(SwarmTuneCommand.main(["merge", a, noWeights, "--method", "linear", "--out", out]) == 1)
        // Truncated and bit-flipped safetensors.
        let weights = b + "/adapter_model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        try bytes.prefix(bytes.count - 7).write(to: URL(fileURLWithPath: weights))
        #expect(SwarmTuneCommand.main(["merge", a, b, "--method", "cat", "--out", out]) == 1)
        var garbled = bytes
        garbled[9] = UInt8(ascii: "[")
        try garbled.write(to: URL(fileURLWithPath: weights))
        #expect(SwarmTuneCommand.main(["merge", a, b, "--method", "ties", "--out", out]) == 1)
        // Different cores, through the command.
        let c = dir.file("c")
        try F.random(seed: 3, coreHash: F.hashB).write(to: c)
        #expect(SwarmTuneCommand.main(["merge", a, c, "--method", "exact", "--out", out]) == 1)
        #expect(!FileManager.default.fileExists(atPath: out))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("merged") }
        #expect(left.isEmpty, "left behind: \(left)")
        // Usage errors exit 2.
        #expect(SwarmTuneCommand.main(["merge", a, c, "--method", "svd", "--out", out]) == 2)
        #expect(SwarmTuneCommand.main(["merge", a, c, "--method", "exact", "--weights", "1,x", "--out", out]) == 2)
    }
}
