// SwarmTune hot kernels: fused dequantize-matmul over ggml block formats (kernels_blocks.h), an
// fp32 panel GEMM, and a persistent spin-then-sleep thread pool. Each kernel is written once
// (kernels_impl.h) and compiled for three instruction sets; st_cpu_isa() picks one at run time, so the binary runs on
// any x86-64 CPU and uses AVX-512 or AVX2+FMA where the CPU has them.
#ifndef SWARMTUNE_CKERNELS_H
#define SWARMTUNE_CKERNELS_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    ST_ISA_GENERIC = 0,   // SSE2 (the x86-64 baseline)
    ST_ISA_AVX2 = 1,      // AVX2 + FMA + F16C
    ST_ISA_AVX512 = 2,    // AVX-512 F/BW/VL/DQ
};

/// The best instruction set this CPU supports (cpuid), unless SWARMTUNE_ISA=generic|avx2|avx512
/// asks for a lower one.
int st_cpu_isa(void);
const char *st_isa_name(int isa);

typedef struct st_pool st_pool;

// Weight types are ggml's type ids, as Swift's GGMLType numbers them (F32 0, F16 1, Q4_0 2,
// Q4_1 3, Q5_0 6, Q5_1 7, Q8_0 8, Q2_K 10, Q3_K 11, Q4_K 12, Q5_K 13, Q6_K 14, BF16 30 have fused
// kernels), and ST_TYPE_NF4_BLOCKS for NF4 re-laid at load. formats.c maps them to block layouts
// and kernels in its one table; each call below looks its type up there once, never per row.
// Shapes are checked with assert() (debug builds).

/// 1 when `type` has a fused kernel (the others are dequantized by the caller into fp32 panels).
int st_type_supported(int type);

/// Bytes of one row of `cols` elements of `type` (cols a multiple of the block size).
size_t st_row_bytes(int type, int64_t cols);

/// Dequantize rows [r0, r1) of W (rows of `cols` elements of `type`, rows `row_bytes` apart) into
/// dst (fp32, r1-r0 rows of `cols`).
void st_dequant_rows(int isa, int type, const void *w, size_t row_bytes, int64_t cols,
                     int64_t r0, int64_t r1, float *dst);

/// Y[i, r] = sum_k X[i, k] * W[r, k] for i in [0, m), r in [r0, r1).
/// W is quantized (`type`); X and Y are fp32 row-major with leading dimensions ldx, ldy.
/// `scratch` holds at least st_qgemm_scratch_floats(cols) floats.
void st_qgemm(int isa, int type, const void *w, size_t row_bytes, int64_t cols,
              const float *x, int64_t ldx, int64_t m,
              float *y, int64_t ldy, int64_t r0, int64_t r1, float *scratch);
size_t st_qgemm_scratch_floats(int64_t cols);

/// C[i, j] = sum_k A[i, k] * B[j, k] (+ C when accumulate) for i in [0, m), j in [j0, j1):
/// both operands are fp32 with rows contiguous along k (the "NT" layout).
void st_sgemm_nt(int isa, const float *a, int64_t lda, const float *b, int64_t ldb,
                 float *c, int64_t ldc, int64_t m, int64_t j0, int64_t j1, int64_t k, int accumulate);

/// C[i, j] (+)= sum_k A[i*rsa + k*csa] * B[k*ldb + j] for i < m, j < n (B row-major; A through
/// strides, so A or its transpose).
void st_sgemm_nn(int isa, const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb,
                 float *c, int64_t ldc, int64_t m, int64_t n, int64_t k, int accumulate);

/// dX[:, c0:c1] (+)= dY · W[:, c0:c1] for quantized W (rows x cols of `type`): the backward product
/// through a frozen projection. c0 and c1 lie on block boundaries; scratch holds 128*(c1-c0) floats.
void st_qgemm_nn(int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t c0, int64_t c1,
                 const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate, float *scratch);

/// out = silu(gate)·up, vectorized (exp to about 2 ulp).
void st_swiglu(int isa, const float *gate, const float *up, float *out, int64_t n);
/// The SwiGLU backward: dgate, dup from dout.
void st_swiglu_backward(int isa, const float *gate, const float *up, const float *dout, float *dgate, float *dup, int64_t n);
/// −log softmax(row)[target]; with grad_scale ≠ 0 the row becomes grad_scale·(softmax − onehot).
double st_softmax_xent(int isa, float *row, int64_t n, int64_t target, float grad_scale);
/// Causal attention's softmax over a t × t block of scores S (row-major): row i becomes
/// softmax(scale·S[i, 0...i]) in columns 0...i and 0 after (what the masked upper triangle is).
void st_causal_softmax(int isa, float *s, int64_t t, float scale);
/// The same for a block of query rows after cached positions: row i (stride ld) softmaxes its
/// first `first + i` scores (scaled) and is zero from there to `width`.
void st_causal_softmax_rows(int isa, float *s, int64_t rows, int64_t ld, int64_t first, int64_t width, float scale);
/// Decode attention for the g query heads sharing one KV head: out[h] = softmax(scale · K·q[h]) · V
/// over the `len` cached positions (q and out [g][hd]; key and value rows `stride` floats apart,
/// hd floats each); `scores` ([g][len] floats) ends holding the probabilities. Each head's result
/// is the same for any g.
void st_attend_group(int isa, const float *q, int64_t g, const float *k, const float *v, int64_t stride, int64_t len,
                     int64_t hd, float scale, float *scores, float *out);
/// Its backward through the saved probabilities P: row i of D (dP on entry) becomes
/// scale·P ⊙ (D − Σ_j P[i, j]·D[i, j]) in columns 0...i and 0 after.
void st_causal_softmax_backward(int isa, const float *p, float *d, int64_t t, float scale);

