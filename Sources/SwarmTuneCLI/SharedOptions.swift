import LM

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
