import Adapters
import LM
import SwarmBase

/// A resumable training state in one directory: the adapter (PEFT layout), the optimizer's
/// moments and step (optimizer.safetensors), and the trainer's step (trainer_state.json).
/// Written into a staging directory and renamed into place, so a killed process leaves either
/// the previous checkpoint or the new one, never a mix.
public enum Checkpoint {
    public enum Error: Swift.Error, CustomStringConvertible {
        case io(path: String, reason: String)
        case invalid(path: String, reason: String)

        public var description: String {
            switch self {
            case let .io(path, reason): "checkpoint \(path): \(reason)"
            case let .invalid(path, reason): "checkpoint \(path) is not usable: \(reason)"
            }
        }
    }

    public struct State: Sendable {
        public var step: Int
        public var optimizerStep: Int
        public var seed: UInt64
    }

    public static func save(to dir: String, trainer: Trainer, provenance: AdapterProvenance) throws(Error) {
        let staging = dir + ".staging"
        do {
            try FileIO.removeTree(staging)
            try FileIO.makeDirectories(staging)
            let adapter = AdapterConversion.adapter(from: trainer.lora, provenance: provenance)
            try adapter.write(to: staging + "/adapter")
            var w = SafetensorsWriter(metadata: ["step": String(trainer.optimizer.step)])
            try w.add("m", shape: [trainer.lora.count], values: Array(trainer.optimizer.m.buffer))
            try w.add("v", shape: [trainer.lora.count], values: Array(trainer.optimizer.v.buffer))
            try w.write(to: staging + "/optimizer.safetensors")
            let state: JSONValue = .object(["step": .integer(trainer.step), "optimizerStep": .integer(trainer.optimizer.step),
                                            "seed": .string(String(trainer.options.seed)), "format": .string("swarmtune-checkpoint-1")])
            try FileIO.writeAtomically(state.serialized(pretty: true), to: staging + "/trainer_state.json")
            try FileIO.removeTree(dir)
            try FileIO.move(staging, to: dir)
        } catch {
            throw .io(path: dir, reason: "\(error)")
        }
    }

    /// Loads a checkpoint for `model`: the adapter parameters, the optimizer state and the step.
    public static func load(from dir: String, model: LlamaConfig) throws(Error) -> (LoRAParameters, State, m: [Float], v: [Float]) {
        let adapter: LoRAAdapter
        do { adapter = try LoRAAdapter.read(directory: dir + "/adapter") } catch {
            throw .invalid(path: dir, reason: error.description)
        }
        let params: LoRAParameters
        do { params = try AdapterConversion.parameters(from: adapter, model: model, path: dir + "/adapter") } catch {
            throw .invalid(path: dir, reason: error.description)
        }
        guard let data = try? FileIO.readAll(dir + "/trainer_state.json", limit: 1 << 20),
              let obj = try? JSONValue.parse(data),
              let step = obj["step"]?.intValue, let optStep = obj["optimizerStep"]?.intValue,
              let seedText = obj["seed"]?.stringValue, let seed = UInt64(seedText) else {
            throw .invalid(path: dir, reason: "trainer_state.json is missing or malformed")
        }
        let opt: SafetensorsFile
        do { opt = try SafetensorsFile.read(path: dir + "/optimizer.safetensors") } catch {
            throw .invalid(path: dir, reason: error.description)
        }
        guard let mInfo = opt.tensor(named: "m"), let vInfo = opt.tensor(named: "v"),
              let m = try? opt.floats(of: mInfo), let v = try? opt.floats(of: vInfo),
              m.count == params.count, v.count == params.count else {
            throw .invalid(path: dir, reason: "optimizer.safetensors does not match the adapter (\(params.count) parameters)")
        }
        return (params, State(step: step, optimizerStep: optStep, seed: seed), m, v)
    }
}
