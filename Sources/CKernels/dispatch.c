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

int st_type_supported(int type) {
    switch (type) {
    case ST_TYPE_F32: case ST_TYPE_F16: case ST_TYPE_BF16: case ST_TYPE_Q4_0: case ST_TYPE_Q4_1: case ST_TYPE_Q8_0:
        return 1;
    default:
        return 0;
    }
}

size_t st_row_bytes(int type, int64_t cols) {
    switch (type) {
    case ST_TYPE_F32: return (size_t)cols * 4;
    case ST_TYPE_F16: case ST_TYPE_BF16: return (size_t)cols * 2;
    case ST_TYPE_Q4_0: return (size_t)(cols / 32) * 18;
    case ST_TYPE_Q4_1: return (size_t)(cols / 32) * 20;
    case ST_TYPE_Q8_0: return (size_t)(cols / 32) * 34;
    default: return 0;
    }
}

size_t st_qgemm_scratch_floats(int64_t cols) { return (size_t)33 * (size_t)cols + 64; }

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

void st_saxpy(int isa, float alpha, const float *x, float *y, int64_t n) { ST_DISPATCH(isa, st_saxpy, alpha, x, y, n) }

void st_dequant_rows(int isa, int type, const void *w, size_t row_bytes, int64_t cols, int64_t r0, int64_t r1,
                     float *dst) {
    ST_DISPATCH(isa, st_dequant_rows, type, w, row_bytes, cols, r0, r1, dst)
}

void st_sgemm_nt(int isa, const float *a, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc, int64_t m,
                 int64_t j0, int64_t j1, int64_t k, int accumulate) {
    ST_DISPATCH(isa, st_sgemm_nt, a, lda, b, ldb, c, ldc, m, j0, j1, k, accumulate)
}

void st_qgemm(int isa, int type, const void *w, size_t row_bytes, int64_t cols, const float *x, int64_t ldx,
              int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1, float *scratch) {
    ST_DISPATCH(isa, st_qgemm, type, w, row_bytes, cols, x, ldx, m, y, ldy, r0, r1, scratch)
}

void st_sgemm_nn(int isa, const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb, float *c, int64_t ldc,
                 int64_t m, int64_t n, int64_t k, int accumulate) {
    ST_DISPATCH(isa, st_sgemm_nn, a, rsa, csa, b, ldb, c, ldc, m, n, k, accumulate)
}

void st_qgemm_nn(int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t c0, int64_t c1,
                 const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate, float *scratch) {
    ST_DISPATCH(isa, st_qgemm_nn, type, w, row_bytes, rows, c0, c1, dy, lddy, m, dx, lddx, accumulate, scratch)
}

void st_matvec_tab(int isa, int type, const void *w, size_t row_bytes, int64_t cols, const float *dtab, const float *mtab,
                   const float *x, float *y, int64_t r0, int64_t r1, float *scratch) {
    ST_DISPATCH(isa, st_matvec_tab, type, w, row_bytes, cols, dtab, mtab, x, y, r0, r1, scratch)
}

void st_build_scale_tables(int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols, float *dtab, float *mtab) {
    const int64_t nb = cols / 32;
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes;
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = row + b * (type == ST_TYPE_Q4_1 ? 20 : 34);
            float d, m;
            st_dequant_rows(ST_ISA_GENERIC, ST_TYPE_F16, blk, 2, 1, 0, 1, &d);
            dtab[r * nb + b] = d;
            if (type == ST_TYPE_Q4_1 && mtab) {
                st_dequant_rows(ST_ISA_GENERIC, ST_TYPE_F16, blk + 2, 2, 1, 0, 1, &m);
                mtab[r * nb + b] = m;
            }
        }
    }
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
