import Foundation
import Testing
@testable import Adapters

/// Adapters saved by PEFT itself (scripts/reference/peft_fixture.py) read back with the names,
/// shapes and values PEFT recorded in expected.json.
@Suite struct PEFTFixtureTests {
    struct Expected {
        let model: LoRAModelShape
        /// adapter name -> tensor name -> (dtype, shape, values)
        let adapters: [String: [String: (dtype: String, shape: [Int], values: [Float])]]
    }

    static func loadExpected() throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturesDirectory + "/expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let m = try #require(root["model"] as? [String: Any])
        let model = LoRAModelShape(
            layerCount: try #require(m["num_hidden_layers"] as? Int), hiddenSize: try #require(m["hidden_size"] as? Int),
            intermediateSize: try #require(m["intermediate_size"] as? Int),
            attentionHeadCount: try #require(m["num_attention_heads"] as? Int), keyValueHeadCount: try #require(m["num_key_value_heads"] as? Int))
        var adapters: [String: [String: (String, [Int], [Float])]] = [:]
        for (name, tensors) in try #require(root["adapters"] as? [String: [String: [String: Any]]]) {
            for (tensor, info) in tensors {
                let values = try #require(info["values"] as? [Double]).map { Float($0) }
                adapters[name, default: [:]][tensor] = (try #require(info["dtype"] as? String), try #require(info["shape"] as? [Int]), values)
            }
        }
        return Expected(model: model, adapters: adapters)
    }

    private func check(_ adapter: LoRAAdapter, against tensors: [String: (dtype: String, shape: [Int], values: [Float])]) {
        var seen = Set<String>()
        for slot in adapter.slots {
            let f = adapter.factors[slot]!
            var parts: [(LoRAFactorKind, [Int], [Float])] = [(.a, f.aShape, f.a), (.b, f.bShape, f.b)]
            if let m = f.magnitude { parts.append((.magnitude, f.magnitudeShape, m)) }
            for (kind, shape, values) in parts {
                let name = LoRATensorName.format(slot, kind)
                seen.insert(name)
                guard let golden = tensors[name] else { Issue.record("unexpected \(name)"); continue }
                #expect(shape == golden.shape, "\(name)")
                #expect(values == golden.values, "\(name)")
            }
        }
        #expect(seen == Set(tensors.keys))
    }

    @Test func readsPEFTsFloat32LoRAAdapter() throws {
        let expected = try Self.loadExpected()
        #expect(expected.model == tinyModel)
        let adapter = try LoRAAdapter.read(directory: fixturesDirectory + "/peft_tiny", model: expected.model)
        #expect(adapter.config == LoRAAdapterConfig(rank: 2, alpha: 4, dropout: 0, targets: [.q, .down]))
        #expect(adapter.config.scale == 2)
        #expect(adapter.slots == [LoRASlot(layer: 0, projection: .q), LoRASlot(layer: 0, projection: .down),
                                  LoRASlot(layer: 1, projection: .q), LoRASlot(layer: 1, projection: .down)])
        #expect(adapter.provenance == nil)
        #expect(adapter.factors.values.allSatisfy { $0.b.contains { $0 != 0 } })
        check(adapter, against: try #require(expected.adapters["peft_tiny"]))
    }

    @Test func readsPEFTsBFloat16DoRAAdapterWithRSLoRA() throws {
        let expected = try Self.loadExpected()
        let adapter = try LoRAAdapter.read(directory: fixturesDirectory + "/peft_tiny_dora", model: expected.model)
        #expect(adapter.config.useDoRA && adapter.config.useRSLoRA)
        #expect(adapter.config.targets == [.k, .v])
        #expect(adapter.config.dropout == 0.05)
        #expect(adapter.config.scale == Float(8 / 2.0.squareRoot()))
        // k_proj and v_proj have 2 key/value heads of 4: 8 outputs.
        #expect(adapter.factors[LoRASlot(layer: 1, projection: .v)]?.bShape == [8, 2])
        let tensors = try #require(expected.adapters["peft_tiny_dora"])
        #expect(tensors.values.allSatisfy { $0.dtype == "bfloat16" })
        check(adapter, against: tensors)
    }

    @Test func rewritingAPEFTAdapterKeepsEveryValue() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        for name in ["peft_tiny", "peft_tiny_dora"] {
            let original = try LoRAAdapter.read(directory: fixturesDirectory + "/" + name, model: tinyModel)
            try original.write(to: dir + "/" + name)
            #expect(try LoRAAdapter.read(directory: dir + "/" + name, model: tinyModel) == original)
        }
    }

    @Test func theFixtureDoesNotMatchAnotherModelShape() throws {
        #expect(throws: LoRAAdapterError.self) {
            try LoRAAdapter.read(directory: fixturesDirectory + "/peft_tiny", model: .smolLM2_135M)
        }
        var oneLayer = tinyModel
        oneLayer.layerCount = 1
        #expect(throws: LoRAAdapterError.layerOutOfRange(
            path: fixturesDirectory + "/peft_tiny/adapter_model.safetensors",
            tensor: "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight", layer: 1, layerCount: 1)) {
            try LoRAAdapter.read(directory: fixturesDirectory + "/peft_tiny", model: oneLayer)
        }
    }
}
