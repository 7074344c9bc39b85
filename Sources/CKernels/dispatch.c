// Run-time choice of the kernel build: cpuid decides, SWARMTUNE_ISA may ask for a lower one.
#include "CKernels.h"
#include "kernels_internal.h"
#include <stdlib.h>

int st_cpu_isa(void) {
    int best = ST_ISA_GENERIC;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        best = ST_ISA_AVX2;
    if (best == ST_ISA_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        best = ST_ISA_AVX512;
#endif
    const char *want = getenv("SWARMTUNE_ISA");
    if (want) {
        int w = best;
        if (strcmp(want, "generic") == 0) w = ST_ISA_GENERIC;
        else if (strcmp(want, "avx2") == 0) w = ST_ISA_AVX2;
        else if (strcmp(want, "avx512") == 0) w = ST_ISA_AVX512;
        if (w < best) best = w;
    }
    return best;
}

const char *st_isa_name(int isa) {
    switch (isa) {
    case ST_ISA_AVX512: return "avx512";
    case ST_ISA_AVX2: return "avx2";
    default: return "generic";
    }
}

// The batched kernel packs up to 256 rows of X and dequantizes 6 rows of W (kernels_impl.h,
// ST_MC and ST_WR); decode needs one float per block, or 4 decoded rows of W (ST_DR) for the
// formats without dot kernels.
size_t st_qgemm_scratch_floats(int64_t cols) { return (size_t)(256 + 8) * (size_t)cols + 64; }

#if defined(__x86_64__)
#define ST_DISPATCH(isa, fn, ...)                                  \
    switch (isa) {                                                 \
    case ST_ISA_AVX512: return fn##_avx512(__VA_ARGS__);           \
    case ST_ISA_AVX2: return fn##_avx2(__VA_ARGS__);               \
    default: return fn##_generic(__VA_ARGS__);                     \
    }
#else
#define ST_DISPATCH(isa, fn, ...) return fn##_generic(__VA_ARGS__);
#endif

float st_sdot(int isa, const float *a, const float *b, int64_t n) { ST_DISPATCH(isa, st_sdot, a, b, n) }


// Each public matrix entry point resolves its ggml type once (st_format_of), checks the shapes in
// debug builds, and hands the format to the ISA's kernel; the *_format variants are what the
// multithreaded drivers in pool.c call per worker with a format they resolved once.

void st_dequant_rows_format(int isa, const st_format *f, const void *w, size_t row_bytes, int64_t cols, int64_t r0,
                            int64_t r1, float *dst) {
    ST_DISPATCH(isa, st_dequant_rows, f, w, row_bytes, cols, r0, r1, dst)
}

void st_dequant_rows(int isa, int type, const void *w, size_t row_bytes, int64_t cols, int64_t r0, int64_t r1,
                     float *dst) {
    const st_format *f = st_format_of(type);
    ST_ASSERT_MATRIX(f, row_bytes, cols);
    assert(0 <= r0 && r0 <= r1);
    if (!f) return;
    st_dequant_rows_format(isa, f, w, row_bytes, cols, r0, r1, dst);
}

void st_sgemm_nt(int isa, const float *a, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc, int64_t m,
                 int64_t j0, int64_t j1, int64_t k, int accumulate) {
    assert(m >= 0 && 0 <= j0 && j0 <= j1 && k >= 0);
    assert((m <= 1 || (lda >= k && ldc >= j1)) && (j1 <= 1 || ldb >= k));
    ST_DISPATCH(isa, st_sgemm_nt, a, lda, b, ldb, c, ldc, m, j0, j1, k, accumulate)
}

void st_qgemm_format(int isa, const st_format *f, const void *w, size_t row_bytes, int64_t cols, const float *x,
                     int64_t ldx, int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1, float *scratch) {
    ST_DISPATCH(isa, st_qgemm, f, w, row_bytes, cols, x, ldx, m, y, ldy, r0, r1, scratch)
}

void st_qgemm(int isa, int type, const void *w, size_t row_bytes, int64_t cols, const float *x, int64_t ldx,
              int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1, float *scratch) {
    const st_format *f = st_format_of(type);
    ST_ASSERT_MATRIX(f, row_bytes, cols);
    assert(m >= 0 && 0 <= r0 && r0 <= r1 && (m <= 1 || (ldx >= cols && ldy >= r1)));
    if (!f) return;
    st_qgemm_format(isa, f, w, row_bytes, cols, x, ldx, m, y, ldy, r0, r1, scratch);
}

void st_sgemm_nn(int isa, const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb, float *c, int64_t ldc,
                 int64_t m, int64_t n, int64_t k, int accumulate) {
    assert(m >= 0 && n >= 0 && k >= 0 && (k <= 1 || ldb >= n) && (m <= 1 || ldc >= n));
    ST_DISPATCH(isa, st_sgemm_nn, a, rsa, csa, b, ldb, c, ldc, m, n, k, accumulate)
}

void st_qgemm_nn_format(int isa, const st_format *f, const void *w, size_t row_bytes, int64_t rows, int64_t c0,
                        int64_t c1, const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate,
                        float *scratch) {
    ST_DISPATCH(isa, st_qgemm_nn, f, w, row_bytes, rows, c0, c1, dy, lddy, m, dx, lddx, accumulate, scratch)
}

void st_qgemm_nn(int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t c0, int64_t c1,
                 const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate, float *scratch) {
    const st_format *f = st_format_of(type);
    ST_ASSERT_MATRIX(f, row_bytes, c1);
    assert(0 <= c0 && c0 <= c1 && c0 % f->block == 0 && "columns start on a block boundary");
    assert(rows >= 0 && m >= 0 && (m <= 1 || (lddy >= rows && lddx >= c1)));
    if (!f) return;
    st_qgemm_nn_format(isa, f, w, row_bytes, rows, c0, c1, dy, lddy, m, dx, lddx, accumulate, scratch);
}

void st_matvec_tab_format(int isa, const st_format *f, const void *w, size_t row_bytes, int64_t cols,
                          const float *dtab, const float *mtab, const float *x, float *y, int64_t r0, int64_t r1,
                          float *scratch) {
    ST_DISPATCH(isa, st_matvec_tab, f, w, row_bytes, cols, dtab, mtab, x, y, r0, r1, scratch)
}

void st_matvec_tab(int isa, int type, const void *w, size_t row_bytes, int64_t cols, const float *dtab, const float *mtab,
                   const float *x, float *y, int64_t r0, int64_t r1, float *scratch) {
    const st_format *f = st_format_of(type);
    ST_ASSERT_MATRIX(f, row_bytes, cols);
    assert(st_format_has_scale_tables(f) && "scale tables are for Q4_1 and Q8_0");
    assert(dtab && (f->kind != ST_KIND_Q4_1 || mtab) && 0 <= r0 && r0 <= r1);
    if (!f || !st_format_has_scale_tables(f)) return;
    st_matvec_tab_format(isa, f, w, row_bytes, cols, dtab, mtab, x, y, r0, r1, scratch);
}

void st_swiglu(int isa, const float *gate, const float *up, float *out, int64_t n) {
    ST_DISPATCH(isa, st_swiglu, gate, up, out, n)
}

void st_swiglu_backward(int isa, const float *gate, const float *up, const float *dout, float *dgate, float *dup, int64_t n) {
    ST_DISPATCH(isa, st_swiglu_backward, gate, up, dout, dgate, dup, n)
}

double st_softmax_xent(int isa, float *row, int64_t n, int64_t target, float grad_scale) {
    ST_DISPATCH(isa, st_softmax_xent, row, n, target, grad_scale)
}

void st_causal_softmax(int isa, float *s, int64_t t, float scale) {
    ST_DISPATCH(isa, st_causal_softmax, s, t, scale)
}

void st_causal_softmax_rows(int isa, float *s, int64_t rows, int64_t ld, int64_t first, int64_t width, float scale) {
    assert(rows >= 0 && first >= 1 && first + rows - 1 <= width && (rows <= 1 || ld >= width));
    ST_DISPATCH(isa, st_causal_softmax_rows, s, rows, ld, first, width, scale)
}

void st_attend_group(int isa, const float *q, int64_t g, const float *k, const float *v, int64_t stride, int64_t len,
                     int64_t hd, float scale, float *scores, float *out) {
    assert(g >= 1 && len >= 1 && hd >= 0 && stride >= hd);
    ST_DISPATCH(isa, st_attend_group, q, g, k, v, stride, len, hd, scale, scores, out)
}

void st_causal_softmax_backward(int isa, const float *p, float *d, int64_t t, float scale) {
    ST_DISPATCH(isa, st_causal_softmax_backward, p, d, t, scale)
}
