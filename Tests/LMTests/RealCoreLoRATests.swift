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

    /// The counter-based values the reference script uses (splitmix64 of a per-tensor counter).
    static func hashed(layer: Int, module: Int, which: Int, index: Int, bound: Float) -> Float {
        var x = UInt64(((layer * 8 + module) * 2 + which) << 32) &+ UInt64(index)
        x = x &+ 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z = z ^ (z >> 31)
        let u = Double(z >> 40) / Double(1 << 24)
        return Float((u * 2 - 1) * Double(bound))
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
        let r = g.meta.rank, hd = model.config.headDim
        for s in lora.slots {
            let m = LoRATarget.allCases.firstIndex(of: s.target)!
            let a = lora.a(s), bt = lora.bt(s)
            for i in 0..<(r * s.inputs) {
                a[i] = Self.hashed(layer: s.layer, module: m, which: 0, index: i, bound: 1 / Float(s.inputs).squareRoot())
            }
            for row in 0..<s.outputs {  // our row order (GGUF) <- PEFT's
                let hf = RowOrder.isPermuted(s.target) ? RowOrder.hfRow(forGGUFRow: row, headDim: hd) : row
                for k in 0..<r {
                    bt[k * s.outputs + row] = Self.hashed(layer: s.layer, module: m, which: 1, index: hf * r + k, bound: g.meta.bBound)
                }
            }
        }
        let batch = g.ids.count, seq = g.ids[0].count
        let session = try TrainingSession(model: model, lora: lora, batch: batch, seqLen: seq, pool: ComputePool())
        let labelled = g.labels.reduce(0) { $0 + $1.dropFirst().filter { $0 != -100 }.count }
        let loss = try session.accumulateGradients(ids: g.ids.flatMap { $0 }, labels: g.labels.flatMap { $0 },
                                                   lossScale: 1 / Float(labelled))
        let relLoss = abs(loss.mean - g.loss) / g.loss
        print("\(fixture): loss swarmtune \(loss.mean), PEFT \(g.loss), relative difference \(relLoss)")
        #expect(relLoss < 1e-4)
        var worst = 0.0, worstName = ""
        for s in lora.slots {
            let name = "\(s.layer).\(s.target.peftName)"
            var parts = [("A", s.aOffset, r * s.inputs), ("B", s.btOffset, r * s.outputs)]
            if let mo = s.magnitudeOffset { parts.append(("M", mo, s.outputs)) }
            for (which, offset, count) in parts {
                var sq = 0.0
                for i in 0..<count { sq += Double(session.gradients[offset + i]) * Double(session.gradients[offset + i]) }
                let ref = g.gradNorms["\(name).\(which)"]!
                let rel = abs(sq.squareRoot() - ref) / max(ref, 1e-12)
                if rel > worst { worst = rel; worstName = "\(name).\(which)" }
            }
        }
        print("\(fixture): gradient norms, worst relative difference \(worst) (\(worstName)) over \(lora.slots.count * (dora ? 3 : 2)) tensors")
        #expect(worst < 1e-3)
    }
}
