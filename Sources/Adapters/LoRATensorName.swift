/// Which factor of a LoRA pair a tensor holds.
public enum LoRAFactorKind: String, Sendable, Hashable, CaseIterable {
    /// A: [r, in], the down-projection.
    case a = "lora_A.weight"
    /// B: [out, r], the up-projection.
    case b = "lora_B.weight"
    /// DoRA's per-output-feature magnitude: [out].
    case magnitude = "lora_magnitude_vector"
}

/// One adapted linear layer: a projection in a decoder layer.
public struct LoRASlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var layer: Int
    public var projection: LoRAProjection

    public init(layer: Int, projection: LoRAProjection) {
        self.layer = layer
        self.projection = projection
    }

    public static func < (a: LoRASlot, b: LoRASlot) -> Bool {
        a.layer != b.layer ? a.layer < b.layer : a.projection < b.projection
    }

    public var description: String { "layer \(layer) \(projection.rawValue)" }
}

/// PEFT's tensor names for a LlamaForCausalLM adapter:
/// `base_model.model.model.layers.{i}.{self_attn|mlp}.{projection}.{lora_A.weight|lora_B.weight|lora_magnitude_vector}`.
public enum LoRATensorName {
    static let prefix = "base_model.model.model.layers."

    /// The name PEFT gives `kind` of `slot`.
    public static func format(_ slot: LoRASlot, _ kind: LoRAFactorKind) -> String {
        "\(prefix)\(slot.layer).\(slot.projection.block).\(slot.projection.rawValue).\(kind.rawValue)"
    }

    /// Splits a PEFT tensor name; the reason when it is not one. Also accepts
    /// `lora_magnitude_vector.weight`, which some PEFT versions wrote.
    public static func parse(_ name: String) -> Result<(slot: LoRASlot, kind: LoRAFactorKind), ParseFailure> {
        guard name.hasPrefix(prefix) else { return .failure(ParseFailure("it does not start with '\(prefix)'")) }
        let parts = name.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 4 else { return .failure(ParseFailure("too few components")) }
        let digits = parts[0]
        guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let layer = Int(digits), digits == "0" || digits.first != "0"
        else { return .failure(ParseFailure("'\(digits.prefix(20))' is not a layer index")) }
        guard let projection = LoRAProjection(rawValue: String(parts[2])) else {
            return .failure(ParseFailure("unknown module '\(parts[2].prefix(40))' (known: \(LoRAProjection.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        guard parts[1] == projection.block else {
            return .failure(ParseFailure("\(projection.rawValue) lives in '\(projection.block)', not '\(parts[1].prefix(40))'"))
        }
        let rest = parts[3...].joined(separator: ".")
        let kind: LoRAFactorKind
        switch rest {
        case LoRAFactorKind.a.rawValue: kind = .a
        case LoRAFactorKind.b.rawValue: kind = .b
        case LoRAFactorKind.magnitude.rawValue, LoRAFactorKind.magnitude.rawValue + ".weight": kind = .magnitude
        default:
            return .failure(ParseFailure("'\(rest.prefix(40))' is not lora_A.weight, lora_B.weight or lora_magnitude_vector"))
        }
        return .success((LoRASlot(layer: layer, projection: projection), kind))
    }

    public struct ParseFailure: Error, Sendable {
        public let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
