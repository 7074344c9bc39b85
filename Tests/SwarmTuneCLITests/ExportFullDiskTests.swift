import Foundation
import Testing
import Adapters
import LM
import SwarmBase
import TestSupport
@testable import SwarmTuneCLI

/// `swarmtune export` onto a full disk (a 1 MB tmpfs filled to the last byte), run as the real
/// executable: exit 1 with one line naming the output and the full disk, the previous export
/// byte for byte as it was, and no partial file or directory beside it.
@Suite(.serialized, .enabled(if: SmallTmpfs.available, "skipped: mounting a tmpfs needs root and permission to mount"))
struct ExportFullDiskTests {
    @Test(arguments: ["peft", "gguf-lora", "gguf-merged"])
    func anExportOntoAFullDiskFailsNamingItAndKeepsThePreviousOutput(format: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLISweepTests.binary.path), "build the swarmtune executable first")
        let (model, _, dir) = try TinyModel.loaded()
        let core = dir.file("tiny.gguf"), adapter = dir.file("adapter")
        var rng = SeededRandom(seed: 3)
        var lora = LoRAAdapter.zeros(config: LoRAAdapterConfig(rank: 2, alpha: 4, targets: [.q, .v]), model: model.config.loraModelShape)
        for slot in lora.slots { lora.factors[slot]!.b = lora.factors[slot]!.b.map { _ in rng.nextSignedUnit() } }
        try lora.write(to: adapter)

        let disk = try SmallTmpfs(size: "1m")
        let out = FileIO.join(disk.path, "out")
        let export = ["export", adapter, "--model", core, "--format", format, "--out", out, "--force"]
        #expect(SwarmTuneCommand.main(export) == 0)
        let before = try Self.contents(out)
        try SmallTmpfs.fill(FileIO.join(disk.path, "filler"))

        let outcome = try CLISweepTests.run(export, in: dir.url)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(outcome.status == 1, "exit \(outcome.status): \(outcome.stderr)")
        #expect(lines.count == 1 && lines[0].hasPrefix("swarmtune export: ") && lines[0].contains(out) && lines[0].contains("the disk is full"),
                "stderr: \(outcome.stderr)")
        #expect(try Self.contents(out) == before, "the previous \(format) export changed")
        #expect(try FileIO.entries(of: disk.path).sorted() == ["filler", "out"], "left: \((try? FileIO.entries(of: disk.path)) ?? [])")
    }

    /// The bytes of a file, or of each file of a directory by name.
    static func contents(_ path: String) throws -> [String: [UInt8]] {
        guard FileIO.kind(of: path) == .directory else { return ["": try FileIO.readAll(path, limit: 1 << 24)] }
        var files: [String: [UInt8]] = [:]
        for name in try FileIO.entries(of: path) { files[name] = try FileIO.readAll(FileIO.join(path, name), limit: 1 << 24) }
        return files
    }
}
