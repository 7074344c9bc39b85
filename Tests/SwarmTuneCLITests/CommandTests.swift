import Foundation
import Testing
import TestSupport
@testable import SwarmTuneCLI

/// The commands end to end on a tiny generated core: exit codes, files written, resume.
@Suite struct CommandTests {
    static func setup() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        try TinyModel().write(to: dir.file("tiny.gguf"))
        var lines = ""
        for i in 0..<12 {
            lines += "{\"instruction\": \"Say the number \(i)\", \"output\": \"\(i)\"}\n"
        }
        try lines.write(toFile: dir.file("data.jsonl"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func usageErrorsExitWithTwo() {
        #expect(SwarmTuneCommand.main(["nope"]) == 2)
        #expect(SwarmTuneCommand.main(["info"]) == 2)
        #expect(SwarmTuneCommand.main(["train", "--model", "x.gguf", "--bogus"]) == 2)
        #expect(SwarmTuneCommand.main(["train", "--model", "x.gguf", "--steps", "abc", "--synthetic", "3"]) == 2)
        #expect(SwarmTuneCommand.main(["generate", "--model", "x", "--prompt", "p", "--greedy", "--temperature", "1"]) == 2)
        #expect(SwarmTuneCommand.main(["--help"]) == 0)
        #expect(SwarmTuneCommand.main(["train", "--help"]) == 0)
    }

    @Test func runtimeFailuresExitWithOne() throws {
        let dir = try Self.setup()
        #expect(SwarmTuneCommand.main(["info", dir.file("missing.gguf")]) == 1)
        try "{\"instruction\": 3}\n".write(toFile: dir.file("bad.jsonl"), atomically: true, encoding: .utf8)
        #expect(SwarmTuneCommand.main(["train", "--model", dir.file("tiny.gguf"), "--data", dir.file("bad.jsonl"), "--steps", "1"]) == 1)
    }

    @Test func trainWritesAnAdapterThatEvalAndGenerateLoadAndResumeContinues() throws {
        let dir = try Self.setup()
        let core = dir.file("tiny.gguf"), out = dir.file("adapter")
        let common = ["--model", core, "--data", dir.file("data.jsonl"), "--out", out, "--batch", "2", "--seq-len", "256",
                      "--rank", "2", "--targets", "q,v", "--lr", "1e-2", "--threads", "2"]
        #expect(SwarmTuneCommand.main(["train"] + common + ["--steps", "2", "--checkpoint-every", "2", "--eval-count", "2"]) == 0)
        #expect(FileManager.default.fileExists(atPath: out + "/adapter_config.json"))
        #expect(FileManager.default.fileExists(atPath: out + "/adapter_model.safetensors"))
        #expect(FileManager.default.fileExists(atPath: out + "-checkpoint/trainer_state.json"))
        #expect(SwarmTuneCommand.main(["train"] + common + ["--steps", "4", "--resume", "--eval-count", "2"]) == 0)
        #expect(SwarmTuneCommand.main(["eval", "--model", core, "--adapter", out, "--data", dir.file("data.jsonl"), "--limit", "3"]) == 0)
        #expect(SwarmTuneCommand.main(["generate", "--model", core, "--adapter", out, "--prompt", "hi", "--max-tokens", "3"]) == 0)
        #expect(SwarmTuneCommand.main(["inspect", out, out + "-checkpoint/adapter", "--html", dir.file("inspect.html"), "--json"]) == 0)
        let html = try String(contentsOfFile: dir.file("inspect.html"), encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("</html>"))
        #expect(SwarmTuneCommand.main(["inspect", dir.file("nowhere")]) == 1)
        // An adapter recorded for another core is refused.
        var other = TinyModel()
        other.seed = 99
        try other.write(to: dir.file("other.gguf"))
        #expect(SwarmTuneCommand.main(["eval", "--model", dir.file("other.gguf"), "--adapter", out, "--data", dir.file("data.jsonl")]) == 1)
    }

    /// Issue 12: the resume test above checks exit codes only. Here `train --resume` must write the
    /// adapter an uninterrupted run writes, byte for byte. `--checkpoint-every 3` with `--steps 4`
    /// leaves the checkpoint of step 3 behind a finished run: the state a run killed after step 3
    /// leaves, with the same schedule. Dropout, gradient accumulation, an epoch ending inside a step
    /// and an evaluation before the resumed steps all have to come back as they were.
    @Test func trainResumedFromACheckpointWritesTheUninterruptedRunsAdapterByteForByte() throws {
        let dir = try Self.setup()
        let out = dir.file("adapter")
        let run = ["train", "--model", dir.file("tiny.gguf"), "--data", dir.file("data.jsonl"), "--out", out,
                   "--batch", "3", "--grad-accum", "2", "--seq-len", "256", "--rank", "2", "--targets", "q,v,down",
                   "--dropout", "0.1", "--lr", "1e-2", "--eval-count", "2", "--threads", "2",
                   "--steps", "4", "--checkpoint-every", "3"]
        let weights = out + "/adapter_model.safetensors"
        #expect(SwarmTuneCommand.main(run) == 0)
        let straight = try Data(contentsOf: URL(fileURLWithPath: weights))
        let state = try String(contentsOfFile: out + "-checkpoint/trainer_state.json", encoding: .utf8)
        #expect(state.contains(#""step": 3"#) || state.contains(#""step":3"#), "the checkpoint should hold step 3: \(state)")
        try FileManager.default.removeItem(atPath: out)
        #expect(SwarmTuneCommand.main(run + ["--resume"]) == 0)
        let resumed = try Data(contentsOf: URL(fileURLWithPath: weights))
        #expect(resumed == straight, "the resumed run's adapter differs from the uninterrupted run's")
        // The checkpoint is what the resumed run starts from (a run that ignored it and trained
        // from the start would also match): the same weights recorded as step 2 end elsewhere.
        let statePath = out + "-checkpoint/trainer_state.json"
        var fields = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statePath))) as? [String: Any])
        fields["step"] = 2
        fields["optimizerStep"] = 2
        fields["microSteps"] = 4
        try JSONSerialization.data(withJSONObject: fields).write(to: URL(fileURLWithPath: statePath))
        try FileManager.default.removeItem(atPath: out)
        #expect(SwarmTuneCommand.main(run + ["--resume"]) == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: weights)) != straight, "the resumed run did not start from the checkpoint")
    }

    @Test func simulateAndBothDemosRunOnATinyCore() throws {
        let dir = try Self.setup()
        let core = dir.file("tiny.gguf")
        #expect(SwarmTuneCommand.main(["simulate", "--model", core, "--nodes", "3", "--rounds", "2", "--local-steps", "1",
                                       "--examples-per-node", "4", "--eval", "4", "--baseline", "--out", dir.file("swarm")]) == 0)
        for i in 0..<3 {
            #expect(FileManager.default.fileExists(atPath: dir.file("swarm") + "/node-\(i)/adapter/adapter_model.safetensors"))
            #expect(FileManager.default.fileExists(atPath: dir.file("swarm") + "/node-\(i)/private-data.jsonl"))
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("swarm") + "/report.json"))) as? [String: Any]
        #expect((report?["rounds"] as? [Any])?.count == 2)
        #expect(RunReportFigures.read(directory: dir.file("swarm")).rounds?.count == 2)  // what inspect and the demo read back
        #expect(SwarmTuneCommand.main(["inspect", dir.file("swarm"), "--json"]) == 0)
        // The swarm demo runs a scenario on the process backend: node processes, then the report.
        let scenario = dir.file("tiny-scenario.json")
        try Data("""
            {"name": "tiny-demo", "seed": 3, "core": "\(core)", "nodes": 2, "topology": "ring",
             "data": {"partition": "one-domain-per-node", "examples-per-node": 4, "test-examples": 4},
             "lora": {"rank": 2, "alpha": 4, "targets": ["q", "v"]},
             "training": {"rounds": 2, "lr": 0.01, "batch": 2, "seq-len": 320, "threads": 1},
             "gossip": {"local-steps": 1, "deadline-ms": 60000}, "baselines": {"local-only": true, "centralized": true}}
            """.utf8).write(to: URL(fileURLWithPath: scenario))
        for _ in 0..<2 {  // a second demo replaces the first's run directory
            #expect(SwarmTuneCommand.main(["demo", "--scenario", scenario, "--out", dir.file("demo")]) == 0)
            #expect(FileManager.default.fileExists(atPath: dir.file("demo") + "/report.html"))
            #expect(FileManager.default.fileExists(atPath: dir.file("demo") + "/nodes/node-1/state/node.db"))
        }
        #expect(SwarmTuneCommand.main(["demo", "--scenario", scenario, "--steps", "3"]) == 2)
        #expect(SwarmTuneCommand.main(["demo", "--single", "--model", core, "--examples", "8", "--eval", "2", "--steps", "2",
                                       "--out", dir.file("single")]) == 0)
        #expect(FileManager.default.fileExists(atPath: dir.file("single") + "/adapter/adapter_config.json"))
        #expect(RunReportFigures.read(directory: dir.file("single")).curve?.isEmpty == false)
        #expect(SwarmTuneCommand.main(["simulate", "--model", core, "--topology", "star"]) == 2)
    }

    @Test func infoAndQuantizeWorkOnATinyCore() throws {
        let dir = try Self.setup()
        #expect(SwarmTuneCommand.main(["info", dir.file("tiny.gguf"), "--json"]) == 0)
        #expect(SwarmTuneCommand.main(["quantize", dir.file("tiny.gguf"), "--to", "nf4", "--out", dir.file("nf4.gguf")]) == 0)
        #expect(SwarmTuneCommand.main(["generate", "--model", dir.file("nf4.gguf"), "--prompt", "a", "--max-tokens", "2"]) == 0)
        #expect(SwarmTuneCommand.main(["quantize", dir.file("tiny.gguf"), "--to", "q3", "--out", dir.file("x.gguf")]) == 2)
    }
}

