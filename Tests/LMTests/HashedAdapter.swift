@testable import LM
import TestSupport

/// The adapter values the reference scripts give PEFT (scripts/reference/lora_fixtures.py,
/// arch_fixtures.py): splitmix64 of a per-tensor counter, in Hugging Face row order. Filling
/// engine parameters with them maps q/k rows into the core's order as the architecture needs.
enum HashedAdapter {
    static func value(layer: Int, module: Int, which: Int, index: Int, bound: Float) -> Float {
        let z = ReferenceCore.splitmix64(UInt64(((layer * 8 + module) * 2 + which) << 32) &+ UInt64(index))
        let u = Double(z >> 40) / Double(1 << 24)
        return Float((u * 2 - 1) * Double(bound))
    }

    /// A = value(which 0, bound 1/√inputs) and B = value(which 1, `bBound`) for every slot; the
    /// module index is the target's position in `LoRATarget.allCases` (PEFT's module list).
    static func fill(_ lora: LoRAParameters, bBound: Float) {
        let r = lora.config.rank
        for s in lora.slots {
            let m = LoRATarget.allCases.firstIndex(of: s.target)!
            let a = lora.a(s), bt = lora.bt(s)
            for i in 0..<(r * s.inputs) {
                a[i] = value(layer: s.layer, module: m, which: 0, index: i, bound: 1 / Float(s.inputs).squareRoot())
            }
            for row in 0..<s.outputs {
                let hf = RowOrder.hfRow(row, of: s.target, in: lora.model)
                for k in 0..<r { bt[k * s.outputs + row] = value(layer: s.layer, module: m, which: 1, index: hf * r + k, bound: bBound) }
            }
        }
    }

    /// The largest relative difference between the session's gradient norms and `reference`
    /// (keys "layer.peft_name.A|B|M"), with the tensor it was found on.
    static func worstGradientNorm(_ session: TrainingSession, _ lora: LoRAParameters,
                                  reference: [String: Double]) -> (Double, String) {
        let r = lora.config.rank
        var worst = 0.0, worstName = ""
        for s in lora.slots {
            let name = "\(s.layer).\(s.target.peftName)"
            var parts = [("A", s.aOffset, r * s.inputs), ("B", s.btOffset, r * s.outputs)]
            if let mo = s.magnitudeOffset { parts.append(("M", mo, s.outputs)) }
            for (which, offset, count) in parts {
                var sq = 0.0
                for i in 0..<count { sq += Double(session.gradients[offset + i]) * Double(session.gradients[offset + i]) }
                let ref = reference["\(name).\(which)"]!
                let rel = abs(sq.squareRoot() - ref) / max(ref, 1e-12)
                if rel > worst { worst = rel; worstName = "\(name).\(which)" }
            }
        }
        return (worst, worstName)
    }
}
