import CKernels

/// Small vector kernels the model code calls between matmuls (dispatched to the CPU's best ISA).
public enum Kernels {
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int, isa: Int32) -> Float {
        st_sdot(isa, a, b, Int64(n))
    }

    /// C[i, j] (+)= Σ_k A[i, k] B[j, k] for rows i < m and j in j0..<j1.
    public static func gemmNT(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int,
                              accumulate: Bool, isa: Int32) {
        st_sgemm_nt(isa, a, Int64(lda), b, Int64(ldb), c, Int64(ldc), Int64(m), 0, Int64(n), Int64(k), accumulate ? 1 : 0)
    }

    /// C[i, j] (+)= Σ_p A[i·rowStride + p·colStride] B[p, j] (B row-major), single-threaded.
    public static func gemmNN(_ a: UnsafePointer<Float>, rowStride: Int, colStride: Int, _ b: UnsafePointer<Float>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int,
                              accumulate: Bool, isa: Int32) {
        st_sgemm_nn(isa, a, Int64(rowStride), Int64(colStride), b, Int64(ldb), c, Int64(ldc), Int64(m), Int64(n), Int64(k),
                    accumulate ? 1 : 0)
    }

    /// out = silu(gate)·up over n elements.
    public static func swiglu(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                              _ n: Int, isa: Int32) {
        st_swiglu(isa, gate, up, out, Int64(n))
    }

    /// The SwiGLU backward pass: d(gate) and d(up) from d(out).
    public static func swigluBackward(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ dout: UnsafePointer<Float>,
                                      _ dgate: UnsafeMutablePointer<Float>, _ dup: UnsafeMutablePointer<Float>, _ n: Int, isa: Int32) {
        st_swiglu_backward(isa, gate, up, dout, dgate, dup, Int64(n))
    }

    /// −log softmax(row)[target]; with a non-zero gradientScale the row becomes
    /// gradientScale·(softmax − onehot(target)).
    public static func softmaxCrossEntropy(_ row: UnsafeMutablePointer<Float>, count: Int, target: Int, gradientScale: Float,
                                           isa: Int32) -> Double {
        st_softmax_xent(isa, row, Int64(count), Int64(target), gradientScale)
    }

    /// Causal attention's softmax over a t × t block of scores, in place: row i becomes
    /// softmax(scale·S[i, 0...i]) and zeros after column i.
    public static func causalSoftmax(_ s: UnsafeMutablePointer<Float>, t: Int, scale: Float, isa: Int32) {
        st_causal_softmax(isa, s, Int64(t), scale)
    }

    /// Softmax of a block of query rows that follow `first - 1` cached positions: row i (stride
    /// `ld`) over its first `first + i` scores, times `scale` first; zeros from there to `width`.
    public static func causalSoftmax(rows: Int, _ s: UnsafeMutablePointer<Float>, ld: Int, first: Int, width: Int,
                                     scale: Float, isa: Int32) {
        st_causal_softmax_rows(isa, s, Int64(rows), Int64(ld), Int64(first), Int64(width), scale)
    }

    /// Decode attention for the `group` query heads that share one KV head: `out[h]` =
    /// softmax(scale · K·q[h]) · V over `length` cached positions (`q` and `out` hold `group` heads
    /// of `headDim` floats, consecutive; key and value rows are `stride` floats apart). The group
    /// reads the cache once, not once per head; each head's result is the same for any group size.
    /// `scores` (`group` × `length` floats) ends holding the probabilities.
    public static func attendGroup(_ q: UnsafePointer<Float>, group: Int, keys: UnsafePointer<Float>,
                                   values: UnsafePointer<Float>, stride: Int, length: Int, headDim: Int, scale: Float,
                                   scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, isa: Int32) {
        st_attend_group(isa, q, Int64(group), keys, values, Int64(stride), Int64(length), Int64(headDim), scale, scores, out)
    }

    /// The causal softmax's backward: d (dP on entry) becomes dS = scale·P ⊙ (dP − rowsum(P ⊙ dP)), zeros after
    /// column i in row i.
    public static func causalSoftmaxBackward(_ p: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, t: Int, scale: Float,
                                             isa: Int32) {
        st_causal_softmax_backward(isa, p, d, Int64(t), scale)
    }

    public static var detectedISA: Int32 { st_cpu_isa() }
    public static func isaName(_ isa: Int32) -> String { String(cString: st_isa_name(isa)) }
}