/// Decodes weights [start, start + count) of an NF4 tensor of `elements` weights (the whole
/// tensor's bytes at `tensor`, layout in docs/QUANT.md) into dst.
void st_dequant_nf4(const uint8_t *tensor, int64_t elements, int64_t start, int64_t count, float *dst);

/// NF4 re-laid for the kernels, 20 bytes per 32 weights (kernels_blocks.h, block_nf4b): the type
/// id the matrix entry points take for it. SwarmTune's own, never in a file.
#define ST_TYPE_NF4_BLOCKS 0x4E42

/// Re-lays an NF4 tensor (`elements` weights, the whole tensor's bytes at `tensor`) as rows of
/// `cols` weights of block_nf4b into dst (elements / 32 blocks; cols a multiple of 32), each
/// block's absmax decoded once: what lets every kernel read NF4 as it reads Q4_0 or Q4_1. The
/// weights decode bit for bit as st_dequant_nf4 decodes them.
void st_nf4_to_blocks(const uint8_t *tensor, int64_t elements, int64_t cols, void *dst);

/// Dot product of two fp32 vectors.
float st_sdot(int isa, const float *a, const float *b, int64_t n);

// ---- thread pool -------------------------------------------------------------------------
typedef void (*st_task_fn)(void *ctx, int ith, int nth);

/// A pool of `threads` workers (the calling thread counts as worker 0, so threads-1 are started).
st_pool *st_pool_create(int threads);
void st_pool_destroy(st_pool *pool);
int st_pool_size(const st_pool *pool);
/// A scratch buffer of at least `bytes` for worker `slot` (0..size-1; slot size is the caller's
/// shared one), kept and reused by the pool: the kernels allocate nothing per call. Not for use
/// from two threads with the same slot.
void *st_pool_scratch(st_pool *pool, int slot, size_t bytes);
/// Runs fn(ctx, ith, nth) on every worker and returns when all are done. Not reentrant.
void st_pool_run(st_pool *pool, st_task_fn fn, void *ctx);

/// Multithreaded st_qgemm: splits the output rows [0, rows) over the pool.
void st_qgemm_mt(st_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                 const float *x, int64_t ldx, int64_t m, float *y, int64_t ldy);

/// Multithreaded st_qgemm_nn over all columns of dX (split between workers on block boundaries).
void st_qgemm_nn_mt(st_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                    const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate);

// ---- machine probes (probe.c) -------------------------------------------------------------
/// fp32 FMA throughput probe on the calling thread for `isa` (AVX-512: 512-bit FMAs, AVX2: 256-bit,
/// generic: SSE multiply-add): returns the floating-point operations performed; the caller times it.
double st_probe_fma(int isa, int64_t iterations);
/// bf16 dot-product (vdpbf16ps) throughput probe: operations performed, 0 without AVX512_BF16.
double st_probe_dot_bf16(int64_t iterations);
/// Reads n floats once (vector loads for AVX2 and up) and returns their sum: a read-bandwidth probe.
float st_probe_read(int isa, const float *p, int64_t n);

/// 1 when this CPU has AVX512_BF16 (the bf16 training matmuls run; otherwise they fall back to fp32).
int st_cpu_has_bf16(void);

/// Training matmuls with bf16 products and fp32 accumulation (see kernels_bf16.c): the same
/// results as st_qgemm_mt / st_qgemm_nn_mt up to bf16 rounding. The block types (Q4_0, Q4_1,
/// Q5_0, Q5_1, Q8_0, re-laid NF4 and the K types); dense types, odd shapes and CPUs without
/// AVX512_BF16 take the fp32 kernels.
void st_qgemm_bf16_mt(st_pool *pool, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                      const float *x, int64_t ldx, int64_t m, float *y, int64_t ldy);
void st_qgemm_nn_bf16_mt(st_pool *pool, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                         const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate);

/// Scale tables for decode: d (and m, for Q4_1) of every block of a Q4_1 or Q8_0 matrix as fp32,
/// [rows][cols/32] each. Built once per loaded core (4-8 bytes per 32 weights).
void st_build_scale_tables(int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols, float *dtab, float *mtab);

/// y[r] = W[r, :]·x for r in [r0, r1) (Q4_1 or Q8_0) with scale tables; scratch holds cols/32 floats.
void st_matvec_tab(int isa, int type, const void *w, size_t row_bytes, int64_t cols, const float *dtab, const float *mtab,
                   const float *x, float *y, int64_t r0, int64_t r1, float *scratch);
void st_matvec_tab_mt(st_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                      const float *dtab, const float *mtab, const float *x, float *y);

/// One matrix of `st_matvec_tab_many_mt`: y = W·x through its scale tables (Q4_1 or Q8_0).
typedef struct {
    int type;
    const void *w;
    size_t row_bytes;
    int64_t rows;
    const float *dtab, *mtab;
    float *y;
} st_matvec_operand;

/// Most matrices one `st_matvec_tab_many_mt` call takes.
#define ST_MATVEC_MAX_OPERANDS 4

/// y_i = W_i·x for 1...ST_MATVEC_MAX_OPERANDS matrices of `cols` columns that share x (decode's
/// q, k and v; gate and up), in one pool run: workers take chunks of rows of the first matrix,
/// then of the next, with no barrier between matrices. Each y_i is bit for bit what
/// `st_matvec_tab_mt` gives.
void st_matvec_tab_many_mt(st_pool *pool, int isa, const st_matvec_operand *ops, int count, int64_t cols,
                           const float *x);

#ifdef __cplusplus
}
#endif
#endif