/// `info` and `generate` on a core in a llama.cpp type mix, and `quantize` to the new types.
@Suite struct BlockTypeCommandTests {
    /// `info --json` of `path` through the built executable.
    static func info(_ path: String, in dir: TemporaryDirectory) throws -> (status: Int32, report: InfoCommand.Report?) {
        let outcome = try CLISweepTests.run(["info", path, "--json"], in: dir.url, capturingStdout: true)
        return (outcome.status, try? JSONDecoder().decode(InfoCommand.Report.self, from: outcome.stdout))
    }

    @Test func infoListsEveryTypeOfALlamaCppMixAndGenerateRunsOnIt() throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLISweepTests.binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        let (mixed, _) = try TinyModel.mixedAndTwin(in: dir)
        let (status, decoded) = try Self.info(mixed, in: dir)
        #expect(status == 0)
        let report = try #require(decoded)
        #expect(Set(report.tensorTypes.keys) == ["F32", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"])
        #expect(report.tensorTypes["Q5_0"]?.tensors == 2 && report.tensorTypes["Q6_K"]?.tensors == 3)   // 2 layers; + embedding
        #expect(report.tensorTypes["Q3_K"]?.bytes == 2 * (256 * 128 / 256) * 110)                       // attn_v: 128 x 256
        #expect(SwarmTuneCommand.main(["generate", "--model", mixed, "--prompt", "a", "--max-tokens", "2"]) == 0)
    }

    @Test(arguments: ["q5_0", "q5_1"])
    func quantizeWritesTheNewTypes(to name: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLISweepTests.binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        try TinyModel().write(to: dir.file("tiny.gguf"))
        #expect(SwarmTuneCommand.main(["quantize", dir.file("tiny.gguf"), "--to", name, "--out", dir.file("q.gguf")]) == 0)
        let report = try #require(try Self.info(dir.file("q.gguf"), in: dir).report)
        #expect(report.tensorTypes[name.uppercased()]?.tensors == 14)   // 7 projections x 2 layers
    }
}
