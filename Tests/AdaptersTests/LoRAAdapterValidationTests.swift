import Foundation
import Testing
@testable import Adapters

/// Adapter directories that are well-formed files but wrong adapters.
@Suite struct LoRAAdapterValidationTests {
    let config = LoRAAdapterConfig(rank: 2, alpha: 4, targets: [.q, .down])
    let q0 = LoRASlot(layer: 0, projection: .q)

    /// Writes `config` and the tensors produced by `edit` (starting from a valid adapter's
    /// tensors) into a fresh directory and reads it back.
    private func read(configJSON: String? = nil, model: LoRAModelShape? = tinyModel,
                      metadata: [String: String] = [:],
                      edit: (inout [String: (shape: [Int], values: [Float])]) -> Void = { _ in }) -> LoRAAdapterError?
    {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let adapter = randomAdapter(config)
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for slot in adapter.slots {
            let f = adapter.factors[slot]!
            tensors[LoRATensorName.format(slot, .a)] = (f.aShape, f.a)
            tensors[LoRATensorName.format(slot, .b)] = (f.bShape, f.b)
        }
        edit(&tensors)
        var writer = SafetensorsWriter(metadata: metadata)
        for (name, t) in tensors { try! writer.add(name, shape: t.shape, values: t.values) }
        try! writer.write(to: dir + "/adapter_model.safetensors")
        let json = configJSON.map { Array($0.utf8) } ?? config.jsonBytes()
        _ = FileManager.default.createFile(atPath: dir + "/adapter_config.json", contents: Data(json))
        do {
            _ = try LoRAAdapter.read(directory: dir, model: model)
            return nil
        } catch {
            return error
        }
    }

    private let a0 = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
    private let b0 = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"

    @Test func theUneditedAdapterIsAccepted() {
        #expect(read() == nil)
        #expect(read(model: nil) == nil)
    }

    @Test func rankMismatchBetweenAAndConfigOrB() {
        guard case .rankMismatch(_, a0, 2, 3) = read(edit: { $0[a0] = ([3, 16], [Float](repeating: 0.1, count: 48)) }) else {
            Issue.record("A of rank 3 accepted"); return
        }
        guard case .rankMismatch(_, b0, 2, 1) = read(edit: { $0[b0] = ([16, 1], [Float](repeating: 0.1, count: 16)) }) else {
            Issue.record("B of rank 1 accepted"); return
        }
    }

    @Test func shapesThatDoNotFitTheModelOrEachOther() {
        guard case .shapeMismatch(_, a0, [2, 16], [2, 12]) = read(edit: { $0[a0] = ([2, 12], [Float](repeating: 0.1, count: 24)) }) else {
            Issue.record("A with 12 inputs accepted"); return
        }
        // Without a model, layers must still agree with each other.
        let error = read(model: nil, edit: { $0[b0] = ([12, 2], [Float](repeating: 0.1, count: 24)) })
        guard case .shapeMismatch = error else { Issue.record("inconsistent B accepted: \(String(describing: error))"); return }
        guard case .shapeMismatch = read(edit: { $0[a0] = ([32], [Float](repeating: 0.1, count: 32)) }) else {
            Issue.record("1-D A accepted"); return
        }
    }

    @Test func unknownModulesAndForeignTensorsAreNamed() {
        let cases = [
            "base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight",
            "base_model.model.model.layers.0.mlp.q_proj.lora_A.weight",
            "base_model.model.model.layers.x.self_attn.q_proj.lora_A.weight",
            "base_model.model.model.layers.01.self_attn.q_proj.lora_A.weight",
            "base_model.model.lm_head.lora_A.weight",
            "base_model.model.model.layers.0.self_attn.q_proj.lora_C.weight",
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight.extra",
        ]
        for name in cases {
            let error = read(edit: { $0[name] = ([2, 16], [Float](repeating: 0, count: 32)) })
            guard case .unknownTensor(_, let tensor, _) = error, tensor == name else {
                Issue.record("\(name): \(String(describing: error))"); continue
            }
        }
        let untargeted = "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight"
        guard case .untargetedProjection(_, untargeted, "k_proj") = read(edit: { $0[untargeted] = ([2, 16], [Float](repeating: 0, count: 32)) }) else {
            Issue.record("factor of an untargeted projection accepted"); return
        }
    }

    @Test func layerIndexBeyondTheModel() {
        let name = "base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight"
        let error = read(edit: { $0[name] = ([2, 16], [Float](repeating: 0, count: 32)) })
        guard case .layerOutOfRange(_, name, 2, 2) = error else { Issue.record("\(String(describing: error))"); return }
        // Without a model there is no bound, but the pair must still be complete.
        guard case .missingFactor(_, 2, "q_proj", "lora_B.weight") = read(model: nil, edit: { $0[name] = ([2, 16], [Float](repeating: 0, count: 32)) }) else {
            Issue.record("half a pair accepted"); return
        }
    }

    @Test func missingFactorsAndMissingLayers() {
        guard case .missingFactor(_, 0, "q_proj", "lora_B.weight") = read(edit: { $0[b0] = nil }) else { Issue.record("missing B"); return }
        guard case .missingFactor(_, 0, "q_proj", "lora_A.weight") = read(edit: { $0[a0] = nil }) else { Issue.record("missing A"); return }
        guard case .missingFactor(_, 0, "q_proj", _) = read(edit: { $0[a0] = nil; $0[b0] = nil }) else { Issue.record("missing layer"); return }
        #expect(read(model: nil, edit: { $0[a0] = nil; $0[b0] = nil }) == nil, "without a model a partial layer set is allowed")
    }

