import LM
import SwarmBase

/// What turns a node's checkpoint (one flat vector of LoRA parameters) back into an adapter
/// without the core: the LoRA settings and the model dimensions that fix every slot's shape, the
/// core's hash and the seed the initial A came from.
///
/// The node records it in its store's meta config (under `adapter-layout`) when it opens the
/// store, so `swarmtune inspect`/`merge`/`export` can read any node's state directory. The whole
/// `LlamaConfig` is recorded, not only the fields that shape the slots, so the parameters rebuilt
/// here are the ones the engine makes for that core (it checks `LoRAParameters.model` against the
/// model it runs on).
public struct AdapterLayout: Sendable, Equatable {
    /// The key of the layout in the store's meta config.
    public static let configKey = "adapter-layout"

    public var lora: LoRAConfig
    /// The core's hyper-parameters.
    public var model: LlamaConfig
    /// SHA-256 of the core the node trains on.
    public var coreHash: Digest32
    /// The seed of the adapter's initial A (the swarm seed, or a test's per-node seed).
    public var seed: UInt64

    public init(lora: LoRAConfig, model: LlamaConfig, coreHash: Digest32, seed: UInt64) {
        self.lora = lora
        self.model = model
        self.coreHash = coreHash
        self.seed = seed
    }

    /// How many values a checkpoint of this layout holds: per layer and target r·(in + out), plus
    /// the DoRA magnitude [out] (`LoRAParameters`' layout), computed without allocating it.
    public var parameterCount: Int {
        let perLayer = lora.targets.reduce(0) { sum, target in
            let (out, inputs) = target.shape(model)
            return sum + lora.rank * (inputs + out) + (lora.dora ? out : 0)
        }
        return perLayer * model.layers
    }

    /// Empty parameters of this layout, to fill from a checkpoint.
    public func makeParameters() -> LoRAParameters {
        let parameters = LoRAParameters(config: lora, model: model)
        precondition(parameters.count == parameterCount, "AdapterLayout.parameterCount follows LoRAParameters' layout")
        return parameters
    }

    /// The layout as recorded in the meta config.
    public var json: JSONValue {
        .object([
            "core-sha256": .string(coreHash.hex), "seed": .string(String(seed)),
            "rank": .integer(lora.rank), "alpha": .number(Double(lora.alpha)), "dropout": .number(Double(lora.dropout)),
            "targets": .array(lora.targets.map { .string($0.rawValue) }),
            "rslora": .bool(lora.rsLoRA), "dora": .bool(lora.dora),
            "model": .object([
                "architecture": .string(model.architecture.rawValue),
                "vocab": .integer(model.vocabSize), "dim": .integer(model.dim), "hidden-dim": .integer(model.hiddenDim),
                "layers": .integer(model.layers), "heads": .integer(model.heads), "kv-heads": .integer(model.kvHeads),
                "rope-base": .number(Double(model.ropeBase)), "norm-epsilon": .number(Double(model.normEpsilon)),
                "context-length": .integer(model.contextLength),
            ]),
        ])
    }

    /// `config` (a node configuration's JSON object) with this layout added under `configKey`.
    public func recorded(in config: JSONValue) -> JSONValue {
        var object = config.objectValue ?? [:]
        object[Self.configKey] = json
        return .object(object)
    }

    /// The layout recorded in a meta `config`; nil when the database predates layouts. `path`
    /// (the database) labels the errors, which name the malformed field.
    public init?(recordedIn config: JSONValue, path: String) throws(AdapterLayoutError) {
        guard let record = config[Self.configKey] else { return nil }
        func field(_ key: String) throws(AdapterLayoutError) -> JSONValue {
            guard let value = record[key] ?? record["model"]?[key] else {
                throw AdapterLayoutError(path: path, field: key, detail: "is missing")
            }
            return value
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(AdapterLayoutError) -> Int {
            guard let value = try field(key).intValue, range.contains(value) else {
                throw AdapterLayoutError(path: path, field: key, detail: "must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        func number(_ key: String, above minimum: Double = 0, orEqual: Bool = true) throws(AdapterLayoutError) -> Float {
            guard let value = try field(key).doubleValue, value.isFinite, value > minimum || (orEqual && value == minimum) else {
                throw AdapterLayoutError(path: path, field: key, detail: "must be a finite number, \(orEqual ? "at least" : "above") \(minimum)")
            }
            return Float(value)
        }
        func flag(_ key: String) throws(AdapterLayoutError) -> Bool {
            guard let value = try field(key).boolValue else { throw AdapterLayoutError(path: path, field: key, detail: "must be true or false") }
            return value
        }
        guard let hashText = try field("core-sha256").stringValue, let hash = Digest32(hex: hashText) else {
            throw AdapterLayoutError(path: path, field: "core-sha256", detail: "must be 64 hex digits")
        }
        guard let seedText = try field("seed").stringValue, let seed = UInt64(seedText) else {
            throw AdapterLayoutError(path: path, field: "seed", detail: "must be a decimal unsigned 64-bit integer as a string")
        }
        guard let names = try field("targets").arrayValue, !names.isEmpty else {
            throw AdapterLayoutError(path: path, field: "targets", detail: "must be a non-empty array of projection names")
        }
        var targets: [LoRATarget] = []
        for name in names {
            guard let text = name.stringValue, let target = LoRATarget(rawValue: text) else {
                throw AdapterLayoutError(path: path, field: "targets", detail: "\(name.text()) is not one of \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            targets.append(target)
        }
        let lora = LoRAConfig(rank: try integer("rank", 1...4096), alpha: try number("alpha"), targets: targets,
                              dropout: try number("dropout"), rsLoRA: try flag("rslora"), dora: try flag("dora"))
        let heads = try integer("heads", 1...65536), kvHeads = try integer("kv-heads", 1...65536)
        let dim = try integer("dim", 1...65536)
        guard dim % heads == 0, heads % kvHeads == 0 else {
            throw AdapterLayoutError(path: path, field: "heads", detail: "heads (\(heads)) must divide dim (\(dim)) and kv-heads (\(kvHeads)) must divide heads")
        }
        // Layouts recorded before other architectures were supported are Llama's.
        var architecture = ModelArchitecture.llama
        if let value = record["model"]?["architecture"] {
            guard let name = value.stringValue, let known = ModelArchitecture(rawValue: name) else {
                throw AdapterLayoutError(path: path, field: "architecture",
                                         detail: "\(value.text()) is not one of \(ModelArchitecture.supportedNames)")
            }
            architecture = known
        }
        let model = LlamaConfig(vocabSize: try integer("vocab", 1...(1 << 22)), dim: dim, hiddenDim: try integer("hidden-dim", 1...(1 << 20)),
                                layers: try integer("layers", 1...1024), heads: heads, kvHeads: kvHeads,
                                ropeBase: try number("rope-base", above: 0, orEqual: false),
                                normEpsilon: try number("norm-epsilon", above: 0, orEqual: false),
                                contextLength: try integer("context-length", 1...(1 << 20)), architecture: architecture)
        self.init(lora: lora, model: model, coreHash: hash, seed: seed)
    }
}

/// A recorded adapter layout with a missing or malformed field (`path`: the database).
public struct AdapterLayoutError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var field: String
    public var detail: String

    public init(path: String, field: String, detail: String) {
        self.path = path
        self.field = field
        self.detail = detail
    }

    public var description: String { "\(path): the recorded adapter layout's \(field) \(detail)" }
}
