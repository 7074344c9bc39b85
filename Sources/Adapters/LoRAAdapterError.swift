/// Why a LoRA adapter directory could not be read or written, or why an adapter is invalid.
/// Each case names the file (or directory) and the tensor or field at fault.
public enum LoRAAdapterError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The adapter directory does not exist or is not a directory.
    case notADirectory(path: String)
    /// A required file is missing from the adapter directory.
    case missingFile(directory: String, name: String, hint: String)
    /// A file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// adapter_config.json is malformed or has a field of the wrong type or value.
    case invalidConfig(path: String, field: String, reason: String)
    /// adapter_config.json asks for a PEFT feature this reader does not implement.
    case unsupportedConfig(path: String, field: String, reason: String)
    /// The safetensors file itself is malformed.
    case safetensors(SafetensorsError)
    /// A tensor name does not follow PEFT's LlamaForCausalLM naming, or names an unknown module.
    case unknownTensor(path: String, tensor: String, reason: String)
    /// A tensor belongs to a projection missing from the config's target_modules.
    case untargetedProjection(path: String, tensor: String, projection: String)
    /// A tensor's layer index is beyond the model's layer count.
    case layerOutOfRange(path: String, tensor: String, layer: Int, layerCount: Int)
    /// A factor (A, B or DoRA magnitude) is missing for a (layer, projection).
    case missingFactor(path: String, layer: Int, projection: String, factor: String)
    /// A factor is present that the config does not call for (a DoRA magnitude without use_dora).
    case unexpectedFactor(path: String, tensor: String, reason: String)
    /// A factor's rank differs from the config's r (or A's rank differs from B's).
    case rankMismatch(path: String, tensor: String, expected: Int, found: Int)
    /// A factor's shape is not the one the model (or the other factors) imply.
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    /// A factor holds NaN or an infinity.
    case nonFinite(path: String, tensor: String, index: Int)
    /// The provenance metadata is present but malformed.
    case invalidProvenance(path: String, key: String, reason: String)
    /// The destination exists and replacing it was not asked for, or it does not look like an
    /// adapter directory (so it is not deleted).
    case destinationExists(path: String, reason: String)
    /// Writing failed; the destination is unchanged.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notADirectory(path):
            return "\(path): not an adapter directory (it does not exist or is not a directory)"
        case let .missingFile(directory, name, hint):
            return "\(directory): missing \(name)" + (hint.isEmpty ? "" : "; \(hint)")
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .invalidConfig(path, field, reason):
            return "\(path): '\(field)' \(reason)"
        case let .unsupportedConfig(path, field, reason):
            return "\(path): '\(field)' is not supported: \(reason)"
        case let .safetensors(error):
            return error.description
        case let .unknownTensor(path, tensor, reason):
            return "\(path): tensor '\(tensor)' is not a LoRA factor of a Llama model: \(reason)"
        case let .untargetedProjection(path, tensor, projection):
            return "\(path): tensor '\(tensor)' belongs to \(projection), which is not in adapter_config.json's target_modules"
        case let .layerOutOfRange(path, tensor, layer, layerCount):
            return "\(path): tensor '\(tensor)' is for layer \(layer) but the model has \(layerCount) layers (0...\(layerCount - 1))"
        case let .missingFactor(path, layer, projection, factor):
            return "\(path): layer \(layer) \(projection) has no \(factor)"
        case let .unexpectedFactor(path, tensor, reason):
            return "\(path): unexpected tensor '\(tensor)': \(reason)"
        case let .rankMismatch(path, tensor, expected, found):
            return "\(path): tensor '\(tensor)' has rank \(found) but the adapter's r is \(expected)"
        case let .shapeMismatch(path, tensor, expected, found):
            return "\(path): tensor '\(tensor)' has shape \(found), expected \(expected)"
        case let .nonFinite(path, tensor, index):
            return "\(path): tensor '\(tensor)' holds a non-finite value at element \(index)"
        case let .invalidProvenance(path, key, reason):
            return "\(path): provenance metadata '\(key)' \(reason)"
        case let .destinationExists(path, reason):
            return "\(path): \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write adapter: \(reason)"
        }
    }
}
