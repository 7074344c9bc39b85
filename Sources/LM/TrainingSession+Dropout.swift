import SwarmBase
import Tensor

extension TrainingSession {
    /// The LoRA input after dropout (the input itself when dropout is off). The mask depends only
    /// on (seed, step, layer, target), so the backward pass regenerates it.
    func dropout(_ input: UnsafeMutablePointer<Float>, count: Int, layer: Int, target: LoRATarget,
                 into buffer: FloatBuffer) -> UnsafeMutablePointer<Float> {
        let p = lora.config.dropout
        guard p > 0 else { return input }
        var rng = maskGenerator(layer: layer, target: target)
        let keep = 1 / (1 - p)
        for i in 0..<count { buffer[i] = rng.nextFloat() < p ? 0 : input[i] * keep }
        return buffer.pointer
    }

    /// The generator of one projection's dropout mask this step.
    func maskGenerator(layer: Int, target: LoRATarget) -> SeededRandom {
        SeededRandom(seed: dropoutSeed ^ (UInt64(steps) &* 0x9E37_79B9_7F4A_7C15)
                     ^ UInt64(layer * 16 + LoRATarget.allCases.firstIndex(of: target)!) << 48)
    }
}
