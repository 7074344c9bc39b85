/// A LoRA (or DoRA) adapter for a Llama-family model: its configuration, the factors of every
/// adapted (layer, projection), and optionally where it came from.
///
/// Stored on disk as a PEFT adapter directory (see `read(directory:model:)` and
/// `write(to:dtype:replacingExisting:)`), which `PeftModel.from_pretrained` loads as is.
public struct LoRAAdapter: Sendable, Hashable {
    public var config: LoRAAdapterConfig
    public var factors: [LoRASlot: LoRAFactors]
    public var provenance: AdapterProvenance?

    public init(config: LoRAAdapterConfig, factors: [LoRASlot: LoRAFactors], provenance: AdapterProvenance? = nil) {
        self.config = config
        self.factors = factors
        self.provenance = provenance
    }

    /// Every (layer, target) of `model` with A = 0, B = 0 (magnitude 1 for DoRA), ready to be
    /// filled by an initializer or a trainer.
    public static func zeros(config: LoRAAdapterConfig, model: LoRAModelShape, provenance: AdapterProvenance? = nil) -> LoRAAdapter {
        var factors: [LoRASlot: LoRAFactors] = [:]
        for layer in 0..<max(0, model.layerCount) {
            for projection in config.targets {
                let (inFeatures, outFeatures) = model.features(projection)
                factors[LoRASlot(layer: layer, projection: projection)] =
                    .zeros(rank: config.rank, inFeatures: inFeatures, outFeatures: outFeatures, dora: config.useDoRA)
            }
        }
        return LoRAAdapter(config: config, factors: factors, provenance: provenance)
    }

    /// The adapted slots in (layer, projection) order.
    public var slots: [LoRASlot] { factors.keys.sorted() }

    /// Checks that the adapter is internally consistent and, when `model` is given, that it
    /// covers exactly every layer of `model` for every target with the model's shapes.
    /// `path` labels errors (the file the adapter came from or goes to).
    public func validate(against model: LoRAModelShape? = nil, path: String = "(adapter)") throws(LoRAAdapterError) {
        if let provenance { try provenance.validate(path: path) }
        var featuresSeen: [LoRAProjection: (in: Int, out: Int, slot: LoRASlot)] = [:]
        for slot in slots {
            guard let f = factors[slot] else { continue }
            func name(_ kind: LoRAFactorKind) -> String { LoRATensorName.format(slot, kind) }
            guard config.targets.contains(slot.projection) else {
                throw .untargetedProjection(path: path, tensor: name(.a), projection: slot.projection.rawValue)
            }
            guard slot.layer >= 0 else {
                throw .layerOutOfRange(path: path, tensor: name(.a), layer: slot.layer, layerCount: model?.layerCount ?? 0)
            }
            if let model, slot.layer >= model.layerCount {
                throw .layerOutOfRange(path: path, tensor: name(.a), layer: slot.layer, layerCount: model.layerCount)
            }
            guard f.rank == config.rank else {
                throw .rankMismatch(path: path, tensor: name(.a), expected: config.rank, found: f.rank)
            }
            let expected: (in: Int, out: Int)
            if let model {
                expected = model.features(slot.projection)
            } else if let seen = featuresSeen[slot.projection] {
                expected = (seen.in, seen.out)
            } else {
                guard f.inFeatures > 0, f.outFeatures > 0 else {
                    throw .shapeMismatch(path: path, tensor: name(.a), expected: [f.rank, 1], found: f.aShape)
                }
                expected = (f.inFeatures, f.outFeatures)
                featuresSeen[slot.projection] = (f.inFeatures, f.outFeatures, slot)
            }
            guard f.inFeatures == expected.in else {
                throw .shapeMismatch(path: path, tensor: name(.a), expected: [config.rank, expected.in], found: f.aShape)
            }
            guard f.outFeatures == expected.out else {
                throw .shapeMismatch(path: path, tensor: name(.b), expected: [expected.out, config.rank], found: f.bShape)
            }
            guard f.a.count == f.rank * f.inFeatures else {
                throw .shapeMismatch(path: path, tensor: name(.a), expected: f.aShape, found: [f.a.count])
            }
            guard f.b.count == f.outFeatures * f.rank else {
                throw .shapeMismatch(path: path, tensor: name(.b), expected: f.bShape, found: [f.b.count])
            }
            try Self.checkFinite(f.a, tensor: name(.a), path: path)
            try Self.checkFinite(f.b, tensor: name(.b), path: path)
            switch (config.useDoRA, f.magnitude) {
            case (true, nil):
                throw .missingFactor(path: path, layer: slot.layer, projection: slot.projection.rawValue, factor: "lora_magnitude_vector (use_dora is true)")
            case (false, .some):
                throw .unexpectedFactor(path: path, tensor: name(.magnitude), reason: "a DoRA magnitude but use_dora is false")
            case (true, .some(let m)):
                guard m.count == f.outFeatures else {
                    throw .shapeMismatch(path: path, tensor: name(.magnitude), expected: f.magnitudeShape, found: [m.count])
                }
                try Self.checkFinite(m, tensor: name(.magnitude), path: path)
            case (false, nil):
                break
            }
        }
        if let model {
            for layer in 0..<max(0, model.layerCount) {
                for projection in config.targets where factors[LoRASlot(layer: layer, projection: projection)] == nil {
                    throw .missingFactor(path: path, layer: layer, projection: projection.rawValue, factor: "lora_A/lora_B")
                }
            }
        }
    }

    static func checkFinite(_ values: [Float], tensor: String, path: String) throws(LoRAAdapterError) {
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(path: path, tensor: tensor, index: index)
        }
    }
}
