// What the kernel files share: the weight-format table (one entry per ggml type the kernels read,
// looked up once per matrix operation), the per-ISA kernel tables, and the per-ISA builds.
#ifndef SWARMTUNE_KERNELS_INTERNAL_H
#define SWARMTUNE_KERNELS_INTERNAL_H
// assert() checks shapes in debug builds only (SwiftPM defines DEBUG there); release builds
// compile the checks out.
#if !defined(DEBUG) && !defined(NDEBUG)
#define NDEBUG
#endif
#include <assert.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "kernels_blocks.h"

/// The formats with fused kernels, numbered densely: the index into each ISA's kernel table.
typedef enum {
    ST_KIND_F32, ST_KIND_F16, ST_KIND_BF16, ST_KIND_Q4_0, ST_KIND_Q4_1, ST_KIND_Q8_0, ST_KIND_Q5_0, ST_KIND_Q5_1,
    ST_KIND_Q2_K, ST_KIND_Q3_K, ST_KIND_Q4_K, ST_KIND_Q5_K, ST_KIND_Q6_K, ST_KIND_NF4B, ST_KIND_COUNT,
} st_kind;

/// One weight format as the kernels see it (formats.c holds the table, keyed by ggml type id).
typedef struct {
    st_kind kind;
    int64_t block;          // weights per block (1 for the dense formats F32, F16, BF16; QK_K for the K types)
    size_t block_bytes;     // bytes per block
} st_format;

/// The format of ggml type `type`, or NULL when no fused kernel reads it.
const st_format *st_format_of(int type);

/// Bytes of a row of `cols` weights (whole blocks).
static inline size_t st_format_row_bytes(const st_format *f, int64_t cols) {
    return (size_t)(cols / f->block) * f->block_bytes;
}

/// True for the formats whose block scales st_build_scale_tables decodes (Q4_1, Q8_0).
static inline int st_format_has_scale_tables(const st_format *f) {
    return f->kind == ST_KIND_Q4_1 || f->kind == ST_KIND_Q8_0;
}

/// Debug checks of a matrix argument: whole blocks per row, rows at least that long.
#define ST_ASSERT_MATRIX(f, row_bytes, cols)                                      \
    do {                                                                          \
        assert((f) != NULL && "no fused kernel for this ggml type");              \
        assert((cols) >= 0 && (cols) % (f)->block == 0 && "partial block in a row"); \
        assert((row_bytes) >= st_format_row_bytes((f), (cols)) && "rows overlap"); \
    } while (0)

/// One ISA's kernels for one format. The dot-product entries compute y[r] = dot(W row r, x) for
/// r in [r0, r1) over rows of `nb` blocks, `rb` bytes apart; x holds the row's weights' count of
/// floats and xsum[b] = Σ x over weights [w·b, w·(b + 1)) for w = `wants_xsum` (32 or 16: the
/// offset terms of the formats with minimums), unread when it is 0. Formats without dot kernels
/// (the dense ones, Q2_K, Q3_K) are multiplied by decoding rows of W with dequant_row and
/// running the fp32 GEMM on them.
typedef struct {
    /// Decodes `cols` weights (whole blocks) from `src` into `dst`.
    void (*dequant_row)(const void *src, int64_t cols, float *dst);
    /// The dot products off the blocks; NULL for the formats decoded to fp32 rows first.
    void (*dot_rows)(const void *w, size_t rb, const float *x, const float *xsum, int64_t nb, float *y, int64_t r0,
                     int64_t r1);
    /// The same with the block scales read from fp32 tables dtab (and mtab, Q4_1's minimums), nb
    /// per row; NULL for formats without scale tables.
    void (*dot_rows_tab)(const void *w, size_t rb, const float *dtab, const float *mtab, int64_t nb, const float *x,
                         const float *xsum, float *y, int64_t r0, int64_t r1);
    int wants_xsum;  // 0, or the width of the x sums the dot kernels read (16 or 32)
} st_kernels;

