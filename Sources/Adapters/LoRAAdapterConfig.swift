import SwarmBase

/// The hyper-parameters of a LoRA (or DoRA) adapter: the subset of PEFT's `LoraConfig` that
/// decides what the adapter computes on a Llama model.
public struct LoRAAdapterConfig: Sendable, Hashable {
    /// r: the inner dimension of A ([r, in]) and B ([out, r]).
    public var rank: Int
    /// lora_alpha: the update is scaled by alpha / r (or alpha / sqrt(r) with rsLoRA).
    public var alpha: Double
    /// lora_dropout: applied to the adapter's input during training only.
    public var dropout: Double
    /// target_modules, sorted in declaration order without repeats.
    public var targets: [LoRAProjection]
    /// use_rslora: scale by alpha / sqrt(r) instead of alpha / r.
    public var useRSLoRA: Bool
    /// use_dora: weight-decomposed LoRA with a per-output magnitude vector.
    public var useDoRA: Bool
    /// base_model_name_or_path: informational (a hub id or a local path), may be nil.
    public var baseModelNameOrPath: String?

    public init(rank: Int, alpha: Double, dropout: Double = 0, targets: [LoRAProjection],
                useRSLoRA: Bool = false, useDoRA: Bool = false, baseModelNameOrPath: String? = nil)
    {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = Array(Set(targets)).sorted()
        self.useRSLoRA = useRSLoRA
        self.useDoRA = useDoRA
        self.baseModelNameOrPath = baseModelNameOrPath
    }

