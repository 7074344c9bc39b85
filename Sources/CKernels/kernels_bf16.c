// bf16 products with fp32 accumulation (AVX512_BF16's vdpbf16ps) for the batched frozen-core
// matmuls of training: twice the fp32 FMA throughput, at bf16 rounding of the activations and
// weights (about 3 significant digits). Opt-in (`--precision bf16`); dispatch.c falls back to the
// fp32 kernels on CPUs without AVX512_BF16.
#if defined(__x86_64__)
#include "CKernels.h"
#include "kernels_internal.h"
#include <immintrin.h>
#include <stdlib.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c"))), apply_to = function)

static inline uint16_t st_bf16(float f) {  // round to nearest even (NaN kept quiet)
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

void st_to_bf16_avx512bf16(const float *src, uint16_t *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)v);
    }
    for (; i < n; i++) dst[i] = st_bf16(src[i]);
}

#define NR 32  // columns per panel: two vectors of 16 fp32 accumulators

// Decodes one row of W (`cols` weights from `src`) to bf16 in place in rowbuf: the fp32 row is
// written there first, then converted front to back (bf16 element i lands at byte 2i, behind
// the fp32 element i being read at byte 4i, so nothing unread is overwritten).
static inline const uint16_t *st_row_to_bf16(void (*dequant_row)(const void *, int64_t, float *), const void *src,
                                             int64_t cols, float *rowbuf) {
    dequant_row(src, cols, rowbuf);
    st_to_bf16_avx512bf16(rowbuf, (uint16_t *)rowbuf, cols);
    return (const uint16_t *)rowbuf;
}

// Y[i, 0..n) = Σ_k X[i, k] W[k-th pair..] for the packed panel P[k/2][NR][2] (bf16), X in bf16.
static void gemm_panel_bf16(const uint16_t *xb, int64_t ldx, int64_t m, const uint16_t *p, int64_t k,
                            float *y, int64_t ldy, int64_t n, int accumulate) {
    const int64_t k2 = k / 2;
    int64_t i = 0;
    for (; i + 6 <= m; i += 6) {
        __m512 acc[6][2];
        for (int ii = 0; ii < 6; ii++) {
            if (accumulate && n == NR) {
                acc[ii][0] = _mm512_loadu_ps(y + (i + ii) * ldy);
                acc[ii][1] = _mm512_loadu_ps(y + (i + ii) * ldy + 16);
            } else {
                acc[ii][0] = _mm512_setzero_ps();
                acc[ii][1] = _mm512_setzero_ps();
            }
        }
        const uint16_t *x0 = xb + i * ldx;
        for (int64_t kk = 0; kk < k2; kk++) {
            const __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(p + kk * 2 * NR));
            const __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(p + kk * 2 * NR + 32));
            for (int ii = 0; ii < 6; ii++) {
                uint32_t pair;
                memcpy(&pair, x0 + ii * ldx + 2 * kk, 4);
                const __m512bh a = (__m512bh)_mm512_set1_epi32((int)pair);
                acc[ii][0] = _mm512_dpbf16_ps(acc[ii][0], a, b0);
                acc[ii][1] = _mm512_dpbf16_ps(acc[ii][1], a, b1);
            }
        }
        for (int ii = 0; ii < 6; ii++) {
            float *out = y + (i + ii) * ldy;
            if (n == NR) {
                _mm512_storeu_ps(out, acc[ii][0]);
                _mm512_storeu_ps(out + 16, acc[ii][1]);
            } else {
                float tmp[NR];
                _mm512_storeu_ps(tmp, acc[ii][0]);
                _mm512_storeu_ps(tmp + 16, acc[ii][1]);
                for (int64_t j = 0; j < n; j++) out[j] = accumulate ? out[j] + tmp[j] : tmp[j];
            }
        }
    }
    for (; i < m; i++) {
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (int64_t kk = 0; kk < k2; kk++) {
            uint32_t pair;
            memcpy(&pair, xb + i * ldx + 2 * kk, 4);
            const __m512bh a = (__m512bh)_mm512_set1_epi32((int)pair);
            a0 = _mm512_dpbf16_ps(a0, a, (__m512bh)_mm512_loadu_si512((const void *)(p + kk * 2 * NR)));
            a1 = _mm512_dpbf16_ps(a1, a, (__m512bh)_mm512_loadu_si512((const void *)(p + kk * 2 * NR + 32)));
        }
        float tmp[NR];
        _mm512_storeu_ps(tmp, a0);
        _mm512_storeu_ps(tmp + 16, a1);
        float *out = y + i * ldy;
        for (int64_t j = 0; j < n; j++) out[j] = accumulate ? out[j] + tmp[j] : tmp[j];
    }
}

// Forward: Y[:, r0:r1] = X·W[r0:r1]ᵀ; xb is X in bf16 (m x cols, cols even). W is one of the
// block formats (32-weight ones and the K types). scratch: cols floats + cols*NR bf16.
void st_qgemm_bf16_avx512bf16(const st_format *f, const void *w, size_t row_bytes, int64_t cols, const uint16_t *xb,
                              int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1, float *rowbuf, uint16_t *panel) {
    void (*const dequant_row)(const void *, int64_t, float *) = st_kernels_avx512[f->kind].dequant_row;
    uint32_t *panel_pairs = (uint32_t *)panel;  // panel[k/2][rr][2] as one 32-bit pair per (k/2, rr)
    for (int64_t r = r0; r < r1; r += NR) {
        int64_t n = r1 - r < NR ? r1 - r : NR;
        for (int64_t rr = 0; rr < NR; rr++) {
            if (rr >= n) {
                for (int64_t kk = 0; kk < cols / 2; kk++) panel_pairs[kk * NR + rr] = 0;
                continue;
            }
            // Row rr's bf16 pair (k, k+1) is its 32-bit word k/2: one strided copy per pair.
            const uint16_t *row = st_row_to_bf16(dequant_row, ST_ROW(uint8_t, w, row_bytes, r + rr), cols, rowbuf);
            for (int64_t kk = 0; kk < cols / 2; kk++) {
                uint32_t pair;
                memcpy(&pair, row + 2 * kk, 4);
                panel_pairs[kk * NR + rr] = pair;
            }
        }
        gemm_panel_bf16(xb, cols, m, panel, cols, y + r, ldy, n, 0);
    }
}

