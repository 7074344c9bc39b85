import SwarmBase
import Tensor

/// The projections a LoRA adapter can attach to.
public enum LoRATarget: String, CaseIterable, Sendable, Comparable {
    case q, k, v, o, gate, up, down

    /// PEFT's module name for LlamaForCausalLM.
    public var peftModule: String {
        switch self {
        case .q: "self_attn.q_proj"
        case .k: "self_attn.k_proj"
        case .v: "self_attn.v_proj"
        case .o: "self_attn.o_proj"
        case .gate: "mlp.gate_proj"
        case .up: "mlp.up_proj"
        case .down: "mlp.down_proj"
        }
    }

    /// PEFT's target_modules entry.
    public var peftName: String { String(peftModule.split(separator: ".").last!) }

    public init?(peftName: String) {
        guard let t = LoRATarget.allCases.first(where: { $0.peftName == peftName || $0.rawValue == peftName }) else { return nil }
        self = t
    }

    public static func < (a: LoRATarget, b: LoRATarget) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// (outputs, inputs) of this projection in a model.
    public func shape(_ c: LlamaConfig) -> (out: Int, in: Int) {
        switch self {
        case .q, .o: (c.dim, c.dim)
        case .k, .v: (c.kvDim, c.dim)
        case .gate, .up: (c.hiddenDim, c.dim)
        case .down: (c.dim, c.hiddenDim)
        }
    }
}

/// LoRA hyper-parameters, with PEFT's meaning.
public struct LoRAConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    public var targets: [LoRATarget]
    public var dropout: Float
    /// rsLoRA: scale alpha/sqrt(r) instead of alpha/r.
    public var rsLoRA: Bool
    /// DoRA (weight-decomposed LoRA, PEFT's use_dora): y = m/‖W + s·BA‖ ⊙ (x·(W + s·BA)ᵀ) with a
    /// trained magnitude m per output row and the row norm treated as a constant in the backward
    /// pass (the DoRA paper, section 4.3).
    public var dora: Bool

    public init(rank: Int = 8, alpha: Float = 16, targets: [LoRATarget] = [.q, .k, .v, .o], dropout: Float = 0,
                rsLoRA: Bool = false, dora: Bool = false) {
        self.dora = dora
        self.rank = rank
        self.alpha = alpha
        self.targets = Array(Set(targets)).sorted()
        self.dropout = dropout
        self.rsLoRA = rsLoRA
    }

    public var scale: Float { rsLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }
}

/// All LoRA factors of a model in one flat buffer, so the optimizer, the gossip exchange and the
/// averaging treat them as one vector.
///
/// Per (layer, target): A is [rank × in] (as PEFT stores lora_A) and Bt is [rank × out], the
/// transpose of PEFT's lora_B, which keeps every product on the contiguous side. Rows of Bt for
/// q and k follow the core's GGUF row order; `Adapters` conversion permutes them to PEFT's order.
public final class LoRAParameters: @unchecked Sendable {
    public struct Slot: Sendable, Equatable {
        public let layer: Int
        public let target: LoRATarget
        public let inputs: Int
        public let outputs: Int
        public let aOffset: Int
        public let btOffset: Int
        /// DoRA magnitude [out] (nil without DoRA).
        public let magnitudeOffset: Int?
    }

    public let config: LoRAConfig
    public let model: LlamaConfig
    public let slots: [Slot]
    public let values: FloatBuffer
    private let index: [Int: Int]

    public var count: Int { values.count }

    public init(config: LoRAConfig, model: LlamaConfig) {
        self.config = config
        self.model = model
        var slots: [Slot] = []
        var offset = 0
        var index: [Int: Int] = [:]
        for l in 0..<model.layers {
            for t in config.targets {
                let (out, inp) = t.shape(model)
                index[l * 16 + LoRATarget.allCases.firstIndex(of: t)!] = slots.count
                slots.append(Slot(layer: l, target: t, inputs: inp, outputs: out, aOffset: offset,
                                  btOffset: offset + config.rank * inp,
                                  magnitudeOffset: config.dora ? offset + config.rank * (inp + out) : nil))
                offset += config.rank * (inp + out) + (config.dora ? out : 0)
            }
        }
        self.slots = slots
        self.index = index
        values = FloatBuffer(scratch: offset)  // the adapter itself: rank × the core's matrix sizes
    }

    /// A copy with the same layout and values.
    public func copy() -> LoRAParameters {
        let c = LoRAParameters(config: config, model: model)
        c.values.pointer.update(from: values.pointer, count: count)
        return c
    }

