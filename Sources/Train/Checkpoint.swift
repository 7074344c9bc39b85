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
        /// A moment of optimizer.safetensors (`m` or `v`, one value per adapter parameter) is
        /// missing, unreadable or of the wrong length. Never optional: every save writes both.
        case optimizerMoment(path: String, tensor: String, reason: String)

        public var description: String {
            switch self {
            case let .io(path, reason): "checkpoint \(path): \(reason)"
            case let .invalid(path, reason): "checkpoint \(path) is not usable: \(reason)"
            case let .optimizerMoment(path, tensor, reason):
                "checkpoint \(path) is not usable: \(optimizerFile): tensor '\(tensor)' (the optimizer's \(tensor == "m" ? "first" : "second") moment) \(reason); resume from another checkpoint or train from the start"
            }
        }
    }

    public struct State: Sendable, Equatable {
        public var step: Int
        public var optimizerStep: Int
        public var seed: UInt64
        /// Micro-batches the session had run (keys the dropout masks); nil in checkpoints
        /// written before it was recorded, where it is step x gradient accumulation.
        public var microSteps: Int?
    }

    /// A checkpoint read back: the adapter parameters, the trainer's state and the optimizer's moments.
    public struct Loaded {
        public var path: String
        public var parameters: LoRAParameters
        public var state: State
        public var m: [Float]
        public var v: [Float]
    }

    /// The largest step a checkpoint may hold (far above any run: --steps stops at 10^7), so the
    /// step times the examples per step cannot overflow.
    public static let maxStep = 1 << 40

    /// The file holding the optimizer's moments, inside a checkpoint directory.
    public static let optimizerFile = "optimizer.safetensors"

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
            try w.write(to: staging + "/" + optimizerFile)
            let state: JSONValue = .object(["step": .integer(trainer.step), "optimizerStep": .integer(trainer.optimizer.step),
                                            "microSteps": .integer(trainer.session.steps),
                                            "seed": .string(String(trainer.options.seed)), "format": .string("swarmtune-checkpoint-1")])
            try FileIO.writeAtomically(state.serialized(pretty: true), to: staging + "/trainer_state.json")
            // Exchanged, not removed then moved: a run killed here still has a checkpoint. Deleting
            // the old one is best effort (the new one is in place either way).
            if let old = try FileIO.replaceDirectory(dir, with: staging) { try? FileIO.removeTree(old) }
        } catch {
            // A failed save (a full disk) leaves the previous checkpoint and no half-written staging.
            try? FileIO.removeTree(staging)
            throw .io(path: dir, reason: "\(error)")
        }
    }

    /// Loads a checkpoint for `model`: the adapter parameters, the optimizer state and the step.
    /// Every field of trainer_state.json is checked here, where the file enters, with the field
    /// named in the error.
    public static func load(from dir: String, model: LlamaConfig) throws(Error) -> Loaded {
        let adapter: LoRAAdapter
        do { adapter = try LoRAAdapter.read(directory: dir + "/adapter") } catch {
            throw .invalid(path: dir, reason: error.description)
        }
        let params: LoRAParameters
        do { params = try AdapterConversion.parameters(from: adapter, model: model, path: dir + "/adapter") } catch {
            throw .invalid(path: dir, reason: error.description)
        }
        let state = try readState(dir)
        let opt: SafetensorsFile
        do { opt = try SafetensorsFile.read(path: dir + "/" + optimizerFile) } catch {
            throw .invalid(path: dir, reason: error.description)
        }
        let m = try moment("m", of: opt, parameters: params.count, dir: dir)
        let v = try moment("v", of: opt, parameters: params.count, dir: dir)
        return Loaded(path: dir, parameters: params, state: state, m: m, v: v)
    }

    /// One moment tensor of optimizer.safetensors, as floats, one per adapter parameter.
    static func moment(_ name: String, of file: SafetensorsFile, parameters: Int, dir: String) throws(Error) -> [Float] {
        guard let info = file.tensor(named: name) else {
            throw .optimizerMoment(path: dir, tensor: name, reason: "is missing")
        }
        guard info.elementCount == parameters else {
            throw .optimizerMoment(path: dir, tensor: name, reason: "holds \(info.elementCount) values; the adapter has \(parameters) parameters")
        }
        do { return try file.floats(of: info) } catch {
            throw .optimizerMoment(path: dir, tensor: name, reason: "cannot be read: \(error)")
        }
    }

    static func readState(_ dir: String) throws(Error) -> State {
        let file = "trainer_state.json"
        let data: [UInt8]
        do { data = try FileIO.readAll(dir + "/" + file, limit: 1 << 20) } catch { throw .invalid(path: dir, reason: "\(file): \(error)") }
        let obj: JSONValue
        do { obj = try JSONValue.parse(data) } catch { throw .invalid(path: dir, reason: "\(file): \(error)") }
        func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws(Error) -> Int? {
            guard let value = obj[key] else { return nil }
            guard let i = value.intValue, range.contains(i) else {
                throw .invalid(path: dir, reason: "\(file): '\(key)' is \(String(decoding: value.serialized(), as: UTF8.self)); it must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return i
        }
        func integer(_ key: String, in range: ClosedRange<Int>) throws(Error) -> Int {
            guard let i = try optionalInteger(key, in: range) else { throw .invalid(path: dir, reason: "\(file): '\(key)' is missing") }
            return i
        }
        let step = try integer("step", in: 0...maxStep)
        let optimizerStep = try integer("optimizerStep", in: 0...step)
        let microSteps = try optionalInteger("microSteps", in: 0...(step * 1024 * 1024))
        guard let seedText = obj["seed"]?.stringValue, let seed = UInt64(seedText) else {
            throw .invalid(path: dir, reason: "\(file): 'seed' must be a decimal string of an unsigned 64-bit integer")
        }
        return State(step: step, optimizerStep: optimizerStep, seed: seed, microSteps: microSteps)
    }
}
