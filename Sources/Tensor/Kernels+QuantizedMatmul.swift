import CKernels
import Quant

extension Kernels {
    /// Y[m × rows] = X[m × cols] · Wᵀ with W in `type`'s encoding (`rowBytes` per row), threaded
    /// over `pool` with the instruction set `isa` forced, so a benchmark can compare every ISA
    /// variant of the fused quantized matmul on the same inputs.
    public static func quantizedMatmul(pool: ComputePool, isa: Int32, type: GGMLType, weights: UnsafeRawPointer, rowBytes: Int,
                                       rows: Int, cols: Int, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>) {
        st_qgemm_mt(pool.raw, isa, Int32(type.rawValue), weights, rowBytes, Int64(rows), Int64(cols), x, Int64(cols), Int64(m), y, Int64(rows))
    }
}
