// Decode's matrix-vector products off the blocks for Q5_0, Q5_1, Q4_K, Q5_K and Q6_K (AVX-512).
//
// The generic kernels (kernels_impl.h) multiply these formats by decoding rows of W to fp32 in
// L1 and dotting them with x: on llama.cpp's Q4_K_M of the real core (mostly Q5_0) perf put
// 31% of a decode step in dequant_row_q5_0 and 24% in the fp32 dots after it (AMD EPYC, Zen 4,
// December 2026). Here each unit of a row (a 32-weight block, or a 256-weight super-block) is
// unpacked with byte operations into signed 8-bit codes (on the stack: L1) and one fp32 scale
// (and offset) per 16 weights; one loop shared by every format then converts 16 codes at a time
// and sums scale · (codes · x):
//
//   y[r] = Σ_g scale[g] · Σ_{j<16} code[16g + j] · x[16g + j]  +  Σ_g offset[g] · Σ_{j<16} x[16g + j]
//
// The offset sums Σ x over each 16 weights (xsum16) are computed once per x by the caller. The
// codes are exact integers and every scale is an fp16 value times a small integer (exact in fp32),
// so the results differ from decode-then-dot only by the order of the fp32 sums.
#if defined(__x86_64__)
#include "CKernels.h"
#include "kernels_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)

static inline float st_h2f(uint16_t h) { return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h))); }

/// One unpacked unit: up to 256 signed codes and a scale and offset per 16 of them.
typedef struct {
    int8_t q[QK_K] __attribute__((aligned(64)));
    float scale[QK_K / 16] __attribute__((aligned(64)));
    float offset[QK_K / 16] __attribute__((aligned(64)));
} st_unit;

// ---- unpacking, one format each ------------------------------------------------------------

// Q5_0: code = nibble | bit j of qh << 4, minus 16. Weights 0..15 are the low nibbles of qs,
// 16..31 the high ones; bit j of the 32-bit qh belongs to weight j.
static inline __attribute__((always_inline)) void st_unpack_q5(const uint8_t *qs, const uint8_t *qh, int center,
                                                              int8_t *q) {
    const __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    const __m128i lo = _mm_and_si128(raw, _mm_set1_epi8(0x0F));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), _mm_set1_epi8(0x0F));
    uint32_t bits;
    memcpy(&bits, qh, 4);
    __m256i c = _mm256_set_m128i(hi, lo);
    c = _mm256_mask_add_epi8(c, _cvtu32_mask32(bits), c, _mm256_set1_epi8(16));
    if (center) c = _mm256_sub_epi8(c, _mm256_set1_epi8(16));
    _mm256_storeu_si256((__m256i *)q, c);
}

static inline __attribute__((always_inline)) void st_unpack_q5_0(const void *src, st_unit *u) {
    const block_q5_0 *b = src;
    st_unpack_q5(b->qs, b->qh, 1, u->q);
    u->scale[0] = u->scale[1] = st_h2f(b->d);
}

static inline __attribute__((always_inline)) void st_unpack_q5_1(const void *src, st_unit *u) {
    const block_q5_1 *b = src;
    st_unpack_q5(b->qs, b->qh, 0, u->q);
    u->scale[0] = u->scale[1] = st_h2f(b->d);
    u->offset[0] = u->offset[1] = st_h2f(b->m);
}

// The eight sub-block scales and minimums of a Q4_K or Q5_K super-block, each for 32 weights.
static inline __attribute__((always_inline)) void st_unpack_k4_scales(uint16_t dh, uint16_t dminh,
                                                                     const uint8_t *scales, st_unit *u) {
    const float d = st_h2f(dh), dmin = st_h2f(dminh);
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        st_k4_scale_min(j, scales, &sc, &m);
        u->scale[2 * j] = u->scale[2 * j + 1] = d * (float)sc;
        u->offset[2 * j] = u->offset[2 * j + 1] = -(dmin * (float)m);
    }
}

// Q4_K: sub-blocks 2p and 2p + 1 are the low and high nibbles of qs[32p .. 32p + 32).
static inline __attribute__((always_inline)) void st_unpack_q4_K(const void *src, st_unit *u) {
    const block_q4_K *b = src;
    st_unpack_k4_scales(b->d, b->dmin, b->scales, u);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int p = 0; p < 4; p++) {
        const __m256i raw = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * p));
        _mm256_store_si256((__m256i *)(u->q + 64 * p), _mm256_and_si256(raw, m4));
        _mm256_store_si256((__m256i *)(u->q + 64 * p + 32), _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4));
    }
}

// Q5_K: as Q4_K, and bit j of qh[l] is bit 4 of code l of sub-block j.
static inline __attribute__((always_inline)) void st_unpack_q5_K(const void *src, st_unit *u) {
    const block_q5_K *b = src;
    st_unpack_k4_scales(b->d, b->dmin, b->scales, u);
    const __m256i m4 = _mm256_set1_epi8(0x0F), sixteen = _mm256_set1_epi8(16);
    const __m256i qh = _mm256_loadu_si256((const __m256i *)b->qh);
    for (int p = 0; p < 4; p++) {
        const __m256i raw = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * p));
        __m256i lo = _mm256_and_si256(raw, m4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
        lo = _mm256_mask_add_epi8(lo, _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(1 << (2 * p)))), lo, sixteen);
        hi = _mm256_mask_add_epi8(hi, _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(1 << (2 * p + 1)))), hi, sixteen);
        _mm256_store_si256((__m256i *)(u->q + 64 * p), lo);
        _mm256_store_si256((__m256i *)(u->q + 64 * p + 32), hi);
    }
}