    @Test func nonFiniteValuesAreLocated() {
        for bad in [Float.nan, .infinity, -.infinity] {
            guard case .nonFinite(_, b0, 5) = read(edit: { $0[b0]!.values[5] = bad }) else { Issue.record("\(bad) accepted"); continue }
        }
    }

    @Test func doraMagnitudeMustMatchTheConfig() {
        let m0 = "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"
        guard case .unexpectedFactor(_, m0, _) = read(edit: { $0[m0] = ([16], [Float](repeating: 1, count: 16)) }) else {
            Issue.record("magnitude without use_dora accepted"); return
        }
        let dora = String(decoding: LoRAAdapterConfig(rank: 2, alpha: 4, targets: [.q, .down], useDoRA: true).jsonBytes(), as: UTF8.self)
        guard case .missingFactor(_, _, _, let factor) = read(configJSON: dora), factor.contains("magnitude") else {
            Issue.record("DoRA without magnitudes accepted"); return
        }
    }

    @Test func configFieldsOfTheWrongTypeOrUnsupportedFeatures() {
        let base = #""peft_type":"LORA","task_type":"CAUSAL_LM","r":2,"lora_alpha":4,"target_modules":["q_proj","down_proj"]"#
        let invalid: [(String, String)] = [
            ("{" + base.replacingOccurrences(of: #""r":2"#, with: #""r":"2""#) + "}", "r"),
            ("{" + base.replacingOccurrences(of: #""r":2"#, with: #""r":0"#) + "}", "r"),
            ("{" + base.replacingOccurrences(of: #""r":2"#, with: #""r":2.5"#) + "}", "r"),
            ("{" + base.replacingOccurrences(of: #""lora_alpha":4"#, with: #""lora_alpha":true"#) + "}", "lora_alpha"),
            ("{" + base.replacingOccurrences(of: #""peft_type":"LORA","#, with: "") + "}", "peft_type"),
            ("{" + base + #","use_dora":"yes"}"#, "use_dora"),
            ("{" + base + #","lora_dropout":1.5}"#, "lora_dropout"),
            ("{" + base.replacingOccurrences(of: #"["q_proj","down_proj"]"#, with: "[]") + "}", "target_modules"),
            ("{" + base.replacingOccurrences(of: #"["q_proj","down_proj"]"#, with: "[1]") + "}", "target_modules"),
            ("[1]", "(file)"),
            ("{\"r\":", "(file)"),
        ]
        for (json, field) in invalid {
            guard case .invalidConfig(_, let f, _) = read(configJSON: json), f == field else {
                Issue.record("\(json): \(String(describing: read(configJSON: json)))"); continue
            }
        }
        let unsupported: [(String, String)] = [
            ("{" + base.replacingOccurrences(of: "LORA", with: "IA3") + "}", "peft_type"),
            ("{" + base.replacingOccurrences(of: "CAUSAL_LM", with: "SEQ_CLS") + "}", "task_type"),
            ("{" + base.replacingOccurrences(of: #"["q_proj","down_proj"]"#, with: #"".*proj""#) + "}", "target_modules"),
            ("{" + base.replacingOccurrences(of: #"["q_proj","down_proj"]"#, with: #"["q_proj","lm_head"]"#) + "}", "target_modules"),
            ("{" + base + #","rank_pattern":{"q_proj":4}}"#, "rank_pattern"),
            ("{" + base + #","modules_to_save":["lm_head"]}"#, "modules_to_save"),
            ("{" + base + #","bias":"all"}"#, "bias"),
            ("{" + base + #","fan_in_fan_out":true}"#, "fan_in_fan_out"),
            ("{" + base + #","layers_to_transform":[0]}"#, "layers_to_transform"),
        ]
        for (json, field) in unsupported {
            guard case .unsupportedConfig(_, let f, _) = read(configJSON: json), f == field else {
                Issue.record("\(json): \(String(describing: read(configJSON: json)))"); continue
            }
        }
        // PEFT's many other fields, and neutral values of the refused ones, are fine.
        #expect(read(configJSON: "{" + base + #","rank_pattern":{},"bias":"none","megatron_core":"megatron.core","peft_version":"0.21.2"}"#) == nil)
    }

    @Test func provenanceMustBeCompleteAndWellFormed() {
        var metadata = provenanceExample.metadata
        #expect(read(metadata: metadata) == nil)
        metadata["swarmtune.seed"] = "-1"
        guard case .invalidProvenance(_, "swarmtune.seed", _) = read(metadata: metadata) else { Issue.record("bad seed"); return }
        metadata = provenanceExample.metadata
        metadata["swarmtune.core_sha256"] = "ABC"
        guard case .invalidProvenance(_, "swarmtune.core_sha256", _) = read(metadata: metadata) else { Issue.record("bad hash"); return }
        metadata = provenanceExample.metadata
        metadata["swarmtune.version"] = nil
        guard case .invalidProvenance(_, "swarmtune.version", _) = read(metadata: metadata) else { Issue.record("missing version"); return }
        #expect(read(metadata: ["format": "pt", "other.tool": "x"]) == nil, "foreign metadata is not provenance")
    }

    @Test func errorsReadAsActionableSentences() {
        let e = LoRAAdapterError.layerOutOfRange(path: "/a/adapter_model.safetensors", tensor: "t", layer: 30, layerCount: 30)
        #expect(e.description == "/a/adapter_model.safetensors: tensor 't' is for layer 30 but the model has 30 layers (0...29)")
    }
}
