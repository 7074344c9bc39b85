import CKernels
import Quant

/// A frozen weight matrix read in place from its quantized bytes: `rows` outputs of `columns`
/// inputs. The owner keeps the bytes (a mapped file) alive; the matrix is never expanded to fp32
/// as a whole, only panel by panel inside the matmul.
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    /// Bytes per row for block formats; 0 for tensor-level layouts (NF4).
    public let rowBytes: Int
    /// True when the C kernels read this matrix directly (they look its block layout up once per
    /// call from the type id): every ggml block type, and NF4 once `buildKernelLayout` has re-laid
    /// it; other matrices are decoded panel by panel with the Quant module's scalar decoders.
    public private(set) var isFused: Bool
    /// The type id the C kernels take: the ggml id, or ST_TYPE_NF4_BLOCKS for re-laid NF4.
    private(set) var kernelType: Int32
    /// The whole tensor's bytes.
    public let bytes: UnsafeRawBufferPointer
    let owner: AnyObject
    /// fp32 copies of the per-block scales (Q4_1: d and m; Q8_0: d) for the decode kernels.
    public private(set) var scaleTables: ScaleTables?
    /// NF4 re-laid in 32-weight blocks for the kernels (`buildKernelLayout`), nil otherwise.
    private var kernelLayout: KernelLayout?

    public var base: UnsafeRawPointer { bytes.baseAddress! }
    /// What the C kernels read: the tensor's bytes, or its re-laid copy.
    var kernelBase: UnsafeRawPointer { kernelLayout.map { UnsafeRawPointer($0.bytes.baseAddress!) } ?? base }
    var kernelRowBytes: Int { kernelLayout?.rowBytes ?? rowBytes }

    public init(type: GGMLType, rows: Int, columns: Int, bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = type.isTensorLevelLayout ? 0 : (type.byteCount(elements: columns) ?? 0)
        self.bytes = bytes
        self.owner = owner
        kernelType = Int32(type.rawValue)
        isFused = st_type_supported(kernelType) != 0
        assert(!isFused || st_row_bytes(kernelType, Int64(columns)) == rowBytes,
               "the C block layout of \(type) disagrees with GGMLType.typeSize")
    }

    /// Re-lays an NF4 matrix whose rows are whole 32-weight blocks as rows of `block_nf4b` (20
    /// bytes per 32 weights: each block's absmax decoded once, the codes in the nibble order of
    /// Q4_0), so that every C kernel reads it: decode, the batched products and their bf16
    /// versions. NF4's own layout keeps the absmax values in double-quantized groups that span
    /// rows, which no row-wise kernel can read. The weights decode bit for bit as before. Other
    /// types are left as they are.
    public mutating func buildKernelLayout() {
        guard type == .nf4, kernelLayout == nil, columns % 32 == 0, rows > 0 else { return }
        let layout = KernelLayout(rows: rows, rowBytes: st_row_bytes(ST_TYPE_NF4_BLOCKS, Int64(columns)))
        st_nf4_to_blocks(base.assumingMemoryBound(to: UInt8.self), Int64(rows * columns), Int64(columns),
                         layout.bytes.baseAddress!)
        kernelLayout = layout
        kernelType = ST_TYPE_NF4_BLOCKS
        isFused = true
    }

    /// Builds the decode scale tables: Q4_1 and Q8_0 (4-8 bytes per 32 weights).
    public mutating func buildScaleTables() {
        guard type == .q4_1 || type == .q8_0 else { return }
        let blocks = rows * (columns / 32)
        let t = ScaleTables(d: FloatBuffer(scratch: blocks), m: type == .q4_1 ? FloatBuffer(scratch: blocks) : nil)
        st_build_scale_tables(kernelType, base, rowBytes, Int64(rows), Int64(columns), t.d.pointer, t.m?.pointer)
        scaleTables = t
    }

    /// Y[i, :] = W · X[i, :] for i in 0..<m (Y = X Wᵀ), multithreaded over output rows.
    /// `.bf16` rounds X and W to bf16 for the products (fp32 sums) where the CPU has AVX512_BF16.
    public func multiply(_ x: UnsafePointer<Float>, ldx: Int, m: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                         pool: ComputePool, precision: Precision = .fp32) {
        assert(m >= 0 && (m <= 1 || (ldx >= columns && ldy >= rows)), "X or Y rows overlap: ldx \(ldx), ldy \(ldy)")
        if precision == .bf16, m > 2, isFused {
            st_qgemm_bf16_mt(pool.raw, kernelType, kernelBase, kernelRowBytes, Int64(rows), Int64(columns), x, Int64(ldx), Int64(m), y, Int64(ldy))
            return
        }
        if m == 1, let t = scaleTables {
            st_matvec_tab_mt(pool.raw, pool.isa, kernelType, base, rowBytes, Int64(rows), Int64(columns),
                             t.d.pointer, t.m?.pointer, x, y)
            return
        }
        if isFused {
            st_qgemm_mt(pool.raw, pool.isa, kernelType, kernelBase, kernelRowBytes, Int64(rows), Int64(columns),
                        x, Int64(ldx), Int64(m), y, Int64(ldy))
            return
        }
        let panelRows = 16, chunks = (rows + panelRows - 1) / panelRows, isa = pool.isa
        pool.run { ith, nth in
            let panel = FloatBuffer(scratch: panelRows * columns)
            var c = chunks * ith / nth
            while c < chunks * (ith + 1) / nth {
                let r0 = c * panelRows, n = min(panelRows, rows - r0)
                dequantizeRows(r0..<(r0 + n), into: panel.pointer, isa: isa)
                Kernels.gemmNT(x, lda: ldx, panel.pointer, ldb: columns, y + r0, ldc: ldy, m: m, n: n, k: columns,
                               accumulate: false, isa: isa)
                c += 1
            }
        }
    }

    /// Dequantizes `rows` into `dst` (`rows.count * columns` floats, row-major).
    public func dequantizeRows(_ rows: Range<Int>, into dst: UnsafeMutablePointer<Float>, isa: Int32) {
        assert(rows.lowerBound >= 0 && rows.upperBound <= self.rows, "rows \(rows) outside 0..<\(self.rows)")
        if isFused {
            st_dequant_rows(isa, kernelType, kernelBase, kernelRowBytes, Int64(columns), Int64(rows.lowerBound),
                            Int64(rows.upperBound), dst)
            return
        }
        // The matrix was validated when it was loaded (byte count = layout for its element count),
        // so decoding cannot fail here.
        if type == .nf4 {
            st_dequant_nf4(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), Int64(self.rows * columns),
                           Int64(rows.lowerBound * columns), Int64(rows.count * columns), dst)
        } else {
            let out = UnsafeMutableBufferPointer(start: dst, count: rows.count * columns)
            for (i, r) in rows.enumerated() {
                let src = UnsafeRawBufferPointer(rebasing: bytes[(r * rowBytes)..<((r + 1) * rowBytes)])
                try! Dequantize.row(type, from: src, into: UnsafeMutableBufferPointer(rebasing: out[(i * columns)..<((i + 1) * columns)]))
            }
        }
    }

    /// Dequantizes row `r` into `dst` (`columns` floats).
    public func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>, isa: Int32) {
        dequantizeRows(r..<(r + 1), into: dst, isa: isa)
    }
}

/// A matrix re-laid for the C kernels (`WeightMatrix.buildKernelLayout`): `rows` rows of
/// `rowBytes` (the C block layout's size, from `st_row_bytes`), 64-byte aligned.
final class KernelLayout: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer
    let rowBytes: Int
    init(rows: Int, rowBytes: Int) {
        bytes = .allocate(byteCount: rows * rowBytes, alignment: 64)
        self.rowBytes = rowBytes
    }
    deinit { bytes.deallocate() }
}

/// Per-block scales of a quantized matrix decoded once to fp32.
public final class ScaleTables: Sendable {
    public let d: FloatBuffer
    public let m: FloatBuffer?
    init(d: FloatBuffer, m: FloatBuffer?) {
        self.d = d
        self.m = m
    }
}

/// Arithmetic of the batched frozen-core matmuls in training.
public enum Precision: String, Sendable, CaseIterable {
    /// fp32 products and sums: matches PyTorch fp32 to about 1e-6.
    case fp32
    /// bf16 products with fp32 sums (AVX512_BF16): about twice the speed, three significant digits.
    case bf16

    /// True when bf16 actually runs here (otherwise it falls back to fp32).
    public static var bf16Available: Bool { st_cpu_has_bf16() != 0 }
}
