import LM
import Tensor

/// Options several commands declare the same way.
extension Option where Value == Int {
    /// `--threads N`: worker threads of the compute pool.
    static var threads: Option<Int> {
        .integer("--threads", help: "worker threads; one per core when not given", range: 1...256)
    }
}

extension Option where Value == [LoRATarget] {
    /// `--targets q,k,v,o|all`: the projections a LoRA adapter adapts.
    static func loraTargets(help: String) -> Option {
        .custom("--targets", "LIST", help: help + ": a comma-separated list of q, k, v, o, gate, up, down, or all",
                default: [.q, .k, .v, .o], defaultText: "q,k,v,o") { text in
            if text == "all" { return .success(LoRATarget.allCases) }
            var out: [LoRATarget] = []
            for part in text.split(separator: ",") {
                guard let t = LoRATarget(peftName: String(part)) else {
                    return .failure(ValueProblem("names an unknown LoRA target '\(part)' (q, k, v, o, gate, up, down, or all)"))
                }
                out.append(t)
            }
            guard !out.isEmpty else { return .failure(ValueProblem("is empty")) }
            return .success(out)
        }
    }
}

/// `--precision auto|fp32|bf16`: the arithmetic of the frozen-core matmuls; auto (the default)
/// measures which is faster on this CPU (`Precision.fastest`).
enum PrecisionChoice: String, CaseIterable, Sendable {
    case auto, fp32, bf16

    /// The precision to run and a line saying why (printed by the command).
    func resolve() -> (precision: Precision, note: String) {
        switch self {
        case .fp32: return (.fp32, "precision fp32 (asked for)")
        case .bf16:
            return Precision.bf16Available ? (.bf16, "precision bf16 (asked for)")
                : (.fp32, "precision fp32: bf16 was asked for, but this CPU has no AVX512_BF16")
        case .auto:
            let (p, reason) = Precision.fastest()
            return (p, "precision \(p.rawValue) (auto: \(reason))")
        }
    }
}

extension Option where Value == PrecisionChoice {
    /// `--precision auto|fp32|bf16`.
    static var precision: Option<PrecisionChoice> {
        .choice("--precision", of: PrecisionChoice.self,
                help: "arithmetic of the frozen-core matmuls: fp32, bf16 (AVX512_BF16 products, fp32 sums), or auto: bf16 where this CPU runs it clearly faster than fp32 (measured at start), else fp32",
                default: .auto)
    }
}
