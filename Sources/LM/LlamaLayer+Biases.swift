extension LlamaLayer {
    /// Adds the Q, K and V biases (when the layer has them: Qwen2) to `rows` rows of each
    /// projection's output, before the rotation: y = x·Wᵀ (+ the adapter's term) + b, as
    /// transformers and PEFT compute it (DoRA scales the projection, not the bias).
    func addAttentionBiases(q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                            v: UnsafeMutablePointer<Float>, rows: Int) {
        for (bias, y) in [(qBias, q), (kBias, k), (vBias, v)] {
            guard let bias else { continue }
            let n = bias.count
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows { for i in 0..<n { y[r * n + i] += b[i] } }
            }
        }
    }
}
