#if canImport(Glibc)
import Glibc
#endif
import SwarmBase

extension LoRAAdapter {
    /// The files of a PEFT adapter directory.
    public static let configFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"
    /// Files a replaced adapter directory may hold (PEFT also writes a README.md).
    static let replaceableFileNames: Set<String> = [configFileName, weightsFileName, "README.md"]
    /// adapter_config.json is small; anything bigger is not one.
    static let configSizeLimit = 1 << 20

    /// Reads a PEFT adapter directory (adapter_config.json + adapter_model.safetensors) and
    /// validates it; with `model`, also checks every shape and that every layer and target is
    /// present. Factors stored as F16 or BF16 are widened to Float.
    public static func read(directory: String, model: LoRAModelShape? = nil,
                            limits: SafetensorsLimits = SafetensorsLimits()) throws(LoRAAdapterError) -> LoRAAdapter
    {
        guard FileIO.kind(of: directory) == .directory else { throw .notADirectory(path: directory) }
        let configPath = FileIO.join(directory, configFileName)
        let weightsPath = FileIO.join(directory, weightsFileName)
        guard FileIO.kind(of: configPath) != .missing else {
            throw .missingFile(directory: directory, name: configFileName, hint: "is this a PEFT adapter directory?")
        }
        guard FileIO.kind(of: weightsPath) != .missing else {
            let legacy = FileIO.kind(of: FileIO.join(directory, "adapter_model.bin")) != .missing
            throw .missingFile(directory: directory, name: weightsFileName,
                               hint: legacy ? "adapter_model.bin (pickle) is not supported; re-save with safe_serialization=True" : "")
        }
        let configBytes: [UInt8]
        do {
            configBytes = try FileIO.readAll(configPath, limit: configSizeLimit)
        } catch {
            throw .unreadable(path: configPath, reason: error.reason)
        }
        let config = try LoRAAdapterConfig(json: configBytes, path: configPath)
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile.read(path: weightsPath, limits: limits)
        } catch {
            throw .safetensors(error)
        }
        let adapter = try fromSafetensors(file, config: config, model: model)
        try adapter.validate(against: model, path: weightsPath)
        return adapter
    }

    /// Collects the factors in `file`, checking names, ranks and shapes tensor by tensor.
    static func fromSafetensors(_ file: SafetensorsFile, config: LoRAAdapterConfig, model: LoRAModelShape?) throws(LoRAAdapterError) -> LoRAAdapter {
        let path = file.path
        var parts: [LoRASlot: [LoRAFactorKind: SafetensorsTensorInfo]] = [:]
        for info in file.tensors {
            let parsed: (slot: LoRASlot, kind: LoRAFactorKind)
            switch LoRATensorName.parse(info.name) {
            case .success(let value): parsed = value
            case .failure(let failure): throw .unknownTensor(path: path, tensor: info.name, reason: failure.reason)
            }
            guard config.targets.contains(parsed.slot.projection) else {
                throw .untargetedProjection(path: path, tensor: info.name, projection: parsed.slot.projection.rawValue)
            }
            if let model, parsed.slot.layer >= model.layerCount {
                throw .layerOutOfRange(path: path, tensor: info.name, layer: parsed.slot.layer, layerCount: model.layerCount)
            }
            if parts[parsed.slot, default: [:]][parsed.kind] != nil {
                throw .unexpectedFactor(path: path, tensor: info.name, reason: "a second \(parsed.kind.rawValue) for \(parsed.slot)")
            }
            parts[parsed.slot, default: [:]][parsed.kind] = info
        }

        var factors: [LoRASlot: LoRAFactors] = [:]
        for (slot, kinds) in parts {
            guard let a = kinds[.a] else {
                throw .missingFactor(path: path, layer: slot.layer, projection: slot.projection.rawValue, factor: "lora_A.weight")
            }
            guard let b = kinds[.b] else {
                throw .missingFactor(path: path, layer: slot.layer, projection: slot.projection.rawValue, factor: "lora_B.weight")
            }
            guard a.shape.count == 2 else { throw .shapeMismatch(path: path, tensor: a.name, expected: [config.rank, -1], found: a.shape) }
            guard b.shape.count == 2 else { throw .shapeMismatch(path: path, tensor: b.name, expected: [-1, config.rank], found: b.shape) }
            guard a.shape[0] == config.rank else { throw .rankMismatch(path: path, tensor: a.name, expected: config.rank, found: a.shape[0]) }
            guard b.shape[1] == config.rank else { throw .rankMismatch(path: path, tensor: b.name, expected: config.rank, found: b.shape[1]) }
            if let model {
                let (inFeatures, outFeatures) = model.features(slot.projection)
                guard a.shape[1] == inFeatures else { throw .shapeMismatch(path: path, tensor: a.name, expected: [config.rank, inFeatures], found: a.shape) }
                guard b.shape[0] == outFeatures else { throw .shapeMismatch(path: path, tensor: b.name, expected: [outFeatures, config.rank], found: b.shape) }
            }
            var magnitude: [Float]?
            if let m = kinds[.magnitude] {
                guard config.useDoRA else {
                    throw .unexpectedFactor(path: path, tensor: m.name, reason: "a DoRA magnitude but use_dora is false")
                }
                guard m.shape == [b.shape[0]] else { throw .shapeMismatch(path: path, tensor: m.name, expected: [b.shape[0]], found: m.shape) }
                magnitude = try floats(file, m)
            }
            factors[slot] = LoRAFactors(rank: config.rank, inFeatures: a.shape[1], outFeatures: b.shape[0],
                                        a: try floats(file, a), b: try floats(file, b), magnitude: magnitude)
        }
        let provenance = try AdapterProvenance(metadata: file.metadata, path: path)
        return LoRAAdapter(config: config, factors: factors, provenance: provenance)
    }

    private static func floats(_ file: SafetensorsFile, _ info: SafetensorsTensorInfo) throws(LoRAAdapterError) -> [Float] {
        do {
            let values = try file.floats(of: info)
            try checkFinite(values, tensor: info.name, path: file.path)
            return values
        } catch let error as LoRAAdapterError {
            throw error
        } catch let error as SafetensorsError {
            throw .safetensors(error)
        } catch {
            throw .unreadable(path: file.path, reason: "\(error)")
        }
    }

    /// The adapter_model.safetensors bytes: every factor under its PEFT name in `dtype` (F32,
    /// F16 or BF16), with `format: pt` and the provenance in `__metadata__`.
    public func safetensorsBytes(dtype: SafetensorsDType = .f32) throws(LoRAAdapterError) -> [UInt8] {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        if let provenance {
            for (key, value) in provenance.metadata { writer.metadata[key] = value }
        }
        do {
            for slot in slots {
                guard let f = factors[slot] else { continue }
                try writer.add(LoRATensorName.format(slot, .a), shape: f.aShape, values: f.a, dtype: dtype)
                try writer.add(LoRATensorName.format(slot, .b), shape: f.bShape, values: f.b, dtype: dtype)
                if let m = f.magnitude {
                    try writer.add(LoRATensorName.format(slot, .magnitude), shape: f.magnitudeShape, values: m, dtype: dtype)
                }
            }
        } catch {
            throw .safetensors(error)
        }
        return writer.serialize()
    }

    /// Writes the adapter as a PEFT directory. The files are written and fsynced in a
    /// temporary sibling directory which is then renamed into place, so `directory` is either
    /// untouched or complete. An existing `directory` is replaced only with
    /// `replacingExisting`, and only if it holds nothing but adapter files.
    public func write(to directory: String, dtype: SafetensorsDType = .f32, replacingExisting: Bool = false) throws(LoRAAdapterError) {
        let target = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        try validate(path: FileIO.join(target, Self.weightsFileName))
        let weights = try safetensorsBytes(dtype: dtype)
        let config = self.config.jsonBytes()

        let existing = FileIO.kind(of: target)
        switch existing {
        case .missing: break
        case .directory:
            guard replacingExisting else {
                throw .destinationExists(path: target, reason: "already exists; pass replacingExisting to overwrite it")
            }
            guard let names = try? FileIO.entries(of: target) else {
                throw .destinationExists(path: target, reason: "exists and cannot be listed, so it is not replaced")
            }
            let foreign = names.filter { !Self.replaceableFileNames.contains($0) }
            guard foreign.isEmpty else {
                throw .destinationExists(path: target, reason: "holds files that are not part of an adapter (\(foreign.sorted().prefix(3).joined(separator: ", "))), so it is not replaced")
            }
        case .file, .other:
            throw .destinationExists(path: target, reason: "exists and is not a directory")
        }

        let parent = FileIO.parent(of: target)
        let base = target.split(separator: "/").last.map(String.init) ?? "adapter"
        let staging = FileIO.join(parent, ".\(base).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard mkdir(staging, 0o755) == 0 else {
            throw .writeFailed(path: target, reason: FileError(path: staging, operation: .createDirectory, errno: .current).description)
        }
        do throws(FileError) {
            try FileIO.writeDurably(config, to: FileIO.join(staging, Self.configFileName), exclusive: true)
            try FileIO.writeDurably(weights, to: FileIO.join(staging, Self.weightsFileName), exclusive: true)
            // Synced into place; `old` holds the adapter replaced, if any.
            if let old = try FileIO.replaceDirectory(target, with: staging) { Self.removeAdapterDirectory(old) }
        } catch {
            Self.removeAdapterDirectory(staging)
            throw .writeFailed(path: target, reason: error.description)
        }
    }

    /// Deletes a directory that holds only adapter files (best effort).
    static func removeAdapterDirectory(_ path: String) {
        for name in (try? FileIO.entries(of: path)) ?? [] where replaceableFileNames.contains(name) {
            unlink(FileIO.join(path, name))
        }
        rmdir(path)
    }
}