    public func slot(layer: Int, target: LoRATarget) -> Slot? {
        index[layer * 16 + LoRATarget.allCases.firstIndex(of: target)!].map { slots[$0] }
    }

    public func a(_ s: Slot) -> UnsafeMutablePointer<Float> { values.pointer + s.aOffset }
    public func magnitude(_ s: Slot) -> UnsafeMutablePointer<Float>? { s.magnitudeOffset.map { values.pointer + $0 } }
    public func bt(_ s: Slot) -> UnsafeMutablePointer<Float> { values.pointer + s.btOffset }

    /// PEFT's initialisation: A ~ U(-1/√in, 1/√in) (Kaiming-uniform with a = √5), B = 0,
    /// drawn from `seed` so every node of a swarm starts from the same A; with DoRA the magnitude
    /// starts at the base rows' norms (pass the model), so the adapted model starts equal to the core.
    public func initialize(seed: UInt64, model: LlamaModel? = nil) {
        defer {
            if config.dora, let model {
                for s in slots { DoRA.rowNorms(model.matrix(s.target, layer: s.layer), into: magnitude(s)!) }
            }
        }
        var rng = SeededRandom(seed: seed)
        values.zero()
        for s in slots {
            let bound = 1 / Float(s.inputs).squareRoot()
            let a = self.a(s)
            for i in 0..<(config.rank * s.inputs) { a[i] = (rng.nextFloat() * 2 - 1) * bound }
        }
    }
}

extension LlamaModel {
    /// The frozen matrix a LoRA target adapts.
    public func matrix(_ t: LoRATarget, layer: Int) -> WeightMatrix {
        let l = layers[layer]
        switch t {
        case .q: return l.q
        case .k: return l.k
        case .v: return l.v
        case .o: return l.o
        case .gate: return l.gate
        case .up: return l.up
        case .down: return l.down
        }
    }
}

/// DoRA's row norms ‖W_o + s·(BA)_o‖, computed without forming W + s·BA:
/// ‖W_o‖² + 2s·Σ_k B_ok⟨W_o, A_k⟩ + s²·B_o (AAᵀ) B_oᵀ, with W read quantized.
public enum DoRA {
    /// ‖W_o‖ for every row o.
    public static func rowNorms(_ w: WeightMatrix, into out: UnsafeMutablePointer<Float>) {
        let sq = rowSquaredNorms(w)
        for o in 0..<w.rows { out[o] = Float(sq[o].squareRoot()) }
    }

    public static func rowSquaredNorms(_ w: WeightMatrix) -> [Double] {
        let chunk = 64
        let buf = FloatBuffer(scratch: chunk * w.columns)
        var out = [Double](repeating: 0, count: w.rows)
        var r = 0
        while r < w.rows {
            let n = min(chunk, w.rows - r)
            w.dequantizeRows(r..<(r + n), into: buf.pointer, isa: Kernels.detectedISA)
            for i in 0..<n {
                var s = 0.0
                let row = buf.pointer + i * w.columns
                for k in 0..<w.columns { s += Double(row[k]) * Double(row[k]) }
                out[r + i] = s
            }
            r += n
        }
        return out
    }

    /// ‖W_o + s·(BA)_o‖ for every output row, given ‖W_o‖² (`baseSquared`).
    public static func norms(_ w: WeightMatrix, baseSquared: [Double], lora p: LoRAParameters, slot s: LoRAParameters.Slot,
                             pool: ComputePool, into out: UnsafeMutablePointer<Float>) {
        let r = p.config.rank, scale = Double(p.config.scale)
        // Gᵀ [r × out] = A·Wᵀ
        let gt = FloatBuffer(scratch: r * s.outputs)
        w.multiply(p.a(s), ldx: s.inputs, m: r, into: gt.pointer, ldy: s.outputs, pool: pool)
        var aat = [Double](repeating: 0, count: r * r)
        for k in 0..<r {
            for l in 0..<r {
                aat[k * r + l] = Double(Kernels.dot(p.a(s) + k * s.inputs, p.a(s) + l * s.inputs, s.inputs, isa: pool.isa))
            }
        }
        let bt = p.bt(s)
        for o in 0..<s.outputs {
            var cross = 0.0, quad = 0.0
            for k in 0..<r {
                let bk = Double(bt[k * s.outputs + o])
                cross += bk * Double(gt[k * s.outputs + o])
                for l in 0..<r { quad += bk * Double(bt[l * s.outputs + o]) * aat[k * r + l] }
            }
            out[o] = Float(max(0, baseSquared[o] + 2 * scale * cross + scale * scale * quad).squareRoot())
        }
    }
}
