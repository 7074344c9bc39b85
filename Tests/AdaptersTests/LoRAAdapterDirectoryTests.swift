import Foundation
import Testing
@testable import Adapters

@Suite struct LoRAAdapterDirectoryTests {
    let allSeven = LoRAAdapterConfig(rank: 4, alpha: 8, dropout: 0.1, targets: LoRAProjection.allCases,
                                     baseModelNameOrPath: "HuggingFaceTB/SmolLM2-135M-Instruct")

    @Test func roundTripKeepsConfigFactorsAndProvenance() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        for config in [allSeven, LoRAAdapterConfig(rank: 3, alpha: 2.5, targets: [.o, .up], useRSLoRA: true, useDoRA: true)] {
            let adapter = randomAdapter(config, provenance: provenanceExample)
            try adapter.write(to: dir + "/a")
            #expect(try LoRAAdapter.read(directory: dir + "/a", model: tinyModel) == adapter)
            #expect(try LoRAAdapter.read(directory: dir + "/a") == adapter)
            removeTree(dir + "/a")
        }
    }

    @Test func realModelShapesForSmolLM2() throws {
        let shape = LoRAModelShape.smolLM2_135M
        #expect(shape.features(.q) == (576, 576))
        #expect(shape.features(.k) == (576, 192) && shape.features(.v) == (576, 192))
        #expect(shape.features(.o) == (576, 576))
        #expect(shape.features(.gate) == (576, 1536) && shape.features(.up) == (576, 1536))
        #expect(shape.features(.down) == (1536, 576))
        let adapter = LoRAAdapter.zeros(config: LoRAAdapterConfig(rank: 8, alpha: 16, targets: [.q, .k, .v, .o]), model: shape)
        #expect(adapter.factors.count == 120)
        try adapter.validate(against: shape)
    }

    @Test func halfPrecisionFilesReadBackWithinRounding() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let adapter = randomAdapter(LoRAAdapterConfig(rank: 2, alpha: 4, targets: [.q, .down], useDoRA: true))
        for dtype in [SafetensorsDType.f16, .bf16] {
            try adapter.write(to: dir + "/h", dtype: dtype, replacingExisting: true)
            let file = try SafetensorsFile.read(path: dir + "/h/adapter_model.safetensors")
            #expect(file.tensors.allSatisfy { $0.dtype == dtype })
            let back = try LoRAAdapter.read(directory: dir + "/h", model: tinyModel)
            let tolerance: Float = dtype == .bf16 ? 1.0 / 128 : 1.0 / 1024
            for slot in adapter.slots {
                let (x, y) = (adapter.factors[slot]!, back.factors[slot]!)
                for (u, v) in zip(x.a + x.b + x.magnitude!, y.a + y.b + y.magnitude!) {
                    #expect(abs(u - v) <= tolerance * max(abs(u), 1e-2))
                }
            }
        }
    }

    @Test func configIsWhatPEFTNeedsAndTheSafetensorsCarryFormatPT() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        try randomAdapter(allSeven, provenance: provenanceExample).write(to: dir + "/a")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/a/adapter_config.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["peft_type"] as? String == "LORA" && json["task_type"] as? String == "CAUSAL_LM")
        #expect(json["r"] as? Int == 4 && json["lora_alpha"] as? Int == 8 && json["bias"] as? String == "none")
        #expect(json["target_modules"] as? [String] == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        #expect(json["base_model_name_or_path"] as? String == "HuggingFaceTB/SmolLM2-135M-Instruct")
        let file = try SafetensorsFile.read(path: dir + "/a/adapter_model.safetensors")
        #expect(file.metadata["format"] == "pt")
        #expect(file.metadata["swarmtune.core_sha256"] == provenanceExample.coreHash)
        #expect(file.metadata["swarmtune.seed"] == "42" && file.metadata["swarmtune.node"] == "node-3")
        #expect(listDirectory(dir + "/a") == ["adapter_config.json", "adapter_model.safetensors"])
    }

    @Test func existingDestinationIsReplacedOnlyWhenAskedAndOnlyIfItIsAnAdapter() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let first = randomAdapter(allSeven, seed: 1), second = randomAdapter(allSeven, seed: 2)
        try first.write(to: dir + "/a")
        #expect(throws: LoRAAdapterError.self) { try second.write(to: dir + "/a") }
        #expect(try LoRAAdapter.read(directory: dir + "/a") == first)
        _ = FileManager.default.createFile(atPath: dir + "/a/README.md", contents: Data("peft readme".utf8))
        try second.write(to: dir + "/a", replacingExisting: true)
        #expect(try LoRAAdapter.read(directory: dir + "/a") == second)
        #expect(listDirectory(dir) == ["a"])

        try FileManager.default.createDirectory(atPath: dir + "/home", withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: dir + "/home/thesis.tex", contents: Data("precious".utf8))
        #expect(throws: LoRAAdapterError.self) { try second.write(to: dir + "/home", replacingExisting: true) }
        #expect(listDirectory(dir + "/home") == ["thesis.tex"])
        _ = FileManager.default.createFile(atPath: dir + "/file", contents: Data())
        #expect(throws: LoRAAdapterError.self) { try second.write(to: dir + "/file", replacingExisting: true) }
    }

    @Test func anInvalidAdapterLeavesNothingBehind() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        var bad = randomAdapter(allSeven)
        bad.factors[LoRASlot(layer: 1, projection: .v)]!.b[3] = .nan
        #expect(throws: LoRAAdapterError.self) { try bad.write(to: dir + "/a") }
        #expect(listDirectory(dir).isEmpty)
        #expect(throws: LoRAAdapterError.self) { try randomAdapter(allSeven).write(to: dir + "/missing/a") }
        #expect(listDirectory(dir).isEmpty)
    }

    @Test func missingDirectoryAndFilesAreNamed() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        #expect(throws: LoRAAdapterError.notADirectory(path: dir + "/none")) { try LoRAAdapter.read(directory: dir + "/none") }
        try randomAdapter(allSeven).write(to: dir + "/a")
        try FileManager.default.removeItem(atPath: dir + "/a/adapter_model.safetensors")
        _ = FileManager.default.createFile(atPath: dir + "/a/adapter_model.bin", contents: Data())
        #expect {
            try LoRAAdapter.read(directory: dir + "/a")
        } throws: { error in
            guard case .missingFile(_, "adapter_model.safetensors", let hint) = error as? LoRAAdapterError else { return false }
            return hint.contains("safe_serialization")
        }
        try FileManager.default.removeItem(atPath: dir + "/a/adapter_config.json")
        #expect(throws: LoRAAdapterError.missingFile(directory: dir + "/a", name: "adapter_config.json", hint: "is this a PEFT adapter directory?")) {
            try LoRAAdapter.read(directory: dir + "/a")
        }
    }
}