#define ST_DECLARE_ISA(S)                                                                              \
    extern const st_kernels st_kernels_##S[ST_KIND_COUNT];                                            \
    float st_sdot_##S(const float *a, const float *b, int64_t n);                                     \
    void st_dequant_rows_##S(const st_format *f, const void *w, size_t row_bytes, int64_t cols, int64_t r0, \
                             int64_t r1, float *dst);                                                  \
    void st_sgemm_nt_##S(const float *a, int64_t lda, const float *b, int64_t ldb, float *c,          \
                         int64_t ldc, int64_t m, int64_t j0, int64_t j1, int64_t k, int accumulate);  \
    void st_qgemm_##S(const st_format *f, const void *w, size_t row_bytes, int64_t cols, const float *x, \
                      int64_t ldx, int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1,         \
                      float *scratch);                                                                 \
    void st_sgemm_nn_##S(const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb, float *c, \
                         int64_t ldc, int64_t m, int64_t n, int64_t k, int accumulate);               \
    void st_qgemm_nn_##S(const st_format *f, const void *w, size_t row_bytes, int64_t rows, int64_t c0,  \
                         int64_t c1, const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, \
                         int accumulate, float *scratch);                                              \
    void st_matvec_tab_##S(const st_format *f, const void *w, size_t row_bytes, int64_t cols,          \
                           const float *dtab, const float *mtab, const float *x, float *y, int64_t r0,  \
                           int64_t r1, float *scratch);                                                \
    void st_swiglu_##S(const float *gate, const float *up, float *out, int64_t n);                     \
    void st_swiglu_backward_##S(const float *gate, const float *up, const float *dout, float *dgate,   \
                                float *dup, int64_t n);                                                \
    double st_softmax_xent_##S(float *row, int64_t n, int64_t target, float grad_scale);              \
    void st_causal_softmax_##S(float *s, int64_t t, float scale);                                      \
    void st_causal_softmax_rows_##S(float *s, int64_t rows, int64_t ld, int64_t first, int64_t width, float scale); \
    void st_attend_group_##S(const float *q, int64_t g, const float *k, const float *v, int64_t stride, \
                             int64_t len, int64_t hd, float scale, float *scores, float *out);         \
    void st_causal_softmax_backward_##S(const float *p, float *d, int64_t t, float scale);

ST_DECLARE_ISA(generic)
#if defined(__x86_64__)
ST_DECLARE_ISA(avx2)
ST_DECLARE_ISA(avx512)
void st_to_bf16_avx512bf16(const float *src, uint16_t *dst, int64_t n);
void st_qgemm_bf16_avx512bf16(const st_format *f, const void *w, size_t row_bytes, int64_t cols, const uint16_t *xb,
                              int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1, float *rowbuf, uint16_t *panel);
void st_qgemm_nn_bf16_avx512bf16(const st_format *f, const void *w, size_t row_bytes, int64_t rows, int64_t c0,
                                 int64_t c1, const uint16_t *dyb, int64_t m, float *dx, int64_t lddx, int accumulate,
                                 float *rowbuf, uint16_t *panel);
#endif

// The format-resolved entry points behind the public ggml-id ones (dispatch.c): the
// multithreaded drivers (pool.c) resolve the format once and hand it to every worker.
void st_dequant_rows_format(int isa, const st_format *f, const void *w, size_t row_bytes, int64_t cols,
                            int64_t r0, int64_t r1, float *dst);
void st_qgemm_format(int isa, const st_format *f, const void *w, size_t row_bytes, int64_t cols,
                     const float *x, int64_t ldx, int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1,
                     float *scratch);
void st_qgemm_nn_format(int isa, const st_format *f, const void *w, size_t row_bytes, int64_t rows, int64_t c0,
                        int64_t c1, const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx,
                        int accumulate, float *scratch);
void st_matvec_tab_format(int isa, const st_format *f, const void *w, size_t row_bytes, int64_t cols,
                          const float *dtab, const float *mtab, const float *x, float *y, int64_t r0, int64_t r1,
                          float *scratch);
#endif
