import Tensor

/// DoRA: y = (m / n) ⊙ z per output o, with z = x·Wᵀ + s·x·Aᵀ·Bᵀ and n_o = ‖W_o + s(BA)_o‖ held
/// constant through the backward pass (the DoRA paper, section 4.3).
extension TrainingSession {
    /// This step's row norms n_o for every slot (the parameters changed since the last step).
    func refreshDoRARowNorms() {
        for (i, s) in lora.slots.enumerated() {
            DoRA.norms(model.matrix(s.target, layer: s.layer), baseSquared: doraBaseSquaredNorms[i]!, lora: lora, slot: s,
                       pool: pool, into: doraRowNorms[i]!.pointer)
        }
    }

    /// The slot's index in `lora.slots` (the key of the DoRA norm tables).
    func slotIndex(_ s: LoRAParameters.Slot) -> Int {
        s.layer * lora.config.targets.count + lora.config.targets.firstIndex(of: s.target)!
    }

    /// Saves the projection's output z in doraUnscaled and scales it in place by m / n (no-op
    /// without DoRA).
    func applyDoRAMagnitude(_ slot: LoRAParameters.Slot, layer: Int, target: LoRATarget,
                            out: UnsafeMutablePointer<Float>, outputs: Int) {
        guard let magnitude = lora.magnitude(slot), let unscaled = activations[layer].doraUnscaled[target],
              let norm = doraRowNorms[slotIndex(slot)] else { return }
        unscaled.pointer.update(from: out, count: tokens * outputs)
        let np = norm.pointer, rows = tokens
        pool.parallelFor(rows) { range in
            for t in range { for o in 0..<outputs { out[t * outputs + o] *= magnitude[o] / np[o] } }
        }
    }

    /// From dy = d(loss)/d(out): adds dm_o = Σ_t dy·z / n_o to the magnitude's gradient and returns
    /// dz = dy ⊙ m/n (in dDoraUnscaled), or dy itself when this projection has no DoRA.
    func doraBackward(layer: Int, target: LoRATarget, dOut: UnsafeMutablePointer<Float>,
                      outputs: Int) -> UnsafeMutablePointer<Float> {
        guard let slot = lora.slot(layer: layer, target: target), let magnitude = lora.magnitude(slot),
              let unscaled = activations[layer].doraUnscaled[target], let norm = doraRowNorms[slotIndex(slot)] else { return dOut }
        let n = tokens
        let gm = gradients.pointer + slot.magnitudeOffset!, np = norm.pointer, zp = unscaled.pointer
        let dz = dDoraUnscaled.pointer, dy = dOut
        for o in 0..<outputs {
            var s: Float = 0
            for t in 0..<n { s += dy[t * outputs + o] * zp[t * outputs + o] }
            gm[o] += s / np[o]
        }
        pool.parallelFor(n) { range in
            for t in range { for o in 0..<outputs { dz[t * outputs + o] = dy[t * outputs + o] * magnitude[o] / np[o] } }
        }
        return dDoraUnscaled.pointer
    }
}
