import Foundation
import Testing
@testable import LM
import Tensor
import TestSupport

/// Second tier: LoRA loss and gradients on the real core against PyTorch + PEFT
/// (fixtures from scripts/reference/lora_fixtures.py, same adapter values on both sides).
@Suite(.enabled(if: RealCore.isAvailable, "real core not fetched (scripts/fetch-model)"))
struct RealCoreLoRATests {
    struct Golden: Decodable {
        struct Meta: Decodable { let rank: Int; let alpha: Float; let bBound: Float; let modules: [String]; let dora: Bool? }
        let meta: Meta
        let ids: [[Int32]]
        let labels: [[Int32]]
        let loss: Double
        let gradNorms: [String: Double]
    }

    @Test(arguments: ["lora_golden.json", "lora_dora_golden.json"])
    func lossAndGradientNormsMatchPEFT(fixture: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + fixture)
        let g = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        let model = try LlamaModel(path: RealCore.path!)
        let dora = g.meta.dora ?? false
        let lora = LoRAParameters(config: LoRAConfig(rank: g.meta.rank, alpha: g.meta.alpha, targets: LoRATarget.allCases, dora: dora),
                                  model: model.config)
        lora.initialize(seed: 0, model: model)  // DoRA: magnitude = ‖W‖ per row, as PEFT starts it
        HashedAdapter.fill(lora, bBound: g.meta.bBound)
        let batch = g.ids.count, seq = g.ids[0].count
        let session = try TrainingSession(model: model, lora: lora, batch: batch, seqLen: seq, pool: ComputePool())
        let labelled = g.labels.reduce(0) { $0 + $1.dropFirst().filter { $0 != -100 }.count }
        let loss = try session.accumulateGradients(ids: g.ids.flatMap { $0 }, labels: g.labels.flatMap { $0 },
                                                   lossScale: 1 / Float(labelled))
        let relLoss = abs(loss.mean - g.loss) / g.loss
        print("\(fixture): loss swarmtune \(loss.mean), PEFT \(g.loss), relative difference \(relLoss)")
        #expect(relLoss < 1e-4)
        let (worst, worstName) = HashedAdapter.worstGradientNorm(session, lora, reference: g.gradNorms)
        print("\(fixture): gradient norms, worst relative difference \(worst) (\(worstName)) over \(lora.slots.count * (dora ? 3 : 2)) tensors")
        #expect(worst < 1e-3)
    }
}
