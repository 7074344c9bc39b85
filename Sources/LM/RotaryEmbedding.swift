import Foundation
import Tensor

/// Rotary position embedding as a model applies it to Q and K: the cos/sin table for positions
/// 0..<positions and the pairing of each head's rows (`ModelArchitecture.RotaryPairing`).
///
/// The angle of pair i at position p is p · base^(-2i/headDim) / factor_i, where the factors are
/// Llama 3's `rope_freqs.weight` (all 1 without it), as ggml's `rope_ext` takes them.
struct RotaryEmbedding {
    let pairing: ModelArchitecture.RotaryPairing
    let headDim: Int
    let positions: Int
    private let cos, sin: FloatBuffer  // [positions][headDim/2]

    init(config c: LlamaConfig, frequencyFactors: [Float]?, positions: Int) throws(AllocationError) {
        pairing = c.architecture.rotaryPairing
        headDim = c.headDim
        self.positions = positions
        let half = c.headDim / 2
        precondition(frequencyFactors == nil || frequencyFactors!.count == half, "the model checks rope_freqs' length")
        cos = try FloatBuffer(count: positions * half)
        sin = try FloatBuffer(count: positions * half)
        for i in 0..<half {
            let frequency = pow(Double(c.ropeBase), -2.0 * Double(i) / Double(c.headDim)) / Double(frequencyFactors?[i] ?? 1)
            for p in 0..<positions {
                let angle = Double(p) * frequency
                cos[p * half + i] = Float(Foundation.cos(angle))
                sin[p * half + i] = Float(Foundation.sin(angle))
            }
        }
    }

    /// Rotates every head of one row (`heads` × headDim values) by the angles of `position`;
    /// `inverse` rotates back (the transpose, for gradients).
    func rotate(_ row: UnsafeMutablePointer<Float>, heads: Int, position p: Int, inverse: Bool = false) {
        assert(p >= 0 && p < positions, "position \(p) outside the table of \(positions)")
        let half = headDim / 2
        let cs = cos.pointer + p * half, sn = sin.pointer + p * half
        let sign: Float = inverse ? -1 : 1
        // Pair i is rows (2i, 2i+1) or (i, i + half) of each head.
        let (stride, offset) = pairing == .adjacent ? (2, 1) : (1, half)
        for h in 0..<heads {
            let v = row + h * headDim
            for i in 0..<half {
                let j = i * stride, a = v[j], b = v[j + offset], s = sign * sn[i]
                v[j] = a * cs[i] - b * s
                v[j + offset] = a * s + b * cs[i]
            }
        }
    }
}
