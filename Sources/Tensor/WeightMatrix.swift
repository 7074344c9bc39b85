import CKernels
import Quant

/// A frozen weight matrix read in place from its quantized bytes: `rows` outputs of `columns`
/// inputs, row r at `base + r * rowBytes`. The owner keeps the bytes (a mapped file) alive.
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    public let base: UnsafeRawPointer
    let owner: AnyObject

    public init(type: GGMLType, rows: Int, columns: Int, base: UnsafeRawPointer, owner: AnyObject) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = type.byteCount(elements: columns) ?? 0
        self.base = base
        self.owner = owner
    }

    /// True when the fused kernels read this type directly.
    public static func isFused(_ type: GGMLType) -> Bool { st_type_supported(Int32(type.rawValue)) != 0 }

    /// Y[i, :] = W · X[i, :] for i in 0..<m (Y = X Wᵀ), multithreaded over output rows.
    public func multiply(_ x: UnsafePointer<Float>, ldx: Int, m: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                         pool: ComputePool) {
        st_qgemm_mt(pool.raw, pool.isa, Int32(type.rawValue), base, rowBytes, Int64(rows), Int64(columns),
                    x, Int64(ldx), Int64(m), y, Int64(ldy))
    }

    /// Dequantizes row `r` into `dst` (`columns` floats).
    public func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>, isa: Int32) {
        st_dequant_rows(isa, Int32(type.rawValue), base, rowBytes, Int64(columns), Int64(r), Int64(r + 1), dst)
    }
}
