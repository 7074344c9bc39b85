// Declarations of the per-ISA kernel builds; dispatch.c picks one at run time.
#ifndef SWARMTUNE_KERNELS_INTERNAL_H
#define SWARMTUNE_KERNELS_INTERNAL_H
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define ST_DECLARE_ISA(S)                                                                              \
    float st_sdot_##S(const float *a, const float *b, int64_t n);                                     \
    void st_saxpy_##S(float alpha, const float *x, float *y, int64_t n);                              \
    void st_dequant_rows_##S(int type, const void *w, size_t row_bytes, int64_t cols, int64_t r0,     \
                             int64_t r1, float *dst);                                                  \
    void st_sgemm_nt_##S(const float *a, int64_t lda, const float *b, int64_t ldb, float *c,          \
                         int64_t ldc, int64_t m, int64_t j0, int64_t j1, int64_t k, int accumulate);  \
    void st_qgemm_##S(int type, const void *w, size_t row_bytes, int64_t cols, const float *x,        \
                      int64_t ldx, int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1,         \
                      float *scratch);                                                           \
    void st_sgemm_nn_##S(const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb, float *c, \
                         int64_t ldc, int64_t m, int64_t n, int64_t k, int accumulate);               \
    void st_qgemm_nn_##S(int type, const void *w, size_t row_bytes, int64_t rows, int64_t c0, int64_t c1, \
                         const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx,           \
                         int accumulate, float *scratch);                                            \
    void st_matvec_tab_##S(int type, const void *w, size_t row_bytes, int64_t cols, const float *dtab,   \
                           const float *mtab, const float *x, float *y, int64_t r0, int64_t r1,         \
                           float *scratch);                                                           \
    void st_swiglu_##S(const float *gate, const float *up, float *out, int64_t n);                     \
    void st_swiglu_backward_##S(const float *gate, const float *up, const float *dout, float *dgate,   \
                                float *dup, int64_t n);                                                \
    double st_softmax_xent_##S(float *row, int64_t n, int64_t target, float grad_scale);

ST_DECLARE_ISA(generic)
#if defined(__x86_64__)
void st_to_bf16_avx512bf16(const float *src, uint16_t *dst, int64_t n);
void st_qgemm_bf16_avx512bf16(int type, const void *w, size_t row_bytes, int64_t cols, const uint16_t *xb, int64_t m,
                              float *y, int64_t ldy, int64_t r0, int64_t r1, float *rowbuf, uint16_t *panel);
void st_qgemm_nn_bf16_avx512bf16(int type, const void *w, size_t row_bytes, int64_t rows, int64_t c0, int64_t c1,
                                 const uint16_t *dyb, int64_t m, float *dx, int64_t lddx, int accumulate,
                                 float *rowbuf, uint16_t *panel);
#endif
#if defined(__x86_64__)
ST_DECLARE_ISA(avx2)
ST_DECLARE_ISA(avx512)
#endif
#endif
