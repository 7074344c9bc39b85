import Adapters
import FuzzSupport
import SwarmBase

// The two files of a PEFT adapter directory. The first input byte picks the parser: even bytes
// feed the rest to the safetensors reader (and widen every tensor to Float), odd bytes feed it
// to the adapter_config.json parser, whose accepted configs must survive jsonBytes() unchanged.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.input(data, size)
    guard let selector = input.first else { return 0 }
    let bytes = Array(input.dropFirst())
    if selector & 1 == 0 {
        let limits = SafetensorsLimits(maxHeaderBytes: 1 << 20, maxFileBytes: 16 << 20)
        guard let file = try? SafetensorsFile(bytes: bytes, path: "adapter_model.safetensors", limits: limits) else { return 0 }
        for info in file.tensors {
            _ = file.rawBytes(of: info)
            _ = try? file.floats(of: info)
        }
    } else {
        guard let config = try? LoRAAdapterConfig(json: bytes, path: "adapter_config.json") else { return 0 }
        Fuzz.checkRoundTrip(config, "adapter config") { try LoRAAdapterConfig(json: $0.jsonBytes(), path: "adapter_config.json") }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        let prefix = "base_model.model.model.layers.0.self_attn.q_proj"
        try writer.add("\(prefix).lora_A.weight", shape: [2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8])
        try writer.add("\(prefix).lora_B.weight", shape: [4, 2], values: [0.5, -1, 0, 2, 1e-3, 3, -4, 8], dtype: .f16)
        var bf16 = SafetensorsWriter()
        try bf16.add("\(prefix).lora_B.weight", shape: [3], values: [1, -2, 0.25], dtype: .bf16)
        let config = LoRAAdapterConfig(rank: 2, alpha: 4, dropout: 0.05, targets: [.q, .v, .down],
                                       useRSLoRA: true, baseModelNameOrPath: "HuggingFaceTB/SmolLM2-135M-Instruct")
        let peft = #"{"peft_type":"LORA","task_type":"CAUSAL_LM","r":8,"lora_alpha":16,"lora_dropout":0.0,"target_modules":["q_proj","k_proj","v_proj","o_proj"],"bias":"none","use_dora":true}"#
        return [("safetensors-f32-f16", [0] + writer.serialize()),
                ("safetensors-bf16", [0] + bf16.serialize()),
                ("config-swarmtune", [1] + config.jsonBytes()),
                ("config-peft", [1] + Array(peft.utf8))]
    }
    return 0
}
