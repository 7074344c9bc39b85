import Foundation
import Testing
@testable import Adapters

/// Writes Swift-made adapters for the tiny fixture model into $SWARMTUNE_PEFT_EXPORT so that
/// scripts/reference/peft_verify.py can load them with `PeftModel.from_pretrained`. Skipped
/// unless the variable is set (the test suite needs no Python).
@Suite struct PEFTExportTests {
    static let exportDirectory = ProcessInfo.processInfo.environment["SWARMTUNE_PEFT_EXPORT"]

    @Test(.enabled(if: exportDirectory != nil)) func exportAdaptersForPEFT() throws {
        let root = try #require(Self.exportDirectory)
        let cases: [(String, LoRAAdapterConfig, SafetensorsDType)] = [
            ("swift_lora_f32", LoRAAdapterConfig(rank: 2, alpha: 4, targets: LoRAProjection.allCases), .f32),
            ("swift_dora_bf16", LoRAAdapterConfig(rank: 3, alpha: 6, targets: [.q, .k, .v, .o], useRSLoRA: true, useDoRA: true), .bf16),
            ("swift_lora_f16", LoRAAdapterConfig(rank: 2, alpha: 3, targets: [.gate, .down]), .f16),
        ]
        for (name, config, dtype) in cases {
            let adapter = randomAdapter(config, seed: 5, provenance: provenanceExample)
            try adapter.write(to: root + "/" + name, dtype: dtype, replacingExisting: true)
            #expect(try LoRAAdapter.read(directory: root + "/" + name, model: tinyModel).config == config)
        }
    }
}