// Backward: dX[:, c0:c1] (+)= dY·W[:, c0:c1]; dyb is dY in bf16 (m x rows, rows even), width a
// multiple of NR. scratch: 2*width floats (two rows) + 128*width bf16.
void st_qgemm_nn_bf16_avx512bf16(const st_format *f, const void *w, size_t row_bytes, int64_t rows, int64_t c0,
                                 int64_t c1, const uint16_t *dyb, int64_t m, float *dx, int64_t lddx, int accumulate,
                                 float *rowbuf, uint16_t *panel) {
    void (*const dequant_row)(const void *, int64_t, float *) = st_kernels_avx512[f->kind].dequant_row;
    const int64_t width = c1 - c0, P = 128;
    const size_t skip = (size_t)(c0 / f->block) * f->block_bytes;
    if (rows <= 0 && !accumulate)  // no panel to start the sums: dX is zero
        for (int64_t i = 0; i < m; i++) memset(dx + i * lddx + c0, 0, (size_t)width * sizeof(float));
    for (int64_t r = 0; r < rows; r += P) {
        int64_t n = rows - r < P ? rows - r : P;  // rows is even, so n is even
        // Without accumulate, the first panel's sums start at zero instead of at dX (which was
        // memset first: 1.2% of a bf16 training step, AMD EPYC Zen 4); the same results.
        const int fresh = !accumulate && r == 0;
        // Pack: panel[k/2][col][2] over the panel's rows k, columns c0..c1: rows k and k + 1 in
        // bf16, zero-extended to 32 bits and the second shifted up, 16 columns at a time.
        for (int64_t k = 0; k < n; k += 2) {
            const uint16_t *lo = st_row_to_bf16(dequant_row, ST_ROW(uint8_t, w, row_bytes, r + k) + skip, width, rowbuf);
            const uint16_t *hi = st_row_to_bf16(dequant_row, ST_ROW(uint8_t, w, row_bytes, r + k + 1) + skip, width,
                                                rowbuf + width);
            uint16_t *out = panel + (k / 2) * width * 2;
            for (int64_t j = 0; j < width; j += 16) {
                const __m512i a = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(lo + j)));
                const __m512i b = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(hi + j)));
                _mm512_storeu_si512((void *)(out + 2 * j), _mm512_or_si512(a, _mm512_slli_epi32(b, 16)));
            }
        }
        // dX[i, c0 + j..] += Σ_pairs dY pair (i, r + 2kk) · panel pair (kk, j)
        for (int64_t j = 0; j < width; j += NR) {
            int64_t i = 0;
            for (; i + 6 <= m; i += 6) {
                __m512 acc[6][2];
                for (int ii = 0; ii < 6; ii++) {
                    acc[ii][0] = fresh ? _mm512_setzero_ps() : _mm512_loadu_ps(dx + (i + ii) * lddx + c0 + j);
                    acc[ii][1] = fresh ? _mm512_setzero_ps() : _mm512_loadu_ps(dx + (i + ii) * lddx + c0 + j + 16);
                }
                for (int64_t kk = 0; kk < n / 2; kk++) {
                    const __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(panel + (kk * width + j) * 2));
                    const __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(panel + (kk * width + j + 16) * 2));
                    for (int ii = 0; ii < 6; ii++) {
                        uint32_t pair;
                        memcpy(&pair, dyb + (i + ii) * rows + r + 2 * kk, 4);
                        const __m512bh a = (__m512bh)_mm512_set1_epi32((int)pair);
                        acc[ii][0] = _mm512_dpbf16_ps(acc[ii][0], a, b0);
                        acc[ii][1] = _mm512_dpbf16_ps(acc[ii][1], a, b1);
                    }
                }
                for (int ii = 0; ii < 6; ii++) {
                    _mm512_storeu_ps(dx + (i + ii) * lddx + c0 + j, acc[ii][0]);
                    _mm512_storeu_ps(dx + (i + ii) * lddx + c0 + j + 16, acc[ii][1]);
                }
            }
            for (; i < m; i++) {
                __m512 a0 = fresh ? _mm512_setzero_ps() : _mm512_loadu_ps(dx + i * lddx + c0 + j);
                __m512 a1 = fresh ? _mm512_setzero_ps() : _mm512_loadu_ps(dx + i * lddx + c0 + j + 16);
                for (int64_t kk = 0; kk < n / 2; kk++) {
                    uint32_t pair;
                    memcpy(&pair, dyb + i * rows + r + 2 * kk, 4);
                    const __m512bh a = (__m512bh)_mm512_set1_epi32((int)pair);
                    a0 = _mm512_dpbf16_ps(a0, a, (__m512bh)_mm512_loadu_si512((const void *)(panel + (kk * width + j) * 2)));
                    a1 = _mm512_dpbf16_ps(a1, a, (__m512bh)_mm512_loadu_si512((const void *)(panel + (kk * width + j + 16) * 2)));
                }
                _mm512_storeu_ps(dx + i * lddx + c0 + j, a0);
                _mm512_storeu_ps(dx + i * lddx + c0 + j + 16, a1);
            }
        }
    }
}
#pragma clang attribute pop
#endif