    /// The factor multiplying B·A in the forward pass, as PEFT computes it.
    public var scale: Float {
        Float(useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank))
    }

    // MARK: - adapter_config.json

    /// PEFT fields that change what the adapter computes in ways this type does not model; they
    /// must be absent or hold their neutral value.
    private enum Neutral: Sendable {
        case null, nullOrEmptyObject, falseValue, noneString

        func accepts(_ value: JSONValue) -> Bool {
            switch self {
            case .null: return value.isNull
            case .nullOrEmptyObject: return value.isNull || value.objectValue?.isEmpty == true
            case .falseValue: return value.boolValue == false
            case .noneString: return value.stringValue == "none"
            }
        }
    }

    private static let neutralFields: [(name: String, neutral: Neutral, why: String)] = [
        ("rank_pattern", .nullOrEmptyObject, "per-module ranks"),
        ("alpha_pattern", .nullOrEmptyObject, "per-module alphas"),
        ("modules_to_save", .null, "fully trained extra modules"),
        ("layers_to_transform", .null, "adapting only some layers"),
        ("layers_pattern", .null, "adapting only some layers"),
        ("exclude_modules", .null, "excluded modules"),
        ("layer_replication", .null, "layer replication"),
        ("trainable_token_indices", .null, "trainable token embeddings"),
        ("target_parameters", .null, "adapting raw parameters"),
        ("alora_invocation_tokens", .null, "activated LoRA"),
        ("lora_bias", .falseValue, "a trainable bias on B"),
        ("use_qalora", .falseValue, "QA-LoRA"),
        ("fan_in_fan_out", .falseValue, "transposed (Conv1D) weights"),
        ("bias", .noneString, "trained biases (only \"none\" is supported)"),
    ]

    /// Parses adapter_config.json as PEFT writes it. Unknown fields are ignored (PEFT writes
    /// dozens); fields that would change the computation are refused unless neutral.
    public init(json bytes: [UInt8], path: String) throws(LoRAAdapterError) {
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(bytes)
        } catch {
            throw .invalidConfig(path: path, field: "(file)", reason: "is not valid JSON: \(error.description)")
        }
        guard let object = parsed.objectValue else {
            throw .invalidConfig(path: path, field: "(file)", reason: "is not a JSON object")
        }
        func invalid(_ field: String, _ reason: String) -> LoRAAdapterError {
            .invalidConfig(path: path, field: field, reason: reason)
        }
        func found(_ field: String) -> String {
            object[field]?.typeName ?? "nothing"
        }

        guard let peftType = object["peft_type"]?.stringValue else {
            throw invalid("peft_type", "must be the string \"LORA\", found \(found("peft_type"))")
        }
        guard peftType == "LORA" else {
            throw .unsupportedConfig(path: path, field: "peft_type", reason: "\"\(peftType)\" adapters are not LoRA")
        }
        if let task = object["task_type"], !task.isNull {
            guard let name = task.stringValue else { throw invalid("task_type", "must be a string or null, found \(task.typeName)") }
            guard name == "CAUSAL_LM" else {
                throw .unsupportedConfig(path: path, field: "task_type", reason: "\"\(name)\"; only CAUSAL_LM adapters apply to a causal language model")
            }
        }
        guard let rank = object["r"]?.intValue, rank > 0 else {
            throw invalid("r", "must be a positive integer, found \(found("r"))")
        }
        guard let alpha = object["lora_alpha"]?.doubleValue, alpha.isFinite else {
            throw invalid("lora_alpha", "must be a finite number, found \(found("lora_alpha"))")
        }
        var dropout = 0.0
        if let value = object["lora_dropout"], !value.isNull {
            guard let d = value.doubleValue, d >= 0, d < 1 else { throw invalid("lora_dropout", "must be a number in [0, 1)") }
            dropout = d
        }
        guard let targetsValue = object["target_modules"] else { throw invalid("target_modules", "is missing") }
        if targetsValue.stringValue != nil {
            throw .unsupportedConfig(path: path, field: "target_modules", reason: "a regular expression; list the module names instead")
        }
        guard let targetNames = targetsValue.arrayValue, !targetNames.isEmpty else {
            throw invalid("target_modules", "must be a non-empty array of module names, found \(targetsValue.typeName)")
        }
        var targets: [LoRAProjection] = []
        for value in targetNames {
            guard let name = value.stringValue else { throw invalid("target_modules", "must hold strings, found \(value.typeName)") }
            guard let projection = LoRAProjection(rawValue: name) else {
                let known = LoRAProjection.allCases.map(\.rawValue).joined(separator: ", ")
                throw .unsupportedConfig(path: path, field: "target_modules", reason: "unknown module \"\(name)\" (known: \(known))")
            }
            targets.append(projection)
        }
        func flag(_ field: String) throws(LoRAAdapterError) -> Bool {
            guard let value = object[field], !value.isNull else { return false }
            guard let bool = value.boolValue else { throw invalid(field, "must be true or false, found \(value.typeName)") }
            return bool
        }
        let useRSLoRA = try flag("use_rslora")
        let useDoRA = try flag("use_dora")
        var base: String?
        if let value = object["base_model_name_or_path"], !value.isNull {
            guard let name = value.stringValue else { throw invalid("base_model_name_or_path", "must be a string or null") }
            base = name
        }
        for field in Self.neutralFields {
            if let value = object[field.name], !field.neutral.accepts(value) {
                throw .unsupportedConfig(path: path, field: field.name, reason: "\(field.why) (found \(value.typeName) with a non-default value)")
            }
        }
        self.init(rank: rank, alpha: alpha, dropout: dropout, targets: targets,
                  useRSLoRA: useRSLoRA, useDoRA: useDoRA, baseModelNameOrPath: base)
    }

    /// adapter_config.json as PEFT 0.21 writes it for a causal LM (the fields PEFT needs to
    /// load it, with neutral values for the features not used), sorted and indented.
    public func jsonBytes() -> [UInt8] {
        let alphaValue: JSONValue = alpha.rounded() == alpha && abs(alpha) < 1e15 ? .integer(Int(alpha)) : .number(alpha)
        let object: [String: JSONValue] = [
            "alpha_pattern": .object([:]),
            "base_model_name_or_path": baseModelNameOrPath.map { .string($0) } ?? .null,
            "bias": .string("none"),
            "fan_in_fan_out": .bool(false),
            "inference_mode": .bool(true),
            "init_lora_weights": .bool(true),
            "layers_pattern": .null,
            "layers_to_transform": .null,
            "lora_alpha": alphaValue,
            "lora_bias": .bool(false),
            "lora_dropout": .number(dropout),
            "modules_to_save": .null,
            "peft_type": .string("LORA"),
            "r": .integer(rank),
            "rank_pattern": .object([:]),
            "revision": .null,
            "target_modules": .array(targets.map { .string($0.rawValue) }),
            "task_type": .string("CAUSAL_LM"),
            "use_dora": .bool(useDoRA),
            "use_rslora": .bool(useRSLoRA),
        ]
        return JSONValue.object(object).serialized(pretty: true) + [0x0A]
    }
}
