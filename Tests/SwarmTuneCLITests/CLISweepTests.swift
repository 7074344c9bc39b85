import Foundation
import Testing
import TestSupport
@testable import SwarmTuneCLI

/// Every command against bad flags and bad files, run as the real executable: a usage error
/// exits 2 and a runtime failure 1, each with one line on stderr naming what is wrong and where;
/// never a trap, and never a partial output file.
@Suite struct CLISweepTests {
    static let binary = TestEnvironment.swarmtune

    struct Outcome {
        var status: Int32
        var stderr: String
        /// Standard output when `run` was asked to capture it (small outputs: it is read first,
        /// then stderr), else empty.
        var stdout = Data()
    }

    static func run(_ arguments: [String], in directory: URL, capturingStdout: Bool = false) throws -> Outcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let err = Pipe(), out = Pipe()
        process.standardError = err
        process.standardOutput = capturingStdout ? out : FileHandle.nullDevice
        try process.run()
        let stdout = capturingStdout ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stderr: String(decoding: data, as: UTF8.self), stdout: stdout)
    }

    /// Runs one case and checks its exit code, its single stderr line (which must name `names`),
    /// and that `output` was not created.
    static func check(_ arguments: [String], exits status: Int32, names: String, output: String? = nil,
                      in dir: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let outcome = try run(arguments, in: dir.url)
        let lines = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        let what = arguments.joined(separator: " ")
        #expect(outcome.status == status, "\(what): exit \(outcome.status): \(outcome.stderr)", sourceLocation: sourceLocation)
        // One line; only a dataset's bad records follow it, one indented "path:line: reason" each.
        #expect(lines.first?.hasPrefix("swarmtune ") == true && lines.first?.contains(names) == true,
                "\(what): stderr does not start with a line naming \(names): \(outcome.stderr)", sourceLocation: sourceLocation)
        for line in lines.dropFirst() {
            #expect(line.hasPrefix("  \(names):") || line.hasPrefix("  ... and "), "\(what): stray stderr line: \(line)", sourceLocation: sourceLocation)
        }
        #expect(!outcome.stderr.contains("Fatal error") && !outcome.stderr.contains("crashed"), sourceLocation: sourceLocation)
        if let output {
            #expect(!FileManager.default.fileExists(atPath: output), "\(what): left \(output) behind", sourceLocation: sourceLocation)
        }
    }

    @Test func unknownFlagsAreUsageErrorsForEveryCommand() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        for command in SwarmTuneCommand.allCommands {
            let words = command.name.split(separator: " ").map(String.init)
            try Self.check(words + ["--no-such-flag"], exits: 2, names: "--no-such-flag", in: dir)
        }
    }

    @Test func missingAndOutOfRangeOptionsAreUsageErrors() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        let cases: [([String], String)] = [
            (["info"], "MODEL"),
            (["generate", "--prompt", "hi"], "--model"),
            (["generate", "--model", "m.gguf"], "--prompt"),
            (["generate", "--model", "m.gguf", "--prompt", "hi", "--max-tokens", "0"], "--max-tokens"),
            (["train", "--synthetic", "3"], "--model"),
            (["train", "--model", "m.gguf", "--synthetic", "3", "--steps", "0"], "--steps"),
            (["train", "--model", "m.gguf", "--synthetic", "3", "--lr", "nan"], "--lr"),
            (["train", "--model", "m.gguf", "--synthetic", "3", "--rank", "99999999999999999999"], "--rank"),
            (["train", "--model", "m.gguf"], "--data"),
            (["eval", "--model", "m.gguf"], "--data"),
            (["eval", "--model", "m.gguf", "--data", "d.jsonl", "--batch", "0"], "--batch"),
            (["merge", "a", "--out", "o"], "--method"),
            (["merge", "a", "--method", "ties", "--out", "o", "--density", "2"], "--density"),
            (["export", "a", "--model", "m.gguf", "--out", "o"], "--format"),
            (["quantize", "m.gguf", "--to", "q3", "--out", "o.gguf"], "--to"),
            (["simulate", "--model", "m.gguf", "--nodes", "0"], "--nodes"),
            (["demo", "--steps", "0", "--single"], "--steps"),
            (["certs", "init", "--days", "0"], "--days"),
            (["members"], "--state"),
        ]
        for (arguments, names) in cases { try Self.check(arguments, exits: 2, names: names, in: dir) }
    }

    @Test func badFilesAreRuntimeFailuresNamingThePathAndLeaveNoOutput() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        let good = dir.file("tiny.gguf")
        try TinyModel().write(to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir.file("truncated.gguf")))
        try Data().write(to: URL(fileURLWithPath: dir.file("empty.gguf")))
        try Data("{\"text\": \"hi\"}\n".utf8).write(to: URL(fileURLWithPath: dir.file("data.jsonl")))
        try Data().write(to: URL(fileURLWithPath: dir.file("empty.jsonl")))
        try Data("{\"text\": \"hi\"}\n{\"text\": \"tr".utf8).write(to: URL(fileURLWithPath: dir.file("truncated.jsonl")))
        try FileManager.default.createDirectory(atPath: dir.file("adir"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("emptyadapter"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.file("emptyadapter/adapter_config.json")))
        let out = dir.file("out")

        let badModels = [dir.file("missing.gguf"), dir.file("empty.gguf"), dir.file("truncated.gguf"), dir.file("adir"), dir.file("data.jsonl")]
        for model in badModels {
            try Self.check(["info", model], exits: 1, names: model, in: dir)
            try Self.check(["generate", "--model", model, "--prompt", "hi"], exits: 1, names: model, in: dir)
            try Self.check(["train", "--model", model, "--synthetic", "2", "--steps", "1", "--out", out], exits: 1, names: model, output: out, in: dir)
            try Self.check(["eval", "--model", model, "--data", dir.file("data.jsonl")], exits: 1, names: model, in: dir)
            try Self.check(["quantize", model, "--to", "nf4", "--out", out], exits: 1, names: model, output: out, in: dir)
            try Self.check(["simulate", "--model", model, "--nodes", "2", "--rounds", "1", "--out", out], exits: 1, names: model, output: out, in: dir)
        }
        let badData = [dir.file("missing.jsonl"), dir.file("empty.jsonl"), dir.file("truncated.jsonl"), dir.file("adir"), good]
        for data in badData {
            try Self.check(["train", "--model", good, "--data", data, "--steps", "1", "--out", out], exits: 1, names: data, output: out, in: dir)
            try Self.check(["eval", "--model", good, "--data", data], exits: 1, names: data, in: dir)
        }
        let badAdapters = [dir.file("missing"), dir.file("adir"), dir.file("emptyadapter"), good]
        for adapter in badAdapters {
            try Self.check(["inspect", adapter], exits: 1, names: adapter, in: dir)
            try Self.check(["merge", adapter, adapter, "--method", "linear", "--out", out], exits: 1, names: adapter, output: out, in: dir)
            try Self.check(["export", adapter, "--model", good, "--format", "peft", "--out", out], exits: 1, names: adapter, output: out, in: dir)
            try Self.check(["eval", "--model", good, "--adapter", adapter, "--data", dir.file("data.jsonl")], exits: 1, names: adapter, in: dir)
            try Self.check(["generate", "--model", good, "--adapter", adapter, "--prompt", "hi"], exits: 1, names: adapter, in: dir)
        }
        try Self.check(["members", "--state", dir.file("missing")], exits: 1, names: dir.file("missing"), in: dir)
        try Self.check(["certs", "issue", "n1", "--dir", dir.file("missing")], exits: 1, names: dir.file("missing"), in: dir)
    }

    /// Issue 12: a checkpoint whose trainer_state.json holds a negative or huge step crashed
    /// `train --resume`. Each damaged field is refused with one line naming the checkpoint, the
    /// file and the field, and the adapter is not written.
    @Test func trainResumeRefusesADamagedCheckpointStepNamingTheField() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        let core = dir.file("tiny.gguf")
        try TinyModel().write(to: core)
        try Data((0..<6).map { "{\"instruction\": \"Say \($0)\", \"output\": \"\($0)\"}\n" }.joined().utf8)
            .write(to: URL(fileURLWithPath: dir.file("data.jsonl")))
        let out = dir.file("adapter"), checkpoint = out + "-checkpoint"
        let train = ["train", "--model", core, "--data", dir.file("data.jsonl"), "--out", out, "--batch", "2", "--seq-len", "256",
                     "--rank", "2", "--targets", "q,v", "--eval-count", "0", "--threads", "1", "--steps", "3", "--checkpoint-every", "1"]
        #expect(SwarmTuneCommand.main(train) == 0)
        let statePath = checkpoint + "/trainer_state.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: statePath))
        let damaged: [(field: String, value: Any)] = [("step", -1), ("step", 1 << 62), ("step", Int.max), ("optimizerStep", -3),
                                                      ("optimizerStep", 99), ("microSteps", -2), ("step", "3")]
        for (field, value) in damaged {
            var fields = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            fields[field] = value
            try JSONSerialization.data(withJSONObject: fields).write(to: URL(fileURLWithPath: statePath))
            try? FileManager.default.removeItem(atPath: out)
            try Self.check(train + ["--resume"], exits: 1, names: "checkpoint \(checkpoint) is not usable: trainer_state.json: '\(field)'",
                           output: out, in: dir)
        }
    }

    /// Issue 12: a workspace sized by in-range flags but larger than the machine (a batch of 1024
    /// sequences of 8,192 tokens holds 1024 × heads × 8192² attention probabilities per layer)
    /// stopped the program in FloatBuffer ("out of memory mapping"). It is a runtime error naming
    /// the flags, and no adapter is written.
    @Test func aWorkspaceLargerThanTheMachineIsARuntimeErrorNamingTheFlags() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        let core = dir.file("tiny.gguf")
        try TinyModel().write(to: core)
        try Data("{\"instruction\": \"Say 1\", \"output\": \"1\"}\n".utf8).write(to: URL(fileURLWithPath: dir.file("data.jsonl")))
        let out = dir.file("adapter")
        try Self.check(["train", "--model", core, "--data", dir.file("data.jsonl"), "--out", out, "--batch", "1024", "--seq-len", "8192",
                        "--steps", "1", "--eval-count", "0"], exits: 1, names: "--batch 1024 × --seq-len 8192", output: out, in: dir)
        try Self.check(["eval", "--model", core, "--data", dir.file("data.jsonl"), "--batch", "1024", "--seq-len", "8192"],
                       exits: 1, names: "--batch 1024 × --seq-len 8192", in: dir)
        try Self.check(["bench", "train", "--model", core, "--batch", "256", "--seq-len", "8192"],
                       exits: 1, names: "--batch 256 × --seq-len 8192", in: dir)
    }
}