// Q6_K, half h (weights 128h ..): codes 0..31 are the low nibbles of ql[64h ..) with bits 0-1 of
// qh[32h + l] on top, 32..63 the low nibbles of ql[64h + 32 ..) with bits 2-3, 64..95 the high
// nibbles of the first 32 with bits 4-5, 96..127 the high nibbles of the second with bits 6-7;
// minus 32. Sixteen signed sub-block scales, one per 16 weights, in order.
static inline __attribute__((always_inline)) void st_unpack_q6_K(const void *src, st_unit *u) {
    const block_q6_K *b = src;
    const float d = st_h2f(b->d);
    const __m512 sc = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)b->scales)));
    _mm512_store_ps(u->scale, _mm512_mul_ps(_mm512_set1_ps(d), sc));
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30), c32 = _mm256_set1_epi8(32);
    for (int h = 0; h < 2; h++) {
        const __m256i l0 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h));
        const __m256i l1 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h + 32));
        const __m256i hb = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
        // (hb << 4), (hb << 2), hb, (hb >> 2), each masked to bits 4-5: bits 2k..2k+1 moved up.
        const __m256i h0 = _mm256_and_si256(_mm256_slli_epi16(hb, 4), m2);
        const __m256i h1 = _mm256_and_si256(_mm256_slli_epi16(hb, 2), m2);
        const __m256i h2 = _mm256_and_si256(hb, m2);
        const __m256i h3 = _mm256_and_si256(_mm256_srli_epi16(hb, 2), m2);
        int8_t *q = u->q + 128 * h;
        _mm256_store_si256((__m256i *)q, _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(l0, m4), h0), c32));
        _mm256_store_si256((__m256i *)(q + 32), _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(l1, m4), h1), c32));
        _mm256_store_si256((__m256i *)(q + 64),
                           _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), h2), c32));
        _mm256_store_si256((__m256i *)(q + 96),
                           _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), h3), c32));
    }
}

// ---- the shared dot loop ---------------------------------------------------------------------

typedef void (*st_unpack_fn)(const void *, st_unit *);

// y[r] = dot(W row r, x) for r in [r0, r1): rows of `nb` units of `unit` weights (`unit_bytes`
// each), rows `rb` bytes apart. xsum16[g] = Σ x over weights 16g .. 16g + 15 (when has_offset).
static inline __attribute__((always_inline)) void st_dot_rows_units(st_unpack_fn unpack, int unit, size_t unit_bytes,
                                                                   int has_offset, const void *w, size_t rb,
                                                                   const float *x, const float *xsum16, int64_t nb,
                                                                   float *y, int64_t r0, int64_t r1) {
    const int groups = unit / 16;
    st_unit u;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * rb;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        float off = 0;
        for (int64_t k = 0; k < nb; k++) {
            // The next row's unit: a short matrix ends before the hardware prefetcher ramps up.
            __builtin_prefetch(row + rb + k * unit_bytes);
            unpack(row + k * unit_bytes, &u);
            const float *xu = x + k * unit;
#pragma clang loop unroll(full)
            for (int g = 0; g < groups; g += 2) {
                const __m512 p0 = _mm512_mul_ps(
                    _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)(u.q + 16 * g)))),
                    _mm512_loadu_ps(xu + 16 * g));
                const __m512 p1 = _mm512_mul_ps(
                    _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)(u.q + 16 * g + 16)))),
                    _mm512_loadu_ps(xu + 16 * g + 16));
                acc0 = _mm512_fmadd_ps(_mm512_set1_ps(u.scale[g]), p0, acc0);
                acc1 = _mm512_fmadd_ps(_mm512_set1_ps(u.scale[g + 1]), p1, acc1);
            }
            if (has_offset) {
                const float *xs = xsum16 + k * groups;
                if (groups == 16) {
                    off += _mm512_reduce_add_ps(_mm512_mul_ps(_mm512_load_ps(u.offset), _mm512_loadu_ps(xs)));
                } else {
                    for (int g = 0; g < groups; g++) off += u.offset[g] * xs[g];
                }
            }
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + off;
    }
}

// The entry points of kernels_internal.h, one per format: (format, unit, its block struct, offsets).
#define ST_DOT_ROWS(name, unit, block, has_offset)                                                         \
    void st_dot_rows_##name##_avx512(const void *w, size_t rb, const float *x, const float *xsum, int64_t nb, \
                                     float *y, int64_t r0, int64_t r1) {                                    \
        st_dot_rows_units(st_unpack_##name, unit, sizeof(block), has_offset, w, rb, x, xsum, nb, y, r0, r1); \
    }
ST_DOT_ROWS(q5_0, ST_QK, block_q5_0, 0)
ST_DOT_ROWS(q5_1, ST_QK, block_q5_1, 1)
ST_DOT_ROWS(q4_K, QK_K, block_q4_K, 1)
ST_DOT_ROWS(q5_K, QK_K, block_q5_K, 1)
ST_DOT_ROWS(q6_K, QK_K, block_q6_K, 0)
#undef ST_DOT_ROWS

#pragma clang attribute pop
#endif
