import CKernels

/// Dense fp32 products used by training, multithreaded on a ComputePool.
///
/// Naming follows BLAS: `nn` is C = A·B with B row-major [k × n]; `nt` is C = A·Bᵀ with B stored
/// [n × k]. A may be read transposed through its strides (rowStride, colStride).
public enum Linear {
    /// C[m × n] (+)= A·B, A element (i, p) at a[i*rowStride + p*colStride], B [k × n] row-major.
    /// Split over column ranges of C (multiples of 16) between the pool's workers.
    public static func nn(_ a: UnsafePointer<Float>, rowStride: Int, colStride: Int,
                          _ b: UnsafePointer<Float>, ldb: Int,
                          _ c: UnsafeMutablePointer<Float>, ldc: Int,
                          m: Int, n: Int, k: Int, accumulate: Bool, pool: ComputePool) {
        let isa = pool.isa
        let chunks = (n + 15) / 16
        if chunks < 2 || m * n * k < 32_768 {
            st_sgemm_nn(isa, a, Int64(rowStride), Int64(colStride), b, Int64(ldb), c, Int64(ldc),
                        Int64(m), Int64(n), Int64(k), accumulate ? 1 : 0)
            return
        }
        pool.run { ith, nth in
            let j0 = chunks * ith / nth * 16, j1 = min(n, chunks * (ith + 1) / nth * 16)
            guard j0 < j1 else { return }
            st_sgemm_nn(isa, a, Int64(rowStride), Int64(colStride), b + j0, Int64(ldb), c + j0, Int64(ldc),
                        Int64(m), Int64(j1 - j0), Int64(k), accumulate ? 1 : 0)
        }
    }

    /// C[m × n] (+)= A·Bᵀ with A [m × k] and B [n × k] row-major; split over rows of C.
    public static func nt(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                          _ c: UnsafeMutablePointer<Float>, ldc: Int,
                          m: Int, n: Int, k: Int, accumulate: Bool, pool: ComputePool) {
        let isa = pool.isa
        if m < 8 || m * n * k < 32_768 {
            st_sgemm_nt(isa, a, Int64(lda), b, Int64(ldb), c, Int64(ldc), Int64(m), 0, Int64(n), Int64(k), accumulate ? 1 : 0)
            return
        }
        pool.run { ith, nth in
            let i0 = m * ith / nth, i1 = m * (ith + 1) / nth
            guard i0 < i1 else { return }
            st_sgemm_nt(isa, a + i0 * lda, Int64(lda), b, Int64(ldb), c + i0 * ldc, Int64(ldc), Int64(i1 - i0), 0,
                        Int64(n), Int64(k), accumulate ? 1 : 0)
        }
    }
}

extension WeightMatrix {
    /// dX[m × columns] (+)= dY[m × rows] · W: the gradient through this frozen matrix.
    public func multiplyTransposed(_ dy: UnsafePointer<Float>, lddy: Int, m: Int,
                                   into dx: UnsafeMutablePointer<Float>, lddx: Int, accumulate: Bool, pool: ComputePool,
                                   precision: Precision = .fp32) {
        assert(m >= 0 && (m <= 1 || (lddy >= rows && lddx >= columns)), "dY or dX rows overlap: lddy \(lddy), lddx \(lddx)")
        if precision == .bf16, isFused {
            st_qgemm_nn_bf16_mt(pool.raw, kernelType, kernelBase, kernelRowBytes, Int64(rows), Int64(columns),
                                dy, Int64(lddy), Int64(m), dx, Int64(lddx), accumulate ? 1 : 0)
            return
        }
        if isFused {
            st_qgemm_nn_mt(pool.raw, pool.isa, kernelType, kernelBase, kernelRowBytes, Int64(rows), Int64(columns),
                           dy, Int64(lddy), Int64(m), dx, Int64(lddx), accumulate ? 1 : 0)
            return
        }
        // Other formats: decode 64-row panels in Swift, split the columns of dX between workers.
        let panelRows = 64, isa = pool.isa
        if !accumulate { for i in 0..<m { (dx + i * lddx).initialize(repeating: 0, count: columns) } }
        let panel = FloatBuffer(scratch: panelRows * columns)
        var r0 = 0
        while r0 < rows {
            let n = min(panelRows, rows - r0)
            dequantizeRows(r0..<(r0 + n), into: panel.pointer, isa: isa)
            Linear.nn(dy + r0, rowStride: lddy, colStride: 1, panel.pointer, ldb: columns, dx, ldc: lddx,
                      m: m, n: columns, k: n, accumulate: true, pool: pool)
            r0 += n
        }
    }
}
