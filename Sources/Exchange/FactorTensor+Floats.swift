import Gossip
import Quant

extension FactorTensor {
    /// A tensor of `floats` stored as `dtype`: f32 as is, bf16 and f16 rounded to nearest, ties to
    /// even (`Quant.BF16`, `Quant.FP16`; NaN stays NaN, values beyond the format's range become ±∞,
    /// which the receiver's acceptance check refuses).
    public init(name: String, shape: [Int], floats: [Float], dtype: TensorDType) throws(FactorsError) {
        guard dtype != .f32 else {
            try self.init(name: name, shape: shape, floats: floats)
            return
        }
        var bytes = [UInt8](repeating: 0, count: floats.count * 2)
        for (k, x) in floats.enumerated() {
            let bits = dtype == .bf16 ? BF16.encode(x) : FP16.encode(x)
            bytes[2 * k] = UInt8(truncatingIfNeeded: bits)
            bytes[2 * k + 1] = UInt8(truncatingIfNeeded: bits >> 8)
        }
        try self.init(name: name, dtype: dtype, shape: shape, data: bytes)
    }

    /// The elements widened to Float, whatever the dtype (bf16 and f16 widen exactly).
    public var decodedFloats: [Float] {
        if let floats { return floats }
        var out = [Float](repeating: 0, count: data.count / 2)
        for k in out.indices {
            let bits = UInt16(data[2 * k]) | UInt16(data[2 * k + 1]) << 8
            out[k] = dtype == .bf16 ? BF16.decode(bits) : FP16.decode(bits)
        }
        return out
    }
}
