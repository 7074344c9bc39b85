import CKernels

extension WeightMatrix {
    /// y_i = W_i · x for matrices that read the same x (decode's q, k and v; gate and up), m = 1.
    ///
    /// When every matrix has scale tables (Q4_1, Q8_0), one pool run computes them all: workers
    /// go from one matrix's rows to the next without a barrier between, where one `multiply` per
    /// matrix made every worker wait for the slowest at the end of each (k and v are small, and
    /// the wait was most of their time). Each y_i is bit for bit what `multiply` gives. Otherwise,
    /// or for more than four matrices, one `multiply` each.
    public static func multiply(_ x: UnsafePointer<Float>, by products: [(matrix: WeightMatrix, y: UnsafeMutablePointer<Float>)],
                                pool: ComputePool) {
        guard let first = products.first else { return }
        let shared = products.count <= Int(ST_MATVEC_MAX_OPERANDS)
            && products.allSatisfy { $0.matrix.scaleTables != nil && $0.matrix.columns == first.matrix.columns }
        guard shared else {
            for p in products { p.matrix.multiply(x, ldx: p.matrix.columns, m: 1, into: p.y, ldy: p.matrix.rows, pool: pool) }
            return
        }
        let operands = products.map { p in
            st_matvec_operand(type: p.matrix.kernelType, w: p.matrix.base, row_bytes: p.matrix.rowBytes,
                              rows: Int64(p.matrix.rows), dtab: p.matrix.scaleTables!.d.pointer,
                              mtab: p.matrix.scaleTables!.m?.pointer, y: p.y)
        }
        operands.withUnsafeBufferPointer { ops in
            st_matvec_tab_many_mt(pool.raw, pool.isa, ops.baseAddress, Int32(ops.count), Int64(first.matrix.columns), x)
        }
    }
}
