import Foundation
import Testing
import SwarmBase
import TestSupport
@testable import SwarmTuneCLI

/// The commands on the tiny Llama 3 and Qwen2 cores (`ReferenceCore`, from the specs
/// scripts/reference/arch_fixtures.py wrote): train on text, export every way, describe the core.
@Suite struct ArchitectureCommandTests {
    /// The reference core `arch`, written by `ReferenceCore` into `dir`.
    static func core(_ arch: String, in dir: TemporaryDirectory) throws -> String {
        try ReferenceCore.file(arch, in: dir.path)
    }

    static func textData(in dir: TemporaryDirectory) throws -> String {
        var rng = SeededRandom(seed: 3)
        let words = ["the", "cat", "sat", "on", "a", "mat", "and", "ran", "to", "see", "dog"]
        var lines = ""
        for _ in 0..<24 {
            let text = (0..<16).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ")
            lines += "{\"text\": \"\(text)\"}\n"
        }
        try lines.write(toFile: dir.file("text.jsonl"), atomically: true, encoding: .utf8)
        return dir.file("text.jsonl")
    }

    @Test(arguments: ["llama3", "qwen2"])
    func trainOnTextThenExportEveryWay(arch: String) throws {
        let dir = TemporaryDirectory()
        let core = try Self.core(arch, in: dir), out = dir.file("adapter")
        #expect(SwarmTuneCommand.main(["train", "--model", core, "--data", try Self.textData(in: dir), "--out", out,
                                       "--steps", "6", "--seq-len", "48", "--lr", "1e-2", "--threads", "2", "--eval-count", "4"]) == 0)
        for format in ["peft", "gguf-lora", "gguf-merged"] {
            #expect(SwarmTuneCommand.main(["export", out, "--model", core, "--format", format, "--out", dir.file(format)]) == 0)
        }
        #expect(SwarmTuneCommand.main(["generate", "--model", dir.file("gguf-merged"), "--prompt", "the cat", "--max-tokens", "4"]) == 0)
    }

    /// A core without a chat template SwarmTune can render takes text records, and says so for others.
    @Test func instructionRecordsNeedTheCoresTemplate() throws {
        let dir = TemporaryDirectory()
        try "{\"instruction\": \"hi\", \"output\": \"there\"}\n".write(toFile: dir.file("i.jsonl"), atomically: true, encoding: .utf8)
        try CLISweepTests.check(["train", "--model", try Self.core("qwen2", in: dir), "--data", dir.file("i.jsonl"), "--steps", "1"],
                                exits: 1, names: "i.jsonl", in: dir)
        try CLISweepTests.check(["train", "--model", try Self.core("qwen2", in: dir), "--synthetic", "8", "--steps", "1"],
                                exits: 1, names: "tiny-qwen2.gguf", in: dir)
    }

    @Test(arguments: ["llama3", "qwen2"])
    func infoDescribesTheBlock(arch: String) throws {
        let dir = TemporaryDirectory()
        let outcome = try CLISweepTests.run(["info", try Self.core(arch, in: dir), "--json"], in: dir.url, capturingStdout: true)
        #expect(outcome.status == 0)
        let report = try JSONDecoder().decode(InfoCommand.Report.self, from: outcome.stdout)
        let config = try #require(report.config)
        #expect(report.unsupported == nil)
        #expect(report.architecture == (arch == "qwen2" ? "qwen2" : "llama"))
        #expect(config.ropePairing == (arch == "qwen2" ? "halves" : "adjacent"))
        #expect(config.ropeFrequencyFactors == (arch == "llama3"))
        #expect(config.attentionBiases == (arch == "qwen2"))
        #expect(config.tiedOutput == (arch == "qwen2"))
    }

    @Test func infoSaysWhyAnArchitectureIsNotRun() throws {
        let dir = TemporaryDirectory()
        var model = TinyModel()
        model.architecture = "gemma2"
        try model.write(to: dir.file("gemma.gguf"))
        let outcome = try CLISweepTests.run(["info", dir.file("gemma.gguf"), "--json"], in: dir.url, capturingStdout: true)
        #expect(outcome.status == 0)
        let report = try JSONDecoder().decode(InfoCommand.Report.self, from: outcome.stdout)
        #expect(report.config == nil)
        #expect(report.unsupported?.contains("'gemma2' is not supported") == true)
        #expect(report.unsupported?.contains("llama, qwen2") == true)
    }
}
