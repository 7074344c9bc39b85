// The kernel bodies, written once with clang vector extensions and compiled three times by
// kernels_generic.c, kernels_avx2.c and kernels_avx512.c with different target attributes.
// The including file defines: SUFFIX(name), VL (fp32 lanes per vector), TM and TN (register
// tile of the NT GEMM), and H2F(bits) (fp16 bits -> float).
//
// Weights are read as the block structs of kernels_blocks.h (block_q4_0, block_q4_1, block_q8_0,
// block_q5_0, block_q5_1 and the K types' block_q2_K ... block_q6_K). The per-format functions
// are collected in this ISA's st_kernels table at the end of the file; an entry point picks its
// row from the table once per call (st_format.kind).

#include <string.h>
#include <math.h>

typedef float   SUFFIX(vf) __attribute__((vector_size(VL * 4), aligned(4)));
typedef float   SUFFIX(vf16) __attribute__((vector_size(64), aligned(4)));
typedef uint8_t SUFFIX(vu8) __attribute__((vector_size(16), aligned(1)));
typedef int8_t  SUFFIX(vi8) __attribute__((vector_size(16), aligned(1)));
#define vf SUFFIX(vf)
#define vf16 SUFFIX(vf16)
#define vu8 SUFFIX(vu8)
#define vi8 SUFFIX(vi8)

static inline float SUFFIX(hsum)(vf v) {
    float s = 0;
    for (int i = 0; i < VL; i++) s += v[i];
    return s;
}

static inline float SUFFIX(hsum16)(vf16 v) {
    float s = 0;
    for (int i = 0; i < 16; i++) s += v[i];
    return s;
}

// The same sum by halves (8 + 8, 4 + 4, 2 + 2, 1 + 1): four dependent adds instead of sixteen,
// in one fixed order on every ISA.
static inline float SUFFIX(hsum16_tree)(vf16 v) {
    typedef float v8 __attribute__((vector_size(32)));
    typedef float v4 __attribute__((vector_size(16)));
    const v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                 __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    const v4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

float SUFFIX(st_sdot)(const float *a, const float *b, int64_t n) {
    vf acc0 = {0}, acc1 = {0};
    int64_t k = 0;
    for (; k + 2 * VL <= n; k += 2 * VL) {
        acc0 += *(const vf *)(a + k) * *(const vf *)(b + k);
        acc1 += *(const vf *)(a + k + VL) * *(const vf *)(b + k + VL);
    }
    for (; k + VL <= n; k += VL) acc0 += *(const vf *)(a + k) * *(const vf *)(b + k);
    float s = SUFFIX(hsum)(acc0 + acc1);
    for (; k < n; k++) s += a[k] * b[k];
    return s;
}

// ---- dequantization ------------------------------------------------------------------------

// The 32 nibbles of a 4-bit block: lo = weights 0..15, hi = weights 16..31.
static inline void SUFFIX(unpack_nibbles)(const uint8_t *qs, vf16 *lo, vf16 *hi) {
#if defined(ST_AVX512_MASKS)
    // One widening load, then the nibbles by mask and shift in 32-bit lanes: one lane-crossing
    // expand per 32 weights instead of two (the expand and convert were most of the decode loop's
    // work, AMD EPYC Zen 4). The same values, so the results are bit for bit the generic form's.
    const __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)qs));
    *lo = (vf16)_mm512_cvtepi32_ps(_mm512_and_si512(v, _mm512_set1_epi32(15)));
    *hi = (vf16)_mm512_cvtepi32_ps(_mm512_srli_epi32(v, 4));
#else
    vu8 raw = *(const vu8 *)qs;
    vu8 l = raw & (uint8_t)0x0F;
    vu8 h = raw >> 4;
    *lo = __builtin_convertvector(l, vf16);
    *hi = __builtin_convertvector(h, vf16);
#endif
}

static void SUFFIX(dequant_row_f32)(const void *src, int64_t cols, float *dst) {
    memcpy(dst, src, (size_t)cols * 4);
}

static void SUFFIX(dequant_row_f16)(const void *src, int64_t cols, float *dst) {
    const uint16_t *h = src;
    for (int64_t k = 0; k < cols; k++) dst[k] = H2F(h[k]);
}

static void SUFFIX(dequant_row_bf16)(const void *src, int64_t cols, float *dst) {
    const uint16_t *h = src;
    for (int64_t k = 0; k < cols; k++) dst[k] = st_bf16_to_fp32(h[k]);
}

static void SUFFIX(dequant_row_q4_0)(const void *src, int64_t cols, float *dst) {
    const block_q4_0 *blk = src;
    for (int64_t b = 0; b < cols / ST_QK; b++, blk++, dst += ST_QK) {
        float d = H2F(blk->d);
        vf16 lo, hi;
        SUFFIX(unpack_nibbles)(blk->qs, &lo, &hi);
        *(vf16 *)dst = d * (lo - 8.0f);
        *(vf16 *)(dst + 16) = d * (hi - 8.0f);
    }
}

static void SUFFIX(dequant_row_q4_1)(const void *src, int64_t cols, float *dst) {
    const block_q4_1 *blk = src;
    for (int64_t b = 0; b < cols / ST_QK; b++, blk++, dst += ST_QK) {
        float d = H2F(blk->d), m = H2F(blk->m);
        vf16 lo, hi;
        SUFFIX(unpack_nibbles)(blk->qs, &lo, &hi);
        *(vf16 *)dst = d * lo + m;
        *(vf16 *)(dst + 16) = d * hi + m;
    }
}

static void SUFFIX(dequant_row_q8_0)(const void *src, int64_t cols, float *dst) {
    const block_q8_0 *blk = src;
    for (int64_t b = 0; b < cols / ST_QK; b++, blk++, dst += ST_QK) {
        float d = H2F(blk->d);
        vi8 q0 = *(const vi8 *)blk->qs, q1 = *(const vi8 *)(blk->qs + 16);
        *(vf16 *)dst = d * __builtin_convertvector(q0, vf16);
        *(vf16 *)(dst + 16) = d * __builtin_convertvector(q1, vf16);
    }
}

// The table entries named by the low 4 bits of 16 bytes: one vpermps on AVX-512, two 8-entry
// permutes and a blend per 8 on AVX2, a loop otherwise.
static inline vf16 SUFFIX(lookup16)(vu8 idx, const float *table) {
#if defined(ST_AVX512_MASKS)
    return (vf16)_mm512_permutexvar_ps(_mm512_cvtepu8_epi32((__m128i)idx), _mm512_loadu_ps(table));
#elif defined(ST_AVX2_LOOKUP)
    const __m256 lo = _mm256_loadu_ps(table), hi = _mm256_loadu_ps(table + 8);
    vf16 out;
    for (int h = 0; h < 2; h++) {
        const __m256i i = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(((const long long *)&idx)[h]));
        const __m256 sel = _mm256_castsi256_ps(_mm256_slli_epi32(i, 28));  // bit 3 -> the sign bit
        const __m256 v = _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, i), _mm256_permutevar8x32_ps(hi, i), sel);
        memcpy((float *)&out + 8 * h, &v, sizeof v);
    }
    return out;
#else
    vf16 out;
    for (int j = 0; j < 16; j++) out[j] = table[idx[j] & 15];
    return out;
#endif
}

// NF4 re-laid (block_nf4b): level[code] * d, the product st_dequant_nf4 forms (bit for bit).
static void SUFFIX(dequant_row_nf4b)(const void *src, int64_t cols, float *dst) {
    const block_nf4b *blk = src;
    for (int64_t b = 0; b < cols / ST_QK; b++, blk++, dst += ST_QK) {
        const vu8 raw = *(const vu8 *)blk->qs;
        *(vf16 *)dst = SUFFIX(lookup16)(raw, st_nf4_levels) * blk->d;
        *(vf16 *)(dst + 16) = SUFFIX(lookup16)(raw >> 4, st_nf4_levels) * blk->d;
    }
}

// The formats below decode to scale * code (+ offset), the scale an fp16 value times an integer
// sub-block scale: at most 11 + 7 + 5 = 23 significant bits (fp16 mantissa, |Q6_K scale| <= 128,
// |code| <= 32), so every product is exact in fp32, an FMA contraction rounds as the separate
// multiply and add of the Quant module's scalar decoders, and every ISA build decodes bit for bit
// what they do.

// The 16 codes of a vector of bytes as floats.
static inline vf16 SUFFIX(codes16)(vu8 q) { return __builtin_convertvector(q, vf16); }

// dst[0..16) = scale * (q - center) for 16 codes q (q - center is exact): the symmetric formats.
static inline void SUFFIX(store_centered16)(vf16 q, float scale, float center, float *dst) {
    *(vf16 *)dst = scale * (q - center);
}

// dst[0..16) = scale * q + offset for 16 codes q: the formats with minimums.
static inline void SUFFIX(store_affine16)(vf16 q, float scale, float offset, float *dst) {
    *(vf16 *)dst = scale * q + offset;
}

typedef uint8_t SUFFIX(vu8x32) __attribute__((vector_size(32), aligned(1)));
#define vu8x32 SUFFIX(vu8x32)

// Bit 4 of the 32 five-bit codes of a Q5_0 or Q5_1 block: byte j is 16 where bit j of qh is set.
// Byte j of qh's spread is qh's byte j / 8 (one shuffle for all 32), tested against bit j % 8.
static inline vu8x32 SUFFIX(fifth_bits)(const uint8_t *qh) {
    const vu8x32 bit = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
                        1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    vu8 h = {0};
    memcpy(&h, qh, 4);
    const vu8x32 spread = __builtin_shufflevector(h, h, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                  2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    return (vu8x32)((spread & bit) != 0) & (uint8_t)0x10;
}

// The 32 five-bit codes of a Q5_0 or Q5_1 block: code j = nibble j | (bit j of qh) << 4, where
// nibble j is the low half of qs[j] for j < 16 and the high half of qs[j - 16] after.
static inline void SUFFIX(unpack_codes5)(const uint8_t *qs, const uint8_t *qh, vf16 *lo, vf16 *hi) {
    const vu8x32 fifth = SUFFIX(fifth_bits)(qh);
    const vu8 raw = *(const vu8 *)qs;
    const vu8 f0 = __builtin_shufflevector(fifth, fifth, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const vu8 f1 = __builtin_shufflevector(fifth, fifth, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    *lo = SUFFIX(codes16)((raw & (uint8_t)0x0F) | f0);
    *hi = SUFFIX(codes16)((raw >> 4) | f1);
}

static void SUFFIX(dequant_row_q5_0)(const void *src, int64_t cols, float *dst) {
    const block_q5_0 *blk = src;
    for (int64_t b = 0; b < cols / ST_QK; b++, blk++, dst += ST_QK) {
        const float d = H2F(blk->d);
        vf16 lo, hi;
        SUFFIX(unpack_codes5)(blk->qs, blk->qh, &lo, &hi);
        SUFFIX(store_centered16)(lo, d, 16.0f, dst);
        SUFFIX(store_centered16)(hi, d, 16.0f, dst + 16);
    }
}

static void SUFFIX(dequant_row_q5_1)(const void *src, int64_t cols, float *dst) {
    const block_q5_1 *blk = src;
    for (int64_t b = 0; b < cols / ST_QK; b++, blk++, dst += ST_QK) {
        const float d = H2F(blk->d), m = H2F(blk->m);
        vf16 lo, hi;
        SUFFIX(unpack_codes5)(blk->qs, blk->qh, &lo, &hi);
        SUFFIX(store_affine16)(lo, d, m, dst);
        SUFFIX(store_affine16)(hi, d, m, dst + 16);
    }
}

// The K types, one 16-weight run of codes at a time (a run never straddles two sub-blocks).

static void SUFFIX(dequant_row_q2_K)(const void *src, int64_t cols, float *dst) {
    const block_q2_K *blk = src;
    for (int64_t b = 0; b < cols / QK_K; b++, blk++, dst += QK_K) {
        const float d = H2F(blk->d), dmin = H2F(blk->dmin);
#pragma clang loop unroll(full)
        for (int s = 0; s < QK_K / 16; s++) {
            // Sub-block s: half s / 8, bits 2((s % 8) / 2) and up of the bytes from 32(s / 8) + 16(s % 2).
            const vu8 raw = *(const vu8 *)(blk->qs + 32 * (s / 8) + 16 * (s % 2));
            const vu8 q = (raw >> (2 * ((s % 8) / 2))) & (uint8_t)3;
            const float scale = d * (float)(blk->scales[s] & 0x0F), offset = -(dmin * (float)(blk->scales[s] >> 4));
            SUFFIX(store_affine16)(SUFFIX(codes16)(q), scale, offset, dst + 16 * s);
        }
    }
}

static void SUFFIX(dequant_row_q3_K)(const void *src, int64_t cols, float *dst) {
    const block_q3_K *blk = src;
    for (int64_t b = 0; b < cols / QK_K; b++, blk++, dst += QK_K) {
        const float d = H2F(blk->d);
#pragma clang loop unroll(full)
        for (int s = 0; s < QK_K / 16; s++) {
            // Sub-block s = 8h + 2k + c: bits 2k, 2k+1 of qs[32h + 16c + l], bit 4h + k of hmask[16c + l].
            const int h = s / 8, k = (s % 8) / 2, c = s % 2;
            const vu8 low = (*(const vu8 *)(blk->qs + 32 * h + 16 * c) >> (2 * k)) & (uint8_t)3;
            const vu8 high = (*(const vu8 *)(blk->hmask + 16 * c) >> (4 * h + k)) & (uint8_t)1;
            const float scale = d * (float)st_q3_K_scale(s, blk->scales);
            SUFFIX(store_centered16)(SUFFIX(codes16)(low | high << 2), scale, 4.0f, dst + 16 * s);
        }
    }
}

// One Q4_K or Q5_K super-block (qh NULL for Q4_K): sub-block j's codes are the low (j even) or
// high (j odd) nibbles of qs[32(j / 2) ..), with bit j of qh[l] as bit 4 of code l in Q5_K.
static inline __attribute__((always_inline)) void SUFFIX(dequant_k4_block)(uint16_t dh, uint16_t dminh,
                                                                          const uint8_t *scales, const uint8_t *qs,
                                                                          const uint8_t *qh, float *dst) {
    const float d = H2F(dh), dmin = H2F(dminh);
#pragma clang loop unroll(full)
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        st_k4_scale_min(j, scales, &sc, &m);
        const float scale = d * (float)sc, offset = -(dmin * (float)m);
        for (int c = 0; c < 2; c++) {
            const vu8 raw = *(const vu8 *)(qs + 32 * (j / 2) + 16 * c);
            vu8 q = j % 2 ? raw >> 4 : raw & (uint8_t)0x0F;
            if (qh) q |= ((*(const vu8 *)(qh + 16 * c) >> j) & (uint8_t)1) << 4;
            SUFFIX(store_affine16)(SUFFIX(codes16)(q), scale, offset, dst + 32 * j + 16 * c);
        }
    }
}

static void SUFFIX(dequant_row_q4_K)(const void *src, int64_t cols, float *dst) {
    const block_q4_K *blk = src;
    for (int64_t b = 0; b < cols / QK_K; b++, blk++, dst += QK_K)
        SUFFIX(dequant_k4_block)(blk->d, blk->dmin, blk->scales, blk->qs, NULL, dst);
}

static void SUFFIX(dequant_row_q5_K)(const void *src, int64_t cols, float *dst) {
    const block_q5_K *blk = src;
    for (int64_t b = 0; b < cols / QK_K; b++, blk++, dst += QK_K)
        SUFFIX(dequant_k4_block)(blk->d, blk->dmin, blk->scales, blk->qs, blk->qh, dst);
}

static void SUFFIX(dequant_row_q6_K)(const void *src, int64_t cols, float *dst) {
    const block_q6_K *blk = src;
    for (int64_t b = 0; b < cols / QK_K; b++, blk++, dst += QK_K) {
        const float d = H2F(blk->d);
        for (int h = 0; h < 2; h++) {
            // Half h, weights 32k + 16c + l: low bits from ql[64h + 32(k % 2) + 16c + l] (low nibble
            // for k < 2), high bits 2k, 2k+1 of qh[32h + 16c + l]; sub-block 8h + 2k + c.
            const uint8_t *ql = blk->ql + 64 * h, *qh = blk->qh + 32 * h;
            float *out = dst + 128 * h;
            for (int c = 0; c < 2; c++) {
                const vu8 l0 = *(const vu8 *)(ql + 16 * c), l1 = *(const vu8 *)(ql + 32 + 16 * c);
                const vu8 hb = *(const vu8 *)(qh + 16 * c);
                const int8_t *sc = blk->scales + 8 * h + c;
                const vu8 q0 = (l0 & (uint8_t)0x0F) | (hb & (uint8_t)3) << 4;
                const vu8 q1 = (l1 & (uint8_t)0x0F) | ((hb >> 2) & (uint8_t)3) << 4;
                const vu8 q2 = (l0 >> 4) | ((hb >> 4) & (uint8_t)3) << 4;
                const vu8 q3 = (l1 >> 4) | (hb >> 6) << 4;
                SUFFIX(store_centered16)(SUFFIX(codes16)(q0), d * (float)sc[0], 32.0f, out + 16 * c);
                SUFFIX(store_centered16)(SUFFIX(codes16)(q1), d * (float)sc[2], 32.0f, out + 32 + 16 * c);
                SUFFIX(store_centered16)(SUFFIX(codes16)(q2), d * (float)sc[4], 32.0f, out + 64 + 16 * c);
                SUFFIX(store_centered16)(SUFFIX(codes16)(q3), d * (float)sc[6], 32.0f, out + 96 + 16 * c);
            }
        }
    }
}

extern const st_kernels SUFFIX(st_kernels)[ST_KIND_COUNT];

void SUFFIX(st_dequant_rows)(const st_format *f, const void *w, size_t row_bytes, int64_t cols,
                              int64_t r0, int64_t r1, float *dst) {
    void (*const dequant_row)(const void *, int64_t, float *) = SUFFIX(st_kernels)[f->kind].dequant_row;
    for (int64_t r = r0; r < r1; r++)
        dequant_row((const uint8_t *)w + (size_t)r * row_bytes, cols, dst + (r - r0) * cols);
}

// acc += d · (lo·xl + hi·xh) for one block's 32 weights (16-lane halves), and acc_group below for
// one group of 16 weights with its scale (the unit kernels). On 8-lane builds
// (AVX2) a 16-lane value is two registers: the four 8-lane products are summed into one register
// before the block scale, so each row keeps one accumulator and four rows with x fit AVX2's 16
// registers (with two per row the compiler spilled one row's accumulators every block), and the
// scale costs one FMA instead of two. Other builds keep the 16-lane form, bit for bit as before.
#if VL == 8
typedef vf SUFFIX(vacc);
#define ST_LO8(v) __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7)
#define ST_HI8(v) __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15)
static inline __attribute__((always_inline)) void SUFFIX(acc_block)(SUFFIX(vacc) *acc, float d, vf16 lo, vf16 hi,
                                                                    vf16 xl, vf16 xh) {
    *acc += d * (ST_LO8(lo) * ST_LO8(xl) + ST_HI8(lo) * ST_HI8(xl) + ST_LO8(hi) * ST_LO8(xh) + ST_HI8(hi) * ST_HI8(xh));
}
// acc += s · (q·x) for one group of 16 weights, the same way.
static inline __attribute__((always_inline)) void SUFFIX(acc_group)(SUFFIX(vacc) *acc, float s, vf16 q, vf16 x) {
    *acc += s * (ST_LO8(q) * ST_LO8(x) + ST_HI8(q) * ST_HI8(x));
}
#undef ST_LO8
#undef ST_HI8
static inline float SUFFIX(hsum_acc)(SUFFIX(vacc) v) { return SUFFIX(hsum)(v); }
static inline float SUFFIX(hsum_acc_tree)(SUFFIX(vacc) v) { return SUFFIX(hsum)(v); }
#else
typedef vf16 SUFFIX(vacc);
static inline __attribute__((always_inline)) void SUFFIX(acc_block)(SUFFIX(vacc) *acc, float d, vf16 lo, vf16 hi,
                                                                    vf16 xl, vf16 xh) {
    *acc += d * (lo * xl + hi * xh);
}
static inline float SUFFIX(hsum_acc)(SUFFIX(vacc) v) { return SUFFIX(hsum16)(v); }
static inline __attribute__((always_inline)) void SUFFIX(acc_group)(SUFFIX(vacc) *acc, float s, vf16 q, vf16 x) {
    *acc += s * (q * x);
}
static inline float SUFFIX(hsum_acc_tree)(SUFFIX(vacc) v) { return SUFFIX(hsum16_tree)(v); }
#endif

// ---- fused matrix-vector products (decode) -------------------------------------------------
// Four rows at a time: the x loads and nibble-free work are shared, and four independent
// accumulators hide the FMA latency that a single running sum would serialise on.

// dot(W row, x) for Q4_1: sum_b d_b * dot(q_b, x_b) + m_b * sum(x_b); xsum holds sum(x_b).
static void SUFFIX(dot4_q4_1)(const void *row, size_t rb, const float *x, const float *xsum, int64_t nb, float *out) {
    const block_q4_1 *w0 = ST_ROW(block_q4_1, row, rb, 0), *w1 = ST_ROW(block_q4_1, row, rb, 1);
    const block_q4_1 *w2 = ST_ROW(block_q4_1, row, rb, 2), *w3 = ST_ROW(block_q4_1, row, rb, 3);
    vf16 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
        const float xs = xsum[b];
        vf16 lo, hi;
#define ST_Q41_ROW(w, acc, macc)                          \
        SUFFIX(unpack_nibbles)(w[b].qs, &lo, &hi);        \
        acc += H2F(w[b].d) * (lo * xl + hi * xh);         \
        macc += H2F(w[b].m) * xs;
        ST_Q41_ROW(w0, acc0, m0)
        ST_Q41_ROW(w1, acc1, m1)
        ST_Q41_ROW(w2, acc2, m2)
        ST_Q41_ROW(w3, acc3, m3)
#undef ST_Q41_ROW
    }
    out[0] = SUFFIX(hsum16)(acc0) + m0;
    out[1] = SUFFIX(hsum16)(acc1) + m1;
    out[2] = SUFFIX(hsum16)(acc2) + m2;
    out[3] = SUFFIX(hsum16)(acc3) + m3;
}

static float SUFFIX(dot_q4_1)(const void *row, const float *x, const float *xsum, int64_t nb) {
    const block_q4_1 *w = row;
    vf16 acc = {0};
    float macc = 0;
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        vf16 lo, hi;
        SUFFIX(unpack_nibbles)(w[b].qs, &lo, &hi);
        acc += H2F(w[b].d) * (lo * *(const vf16 *)x + hi * *(const vf16 *)(x + 16));
        macc += H2F(w[b].m) * xsum[b];
    }
    return SUFFIX(hsum16)(acc) + macc;
}

static float SUFFIX(dot_q4_0)(const void *row, const float *x, const float *xsum, int64_t nb) {
    const block_q4_0 *w = row;
    vf16 acc = {0};
    float macc = 0;
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        vf16 lo, hi;
        SUFFIX(unpack_nibbles)(w[b].qs, &lo, &hi);
        vf16 t = lo * *(const vf16 *)x + hi * *(const vf16 *)(x + 16);
        float d = H2F(w[b].d);
        acc += d * t;
        macc -= 8.0f * d * xsum[b];
    }
    return SUFFIX(hsum16)(acc) + macc;
}

// Q8_0 has no offset term: xsum is not read.
static void SUFFIX(dot4_q8_0)(const void *row, size_t rb, const float *x, const float *xsum, int64_t nb, float *out) {
    (void)xsum;
    const block_q8_0 *w0 = ST_ROW(block_q8_0, row, rb, 0), *w1 = ST_ROW(block_q8_0, row, rb, 1);
    const block_q8_0 *w2 = ST_ROW(block_q8_0, row, rb, 2), *w3 = ST_ROW(block_q8_0, row, rb, 3);
    vf16 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
#define ST_Q80_ROW(w, acc)                                                                    \
        acc += H2F(w[b].d) * (__builtin_convertvector(*(const vi8 *)w[b].qs, vf16) * xl        \
                            + __builtin_convertvector(*(const vi8 *)(w[b].qs + 16), vf16) * xh);
        ST_Q80_ROW(w0, acc0)
        ST_Q80_ROW(w1, acc1)
        ST_Q80_ROW(w2, acc2)
        ST_Q80_ROW(w3, acc3)
#undef ST_Q80_ROW
    }
    out[0] = SUFFIX(hsum16)(acc0);
    out[1] = SUFFIX(hsum16)(acc1);
    out[2] = SUFFIX(hsum16)(acc2);
    out[3] = SUFFIX(hsum16)(acc3);
}

static float SUFFIX(dot_q8_0)(const void *row, const float *x, const float *xsum, int64_t nb) {
    (void)xsum;
    const block_q8_0 *w = row;
    vf16 acc = {0};
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        vi8 q0 = *(const vi8 *)w[b].qs, q1 = *(const vi8 *)(w[b].qs + 16);
        vf16 t = __builtin_convertvector(q0, vf16) * *(const vf16 *)x
               + __builtin_convertvector(q1, vf16) * *(const vf16 *)(x + 16);
        acc += H2F(w[b].d) * t;
    }
    return SUFFIX(hsum16)(acc);
}

// NF4 re-laid: dot(W row, x) = Σ_b d_b · Σ_j level[q_j] · x_j, four rows at a time.
static void SUFFIX(dot4_nf4b)(const void *row, size_t rb, const float *x, const float *xsum, int64_t nb, float *out) {
    (void)xsum;
    const block_nf4b *w[4] = {ST_ROW(block_nf4b, row, rb, 0), ST_ROW(block_nf4b, row, rb, 1),
                              ST_ROW(block_nf4b, row, rb, 2), ST_ROW(block_nf4b, row, rb, 3)};
    SUFFIX(vacc) acc[4] = {{0}, {0}, {0}, {0}};
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
        // Rows 8-11 from here, as the Q4_1 and Q8_0 kernels prefetch.
        __builtin_prefetch((const uint8_t *)&w[0][b] + 8 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w[0][b] + 9 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w[0][b] + 10 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w[0][b] + 11 * rb + 64);
#pragma clang loop unroll(full)
        for (int i = 0; i < 4; i++) {
            const vu8 raw = *(const vu8 *)w[i][b].qs;
            SUFFIX(acc_block)(&acc[i], w[i][b].d, SUFFIX(lookup16)(raw, st_nf4_levels),
                              SUFFIX(lookup16)(raw >> 4, st_nf4_levels), xl, xh);
        }
    }
    for (int i = 0; i < 4; i++) out[i] = SUFFIX(hsum_acc)(acc[i]);
}

static float SUFFIX(dot_nf4b)(const void *row, const float *x, const float *xsum, int64_t nb) {
    (void)xsum;
    const block_nf4b *w = row;
    vf16 acc = {0};
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        const vu8 raw = *(const vu8 *)w[b].qs;
        acc += w[b].d * (SUFFIX(lookup16)(raw, st_nf4_levels) * *(const vf16 *)x
                         + SUFFIX(lookup16)(raw >> 4, st_nf4_levels) * *(const vf16 *)(x + 16));
    }
    return SUFFIX(hsum16)(acc);
}

// Decode with scale tables: d (and m) of every block already decoded to fp32 in side tables
// [rows][blocks] (built once when a core is loaded), so the inner loop does no fp16 conversion
// and the Q4_1 offset term becomes one contiguous dot product, sum_b m_b * xsum_b.
static void SUFFIX(dot4_q4_1_tab)(const void *row, size_t rb, const float *d, const float *mt, int64_t nb,
                                  const float *x, const float *xsum, float *out) {
    const block_q4_1 *w0 = ST_ROW(block_q4_1, row, rb, 0), *w1 = ST_ROW(block_q4_1, row, rb, 1);
    const block_q4_1 *w2 = ST_ROW(block_q4_1, row, rb, 2), *w3 = ST_ROW(block_q4_1, row, rb, 3);
    SUFFIX(vacc) acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
        vf16 lo, hi;
        // Rows 8-11 from here (two groups of four ahead: one group's work is about a DRAM
        // latency, so one ahead arrived late; 6% more decode tokens/s on Q4_1, AMD EPYC Zen 4):
        // short matrices end before the hardware prefetcher ramps up.
        __builtin_prefetch((const uint8_t *)&w0[b] + 8 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w0[b] + 9 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w0[b] + 10 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w0[b] + 11 * rb + 64);
        SUFFIX(unpack_nibbles)(w0[b].qs, &lo, &hi);
        SUFFIX(acc_block)(&acc0, d[b], lo, hi, xl, xh);
        SUFFIX(unpack_nibbles)(w1[b].qs, &lo, &hi);
        SUFFIX(acc_block)(&acc1, d[nb + b], lo, hi, xl, xh);
        SUFFIX(unpack_nibbles)(w2[b].qs, &lo, &hi);
        SUFFIX(acc_block)(&acc2, d[2 * nb + b], lo, hi, xl, xh);
        SUFFIX(unpack_nibbles)(w3[b].qs, &lo, &hi);
        SUFFIX(acc_block)(&acc3, d[3 * nb + b], lo, hi, xl, xh);
    }
    out[0] = SUFFIX(hsum_acc)(acc0) + SUFFIX(st_sdot)(mt, xsum, nb);
    out[1] = SUFFIX(hsum_acc)(acc1) + SUFFIX(st_sdot)(mt + nb, xsum, nb);
    out[2] = SUFFIX(hsum_acc)(acc2) + SUFFIX(st_sdot)(mt + 2 * nb, xsum, nb);
    out[3] = SUFFIX(hsum_acc)(acc3) + SUFFIX(st_sdot)(mt + 3 * nb, xsum, nb);
}

static void SUFFIX(dot4_q8_0_tab)(const void *row, size_t rb, const float *d, const float *mt, int64_t nb,
                                  const float *x, const float *xsum, float *out) {
    (void)mt, (void)xsum;
    const block_q8_0 *w0 = ST_ROW(block_q8_0, row, rb, 0), *w1 = ST_ROW(block_q8_0, row, rb, 1);
    const block_q8_0 *w2 = ST_ROW(block_q8_0, row, rb, 2), *w3 = ST_ROW(block_q8_0, row, rb, 3);
    SUFFIX(vacc) acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    for (int64_t b = 0; b < nb; b++, x += ST_QK) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
        __builtin_prefetch((const uint8_t *)&w0[b] + 8 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w0[b] + 9 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w0[b] + 10 * rb + 64);
        __builtin_prefetch((const uint8_t *)&w0[b] + 11 * rb + 64);
#define ST_Q80_TAB(w, k, acc)                                                                         \
        SUFFIX(acc_block)(&acc, d[(k) * nb + b], __builtin_convertvector(*(const vi8 *)w[b].qs, vf16),      \
                          __builtin_convertvector(*(const vi8 *)(w[b].qs + 16), vf16), xl, xh);
        ST_Q80_TAB(w0, 0, acc0)
        ST_Q80_TAB(w1, 1, acc1)
        ST_Q80_TAB(w2, 2, acc2)
        ST_Q80_TAB(w3, 3, acc3)
#undef ST_Q80_TAB
    }
    out[0] = SUFFIX(hsum_acc)(acc0);
    out[1] = SUFFIX(hsum_acc)(acc1);
    out[2] = SUFFIX(hsum_acc)(acc2);
    out[3] = SUFFIX(hsum_acc)(acc3);
}

// The row loops over one format's dot kernels: four rows at a time where the format has a dot4
// kernel, then row by row. Inlined with constant kernels into one function per format (below),
// so a matrix operation makes one indirect call, not one per row.
typedef float (*SUFFIX(dot_fn))(const void *, const float *, const float *, int64_t);
typedef void (*SUFFIX(dot4_fn))(const void *, size_t, const float *, const float *, int64_t, float *);
typedef void (*SUFFIX(dot4_tab_fn))(const void *, size_t, const float *, const float *, int64_t, const float *,
                                    const float *, float *);

static inline __attribute__((always_inline)) void SUFFIX(dot_rows_using)(
    SUFFIX(dot4_fn) dot4, SUFFIX(dot_fn) dot, const void *w, size_t rb, const float *x, const float *xsum, int64_t nb,
    float *y, int64_t r0, int64_t r1) {
    int64_t r = r0;
    if (dot4)
        for (; r + 4 <= r1; r += 4) dot4(ST_ROW(uint8_t, w, rb, r), rb, x, xsum, nb, y + r);
    for (; r < r1; r++) y[r] = dot(ST_ROW(uint8_t, w, rb, r), x, xsum, nb);
}

static inline __attribute__((always_inline)) void SUFFIX(dot_rows_tab_using)(
    SUFFIX(dot4_tab_fn) dot4_tab, SUFFIX(dot_fn) dot, const void *w, size_t rb, const float *dtab, const float *mtab,
    int64_t nb, const float *x, const float *xsum, float *y, int64_t r0, int64_t r1) {
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4)
        dot4_tab(ST_ROW(uint8_t, w, rb, r), rb, dtab + r * nb, mtab ? mtab + r * nb : NULL, nb, x, xsum, y + r);
    for (; r < r1; r++) y[r] = dot(ST_ROW(uint8_t, w, rb, r), x, xsum, nb);
}

static void SUFFIX(dot_rows_q4_0)(const void *w, size_t rb, const float *x, const float *xsum, int64_t nb, float *y,
                                  int64_t r0, int64_t r1) {
    SUFFIX(dot_rows_using)(NULL, SUFFIX(dot_q4_0), w, rb, x, xsum, nb, y, r0, r1);
}

static void SUFFIX(dot_rows_q4_1)(const void *w, size_t rb, const float *x, const float *xsum, int64_t nb, float *y,
                                  int64_t r0, int64_t r1) {
    SUFFIX(dot_rows_using)(SUFFIX(dot4_q4_1), SUFFIX(dot_q4_1), w, rb, x, xsum, nb, y, r0, r1);
}

static void SUFFIX(dot_rows_q8_0)(const void *w, size_t rb, const float *x, const float *xsum, int64_t nb, float *y,
                                  int64_t r0, int64_t r1) {
    SUFFIX(dot_rows_using)(SUFFIX(dot4_q8_0), SUFFIX(dot_q8_0), w, rb, x, xsum, nb, y, r0, r1);
}

static void SUFFIX(dot_rows_nf4b)(const void *w, size_t rb, const float *x, const float *xsum, int64_t nb, float *y,
                                  int64_t r0, int64_t r1) {
    SUFFIX(dot_rows_using)(SUFFIX(dot4_nf4b), SUFFIX(dot_nf4b), w, rb, x, xsum, nb, y, r0, r1);
}

static void SUFFIX(dot_rows_tab_q4_1)(const void *w, size_t rb, const float *dtab, const float *mtab, int64_t nb,
                                      const float *x, const float *xsum, float *y, int64_t r0, int64_t r1) {
    SUFFIX(dot_rows_tab_using)(SUFFIX(dot4_q4_1_tab), SUFFIX(dot_q4_1), w, rb, dtab, mtab, nb, x, xsum, y, r0, r1);
}

static void SUFFIX(dot_rows_tab_q8_0)(const void *w, size_t rb, const float *dtab, const float *mtab, int64_t nb,
                                      const float *x, const float *xsum, float *y, int64_t r0, int64_t r1) {
    SUFFIX(dot_rows_tab_using)(SUFFIX(dot4_q8_0_tab), SUFFIX(dot_q8_0), w, rb, dtab, mtab, nb, x, xsum, y, r0, r1);
}

// ---- dot products off the blocks through unpacked units (Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) ------
// Each unit of a row (a 32-weight block, or a 256-weight super-block) is unpacked with byte
// operations into signed 8-bit codes (on the stack: L1) and one fp32 scale (and offset) per 16
// weights; one loop shared by these formats then converts 16 codes at a time and sums
//
//   y[r] = Σ_g scale[g] · Σ_{j<16} code[16g + j] · x[16g + j]  +  Σ_g offset[g] · xsum16[g]
//
// with xsum16[g] = Σ x over weights 16g .. 16g + 15 computed once per x (wants_xsum = 16). The
// codes are exact and every scale is an fp16 value times a small integer (exact in fp32), so the
// results differ from decode-then-dot only by the order of the fp32 sums. Before these kernels,
// perf put 31% of a decode step on llama.cpp's Q4_K_M of the real core (mostly Q5_0) in
// dequant_row_q5_0 and 24% in the fp32 dots after it (AMD EPYC, Zen 4, December 2026).

/// One unpacked unit: up to 256 signed codes and a scale and offset per 16 of them.
typedef struct {
    int8_t q[QK_K] __attribute__((aligned(64)));
    float scale[QK_K / 16] __attribute__((aligned(64)));
    float offset[QK_K / 16] __attribute__((aligned(64)));
} SUFFIX(st_unit);

// Q5_0 and Q5_1: code j = nibble j | bit j of qh << 4 (as unpack_codes5), minus `center`.
static inline __attribute__((always_inline)) void SUFFIX(unit_codes5)(const uint8_t *qs, const uint8_t *qh,
                                                                      uint8_t center, int8_t *q) {
#if defined(ST_AVX512_MASKS)
    // AVX-512 BW: the 32 bits of qh are a byte mask; one masked add puts 16 on the codes it marks
    // (two instructions where the shuffle and compare below take about eight).
    const __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    const __m256i nibbles = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), _mm_set1_epi8(0x0F)),
                                             _mm_and_si128(raw, _mm_set1_epi8(0x0F)));
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i codes = _mm256_mask_add_epi8(nibbles, _cvtu32_mask32(bits), nibbles, _mm256_set1_epi8(16));
    _mm256_storeu_si256((__m256i *)q, _mm256_sub_epi8(codes, _mm256_set1_epi8((char)center)));
#else
    const vu8x32 fifth = SUFFIX(fifth_bits)(qh);
    const vu8 raw = *(const vu8 *)qs;
    const vu8x32 nibbles = __builtin_shufflevector(raw & (uint8_t)0x0F, raw >> 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                   11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                                                   27, 28, 29, 30, 31);
    *(vu8x32 *)q = (nibbles | fifth) - center;
#endif
}

static inline __attribute__((always_inline)) void SUFFIX(unit_q5_0)(const void *src, SUFFIX(st_unit) *u) {
    const block_q5_0 *b = src;
    SUFFIX(unit_codes5)(b->qs, b->qh, 16, u->q);
    u->scale[0] = u->scale[1] = H2F(b->d);
}

static inline __attribute__((always_inline)) void SUFFIX(unit_q5_1)(const void *src, SUFFIX(st_unit) *u) {
    const block_q5_1 *b = src;
    SUFFIX(unit_codes5)(b->qs, b->qh, 0, u->q);
    u->scale[0] = u->scale[1] = H2F(b->d);
    u->offset[0] = u->offset[1] = H2F(b->m);
}

// Q4_K and Q5_K: sub-blocks 2p and 2p + 1 (32 weights each, one 6-bit scale and minimum) are the
// low and high nibbles of qs[32p .. 32p + 32); in Q5_K bit j of qh[l] is bit 4 of code l of
// sub-block j.
static inline __attribute__((always_inline)) void SUFFIX(unit_k4)(uint16_t dh, uint16_t dminh, const uint8_t *scales,
                                                                  const uint8_t *qs, const uint8_t *qh,
                                                                  SUFFIX(st_unit) *u) {
    const float d = H2F(dh), dmin = H2F(dminh);
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        st_k4_scale_min(j, scales, &sc, &m);
        u->scale[2 * j] = u->scale[2 * j + 1] = d * (float)sc;
        u->offset[2 * j] = u->offset[2 * j + 1] = -(dmin * (float)m);
    }
#pragma clang loop unroll(full)
    for (int p = 0; p < 4; p++) {
        const vu8x32 raw = *(const vu8x32 *)(qs + 32 * p);
        vu8x32 lo = raw & (uint8_t)0x0F, hi = raw >> 4;
        if (qh) {
            const vu8x32 h = *(const vu8x32 *)qh;
            lo |= ((h >> (2 * p)) & (uint8_t)1) << 4;
            hi |= ((h >> (2 * p + 1)) & (uint8_t)1) << 4;
        }
        *(vu8x32 *)(u->q + 64 * p) = lo;
        *(vu8x32 *)(u->q + 64 * p + 32) = hi;
    }
}

static inline __attribute__((always_inline)) void SUFFIX(unit_q4_K)(const void *src, SUFFIX(st_unit) *u) {
    const block_q4_K *b = src;
    SUFFIX(unit_k4)(b->d, b->dmin, b->scales, b->qs, NULL, u);
}

static inline __attribute__((always_inline)) void SUFFIX(unit_q5_K)(const void *src, SUFFIX(st_unit) *u) {
    const block_q5_K *b = src;
    SUFFIX(unit_k4)(b->d, b->dmin, b->scales, b->qs, b->qh, u);
}

// Q6_K, half h (weights 128h ..): codes 0..31 are the low nibbles of ql[64h ..) with bits 0-1 of
// qh[32h + l] on top, 32..63 the low nibbles of ql[64h + 32 ..) with bits 2-3, 64..95 the high
// nibbles of the first 32 with bits 4-5, 96..127 the high nibbles of the second with bits 6-7;
// minus 32. Sixteen signed sub-block scales, one per 16 weights, in order.
static inline __attribute__((always_inline)) void SUFFIX(unit_q6_K)(const void *src, SUFFIX(st_unit) *u) {
    const block_q6_K *b = src;
    const float d = H2F(b->d);
    *(vf16 *)u->scale = d * __builtin_convertvector(*(const vi8 *)b->scales, vf16);
#pragma clang loop unroll(full)
    for (int h = 0; h < 2; h++) {
        const vu8x32 l0 = *(const vu8x32 *)(b->ql + 64 * h), l1 = *(const vu8x32 *)(b->ql + 64 * h + 32);
        const vu8x32 hb = *(const vu8x32 *)(b->qh + 32 * h);
        int8_t *q = u->q + 128 * h;
        *(vu8x32 *)q = ((l0 & (uint8_t)0x0F) | (hb & (uint8_t)3) << 4) - (uint8_t)32;
        *(vu8x32 *)(q + 32) = ((l1 & (uint8_t)0x0F) | ((hb >> 2) & (uint8_t)3) << 4) - (uint8_t)32;
        *(vu8x32 *)(q + 64) = ((l0 >> 4) | ((hb >> 4) & (uint8_t)3) << 4) - (uint8_t)32;
        *(vu8x32 *)(q + 96) = ((l1 >> 4) | (hb >> 6) << 4) - (uint8_t)32;
    }
}

typedef void (*SUFFIX(unit_fn))(const void *, SUFFIX(st_unit) *);

// y[r] = dot(W row r, x) for r in [r0, r1): rows of `nb` units of `unit` weights (`unit_bytes`
// each), rows `rb` bytes apart; xsum16 as above when has_offset.
static inline __attribute__((always_inline)) void SUFFIX(dot_rows_units)(
    SUFFIX(unit_fn) unpack, int unit, size_t unit_bytes, int has_offset, const void *w, size_t rb, const float *x,
    const float *xsum16, int64_t nb, float *y, int64_t r0, int64_t r1) {
    const int groups = unit / 16;
    SUFFIX(st_unit) u;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * rb;
        SUFFIX(vacc) acc0 = {0}, acc1 = {0};
        vf16 offv = {0};
        float off = 0;
        for (int64_t k = 0; k < nb; k++) {
            // The same unit four rows on: a short matrix ends before the hardware prefetcher ramps up.
            __builtin_prefetch(row + 4 * rb + k * unit_bytes);
            unpack(row + k * unit_bytes, &u);
            const float *xu = x + k * unit;
#pragma clang loop unroll(full)
            for (int g = 0; g < groups; g += 2) {
                const vf16 q0 = __builtin_convertvector(*(const vi8 *)(u.q + 16 * g), vf16);
                const vf16 q1 = __builtin_convertvector(*(const vi8 *)(u.q + 16 * g + 16), vf16);
                SUFFIX(acc_group)(&acc0, u.scale[g], q0, *(const vf16 *)(xu + 16 * g));
                SUFFIX(acc_group)(&acc1, u.scale[g + 1], q1, *(const vf16 *)(xu + 16 * g + 16));
            }
            if (has_offset && groups == 16) {
                offv += *(const vf16 *)u.offset * *(const vf16 *)(xsum16 + k * groups);
            } else if (has_offset) {
                for (int g = 0; g < groups; g++) off += u.offset[g] * xsum16[k * groups + g];
            }
        }
        y[r] = SUFFIX(hsum_acc_tree)(acc0 + acc1) + (SUFFIX(hsum16_tree)(offv) + off);
    }
}

#define ST_DOT_ROWS_UNITS(name, unit, block, has_offset)                                                          \
    static void SUFFIX(dot_rows_##name)(const void *w, size_t rb, const float *x, const float *xsum, int64_t nb, \
                                        float *y, int64_t r0, int64_t r1) {                                       \
        SUFFIX(dot_rows_units)(SUFFIX(unit_##name), unit, sizeof(block), has_offset, w, rb, x, xsum, nb, y, r0, r1); \
    }
ST_DOT_ROWS_UNITS(q5_0, ST_QK, block_q5_0, 0)
ST_DOT_ROWS_UNITS(q5_1, ST_QK, block_q5_1, 1)
ST_DOT_ROWS_UNITS(q4_K, QK_K, block_q4_K, 1)
ST_DOT_ROWS_UNITS(q5_K, QK_K, block_q5_K, 1)
ST_DOT_ROWS_UNITS(q6_K, QK_K, block_q6_K, 0)
#undef ST_DOT_ROWS_UNITS

// Σ x over each run of `width` (16 or 32) weights: xsum[b] for the offset terms of the formats
// with minimums (st_kernels.wants_xsum).
static void SUFFIX(block_sums)(const float *x, int64_t cols, int width, float *xsum) {
    for (int64_t b = 0; b < cols / width; b++) {
        vf16 s = *(const vf16 *)(x + width * b);
        if (width == 32) s += *(const vf16 *)(x + width * b + 16);
        xsum[b] = SUFFIX(hsum16)(s);
    }
}

// y[r] = dot(W row r, x) for r in [r0, r1) using scale tables (dtab, and mtab for Q4_1).
void SUFFIX(st_matvec_tab)(const st_format *f, const void *w, size_t row_bytes, int64_t cols, const float *dtab,
                            const float *mtab, const float *x, float *y, int64_t r0, int64_t r1, float *scratch) {
    const st_kernels *k = &SUFFIX(st_kernels)[f->kind];
    const int64_t nb = cols / ST_QK;
    float *xsum = scratch;
    if (k->wants_xsum) SUFFIX(block_sums)(x, cols, k->wants_xsum, xsum);
    k->dot_rows_tab(w, row_bytes, dtab, mtab, nb, x, xsum, y, r0, r1);
}

// ---- NT GEMM: C[i, j] = dot(A[i, :], B[j, :]) --------------------------------------------

void SUFFIX(st_sgemm_nn)(const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int64_t m, int64_t n, int64_t k, int accumulate);

// Floats of the transposed panel of B that a short-k NT product packs on the stack (32 KiB).
#define ST_NT_PANEL_FLOATS 8192

void SUFFIX(st_sgemm_nt)(const float *a, int64_t lda, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int64_t m, int64_t j0, int64_t j1, int64_t k, int accumulate) {
    // Short k and many columns (attention: Q·Kᵀ and dO·Vᵀ, k = the head dimension): the
    // dot-product tile below ends every output with a horizontal sum, as costly as its k/VL
    // FMAs. Instead, B's columns are transposed panel by panel into [k][width] (L1-sized) and
    // the broadcast NN micro-kernel runs on them: 12 FMAs per 2 loads, no horizontal sums.
    if (k <= ST_NT_PANEL_FLOATS / (4 * VL) && j1 - j0 >= 2 * VL && m >= 6) {
        float panel[ST_NT_PANEL_FLOATS] __attribute__((aligned(64)));
        const int64_t width = ST_NT_PANEL_FLOATS / k / (2 * VL) * (2 * VL);
        for (int64_t jc = j0; jc < j1; jc += width) {
            const int64_t n = j1 - jc < width ? j1 - jc : width;
            for (int64_t jj = 0; jj < n; jj++) {
                const float *src = b + (jc + jj) * ldb;
                for (int64_t kk = 0; kk < k; kk++) panel[kk * n + jj] = src[kk];
            }
            SUFFIX(st_sgemm_nn)(a, lda, 1, panel, n, c + jc, ldc, m, n, k, accumulate);
        }
        return;
    }
    const int64_t kv = k / VL * VL;
    int64_t i = 0;
    for (; i + TM <= m; i += TM) {
        int64_t j = j0;
        for (; j + TN <= j1; j += TN) {
            vf acc[TM][TN];
            for (int ii = 0; ii < TM; ii++)
                for (int jj = 0; jj < TN; jj++) acc[ii][jj] = (vf){0};
            for (int64_t kk = 0; kk < kv; kk += VL) {
                vf av[TM], bv[TN];
                for (int ii = 0; ii < TM; ii++) av[ii] = *(const vf *)(a + (i + ii) * lda + kk);
                for (int jj = 0; jj < TN; jj++) bv[jj] = *(const vf *)(b + (j + jj) * ldb + kk);
                for (int ii = 0; ii < TM; ii++)
                    for (int jj = 0; jj < TN; jj++) acc[ii][jj] += av[ii] * bv[jj];
            }
            for (int ii = 0; ii < TM; ii++)
                for (int jj = 0; jj < TN; jj++) {
                    float s = SUFFIX(hsum)(acc[ii][jj]);
                    for (int64_t kk = kv; kk < k; kk++) s += a[(i + ii) * lda + kk] * b[(j + jj) * ldb + kk];
                    float *out = c + (i + ii) * ldc + j + jj;
                    *out = accumulate ? *out + s : s;
                }
        }
        for (; j < j1; j++)
            for (int ii = 0; ii < TM; ii++) {
                float s = SUFFIX(st_sdot)(a + (i + ii) * lda, b + j * ldb, k);
                float *out = c + (i + ii) * ldc + j;
                *out = accumulate ? *out + s : s;
            }
    }
    for (; i < m; i++)
        for (int64_t j = j0; j < j1; j++) {
            float s = SUFFIX(st_sdot)(a + i * lda, b + j * ldb, k);
            float *out = c + i * ldc + j;
            *out = accumulate ? *out + s : s;
        }
}

// ---- quantized GEMM ------------------------------------------------------------------------
//
// Batched rows of X (m > 2: prefill, training): each weight row is dequantized once per chunk of
// X into a contiguous row, and X is packed transposed in tiles of ST_MR rows (two vectors), so no
// weight is ever transposed. (The previous kernel packed 2 vectors' worth of W rows transposed,
// one scalar store per weight: perf on the Intel Xeon put 60% of st_qgemm's prefill time in that
// loop, December 2026.) Each output is still X[i, :] . W[r, :] summed in k order, one FMA per k,
// so results are bit for bit those of the previous kernel and of every ISA build.

#define ST_MR (2 * VL)  // rows of X per tile (two vectors)
#define ST_WR 6         // rows of W per register tile
#define ST_MC 256       // rows of X packed at a time (a multiple of ST_MR in every build)

// xt[kk * ST_MR + l] = X[l, kk] for l < n, zero for n <= l < ST_MR: one tile of X, k-major.
// k outer: the n rows' cache lines stay in L1 while 16 k steps read them; the stores are contiguous.
static void SUFFIX(pack_xt)(const float *x, int64_t ldx, int64_t n, int64_t cols, float *xt) {
    for (int64_t kk = 0; kk < cols; kk++) {
        float *dst = xt + kk * ST_MR;
        int64_t l = 0;
        for (; l < n; l++) dst[l] = x[l * ldx + kk];
        for (; l < ST_MR; l++) dst[l] = 0;
    }
}

// Y[l, j] = sum_k W[j, k] * X[l, k] for j < nw (<= ST_WR) and l < n (<= ST_MR), with W's rows
// contiguous (stride cols) and X's tile packed by pack_xt. Register tile: 6 rows of W by two
// vectors of X rows; each k step loads two vectors and broadcasts six weights for twelve FMAs.
// (A 12 x 2 tile for AVX-512's 32 registers measured slower: 114-125 against 134-139 GFLOP/s; so
// did blocking k by 128 so that a tile's slice of X stays in L1 while 48 rows of W pass, with the
// sums carried across blocks: prefill 322-360 against 408-435 tokens/s, Intel Xeon.)
static void SUFFIX(gemm_wx)(const float *w, int64_t cols, int64_t nw, const float *xt,
                            float *y, int64_t ldy, int64_t n) {
    // Rows past nw read row 0 again (valid memory); their sums are not stored.
    const float *w0 = w, *w1 = w + (nw > 1 ? 1 : 0) * cols, *w2 = w + (nw > 2 ? 2 : 0) * cols;
    const float *w3 = w + (nw > 3 ? 3 : 0) * cols, *w4 = w + (nw > 4 ? 4 : 0) * cols, *w5 = w + (nw > 5 ? 5 : 0) * cols;
    vf a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0};
    vf a30 = {0}, a31 = {0}, a40 = {0}, a41 = {0}, a50 = {0}, a51 = {0};
    for (int64_t kk = 0; kk < cols; kk++) {
        const vf b0 = *(const vf *)(xt + kk * ST_MR), b1 = *(const vf *)(xt + kk * ST_MR + VL);
        float s;
        s = w0[kk]; a00 += s * b0; a01 += s * b1;
        s = w1[kk]; a10 += s * b0; a11 += s * b1;
        s = w2[kk]; a20 += s * b0; a21 += s * b1;
        s = w3[kk]; a30 += s * b0; a31 += s * b1;
        s = w4[kk]; a40 += s * b0; a41 += s * b1;
        s = w5[kk]; a50 += s * b0; a51 += s * b1;
    }
    vf acc[ST_WR][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
    for (int64_t l = 0; l < n; l++) {
        float *out = y + l * ldy;
        const int v = l < VL ? 0 : 1;
        const int lane = (int)(l - v * VL);
        for (int64_t j = 0; j < nw; j++) out[j] = acc[j][v][lane];
    }
}

#define ST_DR 4  // rows of W decoded at a time for one or two rows of X

// out[j] = dot(W row j, x) for j < nw (<= ST_DR), W's rows contiguous (stride cols): x is loaded
// once for the ST_DR rows, whose four accumulators are independent.
static void SUFFIX(dot_rows_f32)(const float *w, int64_t cols, int64_t nw, const float *x, float *out) {
    // Rows past nw read row 0 again (valid memory); their sums are not stored.
    const float *w0 = w, *w1 = w + (nw > 1 ? 1 : 0) * cols, *w2 = w + (nw > 2 ? 2 : 0) * cols;
    const float *w3 = w + (nw > 3 ? 3 : 0) * cols;
    vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int64_t kk = 0;
    for (; kk + VL <= cols; kk += VL) {
        const vf xv = *(const vf *)(x + kk);
        a0 += *(const vf *)(w0 + kk) * xv;
        a1 += *(const vf *)(w1 + kk) * xv;
        a2 += *(const vf *)(w2 + kk) * xv;
        a3 += *(const vf *)(w3 + kk) * xv;
    }
    float s[ST_DR] = {SUFFIX(hsum)(a0), SUFFIX(hsum)(a1), SUFFIX(hsum)(a2), SUFFIX(hsum)(a3)};
    for (; kk < cols; kk++) {
        s[0] += w0[kk] * x[kk];
        s[1] += w1[kk] * x[kk];
        s[2] += w2[kk] * x[kk];
        s[3] += w3[kk] * x[kk];
    }
    for (int64_t j = 0; j < nw; j++) out[j] = s[j];
}

// Y[i, r] = dot(X row i, W row r) for i < m, r in [r0, r1).
void SUFFIX(st_qgemm)(const st_format *f, const void *w, size_t row_bytes, int64_t cols,
                       const float *x, int64_t ldx, int64_t m,
                       float *y, int64_t ldy, int64_t r0, int64_t r1, float *scratch) {
    const st_kernels *k = &SUFFIX(st_kernels)[f->kind];
    if (f->kind == ST_KIND_F32) {
        SUFFIX(st_sgemm_nt)(x, ldx, (const float *)w, (int64_t)(row_bytes / 4), y, ldy, m, r0, r1, cols, 0);
        return;
    }
    if (m <= 2 && k->dot_rows) {
        // One or two rows of X (decode without scale tables): dot products straight off the blocks.
        const int64_t nb = cols / f->block;
        for (int64_t i = 0; i < m; i++) {
            const float *xi = x + i * ldx;
            float *xsum = scratch;
            if (k->wants_xsum) SUFFIX(block_sums)(xi, cols, k->wants_xsum, xsum);
            k->dot_rows(w, row_bytes, xi, xsum, nb, y + i * ldy, r0, r1);
        }
        return;
    }
    if (m <= 2) {
        // One or two rows of X, a format without dot kernels (decode): padded to a tile of the
        // batched kernel below, each would spend 2 * VL lanes of FMAs per weight. Instead rows of
        // W are decoded ST_DR at a time into scratch (L1) and dotted with the rows of X, while the
        // next ST_DR rows are prefetched (a matrix is too short for the hardware prefetcher).
        for (int64_t r = r0; r < r1; r += ST_DR) {
            const int64_t nw = r1 - r < ST_DR ? r1 - r : ST_DR;
            const int64_t ahead = r1 - (r + nw) < ST_DR ? r1 - (r + nw) : ST_DR;
            for (int64_t j = 0; j < ahead; j++)
                for (size_t b = 0; b < row_bytes; b += 64)
                    __builtin_prefetch(ST_ROW(uint8_t, w, row_bytes, r + nw + j) + b);
            for (int64_t j = 0; j < nw; j++)
                k->dequant_row(ST_ROW(uint8_t, w, row_bytes, r + j), cols, scratch + j * cols);
            for (int64_t i = 0; i < m; i++) SUFFIX(dot_rows_f32)(scratch, cols, nw, x + i * ldx, y + i * ldy + r);
        }
        return;
    }
    // Scratch: the packed chunk of X (ST_MC rows), then ST_WR dequantized rows of W.
    float *xt = scratch;
    float *wbuf = scratch + (size_t)ST_MC * (size_t)cols;
    for (int64_t i0 = 0; i0 < m; i0 += ST_MC) {
        const int64_t mc = m - i0 < ST_MC ? m - i0 : ST_MC;
        const int64_t tiles = (mc + ST_MR - 1) / ST_MR;
        for (int64_t t = 0; t < tiles; t++) {
            const int64_t n = mc - t * ST_MR < ST_MR ? mc - t * ST_MR : ST_MR;
            SUFFIX(pack_xt)(x + (i0 + t * ST_MR) * ldx, ldx, n, cols, xt + t * ST_MR * cols);
        }
        for (int64_t r = r0; r < r1; r += ST_WR) {
            const int64_t nw = r1 - r < ST_WR ? r1 - r : ST_WR;
            for (int64_t j = 0; j < nw; j++) k->dequant_row(ST_ROW(uint8_t, w, row_bytes, r + j), cols, wbuf + j * cols);
            for (int64_t t = 0; t < tiles; t++) {
                const int64_t n = mc - t * ST_MR < ST_MR ? mc - t * ST_MR : ST_MR;
                SUFFIX(gemm_wx)(wbuf, cols, nw, xt + t * ST_MR * cols, y + (i0 + t * ST_MR) * ldy + r, ldy, n);
            }
        }
    }
}

// ---- NN GEMM: C[i, j] (+)= sum_k A[i, k] * B[k, j] ------------------------------------------
// A is read through strides (rsa between rows, csa between k), so a transposed operand costs
// nothing; B is row-major with contiguous j. Register tile: 4 rows of C by two vectors.

void SUFFIX(st_sgemm_nn)(const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int64_t m, int64_t n, int64_t k, int accumulate) {
    if (!accumulate)
        for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
    const int64_t nv = n / (2 * VL) * (2 * VL);
    const int64_t m6 = m / 6 * 6;
    // Columns outer, rows inner: one k x 2-vector slice of B (k = 128 floats deep in the
    // backward products: 16 KiB on AVX-512) stays in L1 while every block of six rows of A passes,
    // instead of all of B (hundreds of KiB, L2) being read again for each block of rows. Each
    // element of C is still summed in k order, so results do not change.
    for (int64_t j = 0; j < nv; j += 2 * VL) {
        for (int64_t i = 0; i < m6; i += 6) {
            vf acc[6][2];
            for (int ii = 0; ii < 6; ii++) {
                acc[ii][0] = *(vf *)(c + (i + ii) * ldc + j);
                acc[ii][1] = *(vf *)(c + (i + ii) * ldc + j + VL);
            }
            const float *a0 = a + i * rsa;
            for (int64_t kk = 0; kk < k; kk++) {
                const vf b0 = *(const vf *)(b + kk * ldb + j), b1 = *(const vf *)(b + kk * ldb + j + VL);
                const float *ak = a0 + kk * csa;
                for (int ii = 0; ii < 6; ii++) {
                    const float s = ak[ii * rsa];
                    acc[ii][0] += s * b0;
                    acc[ii][1] += s * b1;
                }
            }
            for (int ii = 0; ii < 6; ii++) {
                *(vf *)(c + (i + ii) * ldc + j) = acc[ii][0];
                *(vf *)(c + (i + ii) * ldc + j + VL) = acc[ii][1];
            }
        }
        // The last m mod 6 rows (a LoRA rank of 8 leaves two), on the same slice of B while it is
        // in cache: sums held in registers over k, two rows at a time, where a loop over k that
        // loaded and stored each vector of C per step ran at about a third of the tile's rate.
        // Each element is still summed in k order from its value in C: the same results.
        int64_t i = m6;
        for (; i + 2 <= m; i += 2) {
            const float *a0 = a + i * rsa, *a1 = a0 + rsa;
            float *c0 = c + i * ldc, *c1 = c0 + ldc;
            vf s00 = *(vf *)(c0 + j), s01 = *(vf *)(c0 + j + VL), s10 = *(vf *)(c1 + j), s11 = *(vf *)(c1 + j + VL);
            for (int64_t kk = 0; kk < k; kk++) {
                const vf b0 = *(const vf *)(b + kk * ldb + j), b1 = *(const vf *)(b + kk * ldb + j + VL);
                const float x0 = a0[kk * csa], x1 = a1[kk * csa];
                s00 += x0 * b0;
                s01 += x0 * b1;
                s10 += x1 * b0;
                s11 += x1 * b1;
            }
            *(vf *)(c0 + j) = s00, *(vf *)(c0 + j + VL) = s01, *(vf *)(c1 + j) = s10, *(vf *)(c1 + j + VL) = s11;
        }
        if (i < m) {
            const float *ai = a + i * rsa;
            float *ci = c + i * ldc;
            vf s0 = *(vf *)(ci + j), s1 = *(vf *)(ci + j + VL);
            for (int64_t kk = 0; kk < k; kk++) {
                const float x = ai[kk * csa];
                s0 += x * *(const vf *)(b + kk * ldb + j);
                s1 += x * *(const vf *)(b + kk * ldb + j + VL);
            }
            *(vf *)(ci + j) = s0, *(vf *)(ci + j + VL) = s1;
        }
    }
    for (int64_t r = 0; r < m6; r++)
        for (int64_t kk = 0; kk < k; kk++) {
            const float x = a[r * rsa + kk * csa];
            for (int64_t j = nv; j < n; j++) c[r * ldc + j] += x * b[kk * ldb + j];
        }
    // Columns past the last two-vector slice, for those rows.
    for (int64_t r = m6; r < m; r++)
        for (int64_t kk = 0; kk < k; kk++) {
            const float x = a[r * rsa + kk * csa];
            int64_t j = nv;
            for (; j + VL <= n; j += VL) *(vf *)(c + r * ldc + j) += x * *(const vf *)(b + kk * ldb + j);
            for (; j < n; j++) c[r * ldc + j] += x * b[kk * ldb + j];
        }
}

#define ST_NN_PANEL_ROWS 128

// dX[:, c0:c1] (+)= dY · W[:, c0:c1] for a quantized W of `rows` x `cols`: the backward product
// through a frozen projection. Columns [c0, c1) start and end on block boundaries; W's rows are
// dequantized ST_NN_PANEL_ROWS at a time (only the blocks covering c0..c1) into scratch.
void SUFFIX(st_qgemm_nn)(const st_format *f, const void *w, size_t row_bytes, int64_t rows, int64_t c0, int64_t c1,
                          const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate,
                          float *scratch) {
    void (*const dequant_row)(const void *, int64_t, float *) = SUFFIX(st_kernels)[f->kind].dequant_row;
    const int64_t width = c1 - c0;
    const size_t skip = (size_t)(c0 / f->block) * f->block_bytes;
    for (int64_t r = 0; r < rows; r += ST_NN_PANEL_ROWS) {
        int64_t n = rows - r < ST_NN_PANEL_ROWS ? rows - r : ST_NN_PANEL_ROWS;
        for (int64_t rr = 0; rr < n; rr++)
            dequant_row(ST_ROW(uint8_t, w, row_bytes, r + rr) + skip, width, scratch + rr * width);
        SUFFIX(st_sgemm_nn)(dy + r, lddy, 1, scratch, width, dx + c0, lddx, m, width, n, accumulate || r > 0);
    }
}

// ---- elementwise: exp, SwiGLU, softmax ----------------------------------------------------
// expf to about 2 ulp: exp(x) = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 (two-part
// ln 2), e^r by a degree-6 polynomial on |r| ≤ ln2/2, 2^n assembled in the exponent bits.
static inline vf SUFFIX(vexp)(vf x) {
    typedef int32_t vi __attribute__((vector_size(VL * 4)));
    x = __builtin_elementwise_max(x, (vf){0} - 87.3f);
    x = __builtin_elementwise_min(x, (vf){0} + 88.7f);
    vf n = __builtin_elementwise_roundeven(x * 1.44269504088896341f);
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vf p = (vf){0} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    vi e = (__builtin_convertvector(n, vi) + 127) << 23;
    vf scale;
    memcpy(&scale, &e, sizeof scale);
    return p * scale;
}

static inline float SUFFIX(sexp)(float x) {
    vf v = {0};
    v[0] = x;
    return SUFFIX(vexp)(v)[0];
}

// out = silu(gate) * up, silu(g) = g / (1 + e^-g)
void SUFFIX(st_swiglu)(const float *gate, const float *up, float *out, int64_t n) {
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
        vf g = *(const vf *)(gate + i);
        *(vf *)(out + i) = g / (1.0f + SUFFIX(vexp)(-g)) * *(const vf *)(up + i);
    }
    for (; i < n; i++) out[i] = gate[i] / (1.0f + SUFFIX(sexp)(-gate[i])) * up[i];
}

// From d(out): d(up) = dout·silu(g), d(gate) = dout·up·σ(g)(1 + g(1 − σ(g))).
void SUFFIX(st_swiglu_backward)(const float *gate, const float *up, const float *dout, float *dgate, float *dup, int64_t n) {
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
        vf g = *(const vf *)(gate + i), d = *(const vf *)(dout + i);
        vf s = 1.0f / (1.0f + SUFFIX(vexp)(-g));
        *(vf *)(dup + i) = d * g * s;
        *(vf *)(dgate + i) = d * *(const vf *)(up + i) * s * (1.0f + g * (1.0f - s));
    }
    for (; i < n; i++) {
        float g = gate[i], s = 1.0f / (1.0f + SUFFIX(sexp)(-g));
        dup[i] = dout[i] * g * s;
        dgate[i] = dout[i] * up[i] * s * (1.0f + g * (1.0f - s));
    }
}

// Cross-entropy of one row of logits against `target`: returns −log softmax[target] (in double)
// and, when grad_scale != 0, overwrites the row with grad_scale·(softmax − onehot).
double SUFFIX(st_softmax_xent)(float *row, int64_t n, int64_t target, float grad_scale) {
    vf mxv = (vf){0} - 3.0e38f;
    int64_t i = 0;
    for (; i + VL <= n; i += VL) mxv = __builtin_elementwise_max(mxv, *(const vf *)(row + i));
    float mx = -3.0e38f;
    for (int k = 0; k < VL; k++) mx = mxv[k] > mx ? mxv[k] : mx;
    for (; i < n; i++) mx = row[i] > mx ? row[i] : mx;
    const float picked = row[target];
    vf sv = {0};
    i = 0;
    for (; i + VL <= n; i += VL) {
        vf e = SUFFIX(vexp)(*(const vf *)(row + i) - mx);
        *(vf *)(row + i) = e;
        sv += e;
    }
    double sum = 0;
    for (int k = 0; k < VL; k++) sum += sv[k];
    for (; i < n; i++) { row[i] = SUFFIX(sexp)(row[i] - mx); sum += row[i]; }
    const double loss = (double)mx + log(sum) - (double)picked;
    if (grad_scale != 0) {
        const float k = (float)(grad_scale / sum);
        i = 0;
        for (; i + VL <= n; i += VL) *(vf *)(row + i) *= k;
        for (; i < n; i++) row[i] *= k;
        row[target] -= grad_scale;
    }
    return loss;
}

void SUFFIX(st_causal_softmax)(float *s, int64_t t, float scale) {
    SUFFIX(st_causal_softmax_rows)(s, t, t, 1, t, scale);
}

// Row i of `rows` (stride ld) holds scores for the keys [0, first + i) (a block of queries after
// first - 1 cached positions): scaled, softmaxed over those, zero in [first + i, width).
void SUFFIX(st_causal_softmax_rows)(float *s, int64_t rows, int64_t ld, int64_t first, int64_t width, float scale) {
    for (int64_t i = 0; i < rows; i++) {
        float *row = s + i * ld;
        const int64_t n = first + i;
        vf mxv = (vf){0} - 3.0e38f;
        int64_t j = 0;
        for (; j + VL <= n; j += VL) {
            const vf x = *(const vf *)(row + j) * scale;
            *(vf *)(row + j) = x;
            mxv = __builtin_elementwise_max(mxv, x);
        }
        float mx = -3.0e38f;
        for (int k = 0; k < VL; k++) mx = mxv[k] > mx ? mxv[k] : mx;
        for (; j < n; j++) { row[j] *= scale; mx = row[j] > mx ? row[j] : mx; }
        vf sv = {0};
        float sum = 0;
        j = 0;
        for (; j + VL <= n; j += VL) {
            const vf e = SUFFIX(vexp)(*(const vf *)(row + j) - mx);
            *(vf *)(row + j) = e;
            sv += e;
        }
        for (; j < n; j++) { row[j] = SUFFIX(sexp)(row[j] - mx); sum += row[j]; }
        sum += SUFFIX(hsum)(sv);
        const float inv = 1 / sum;
        j = 0;
        for (; j + VL <= n; j += VL) *(vf *)(row + j) *= inv;
        for (; j < n; j++) row[j] *= inv;
        if (width > n) memset(row + n, 0, (size_t)(width - n) * sizeof(float));
    }
}

// The weighted sum for n ≤ 4 query heads of one group: out[h] = Σ_t p[h][t] · v_t in t order,
// four vectors of each head's output held in registers while every value row passes once (loaded
// once for all n heads). p: [n][len]; out: [n][hd]. Inlined with n constant.
static inline __attribute__((always_inline)) void SUFFIX(attend_values)(int n, const float *p, const float *v,
                                                                      int64_t stride, int64_t len, int64_t hd,
                                                                      float *out) {
    int64_t j = 0;
    for (; j + 4 * VL <= hd; j += 4 * VL) {
        vf o[4][4];
#pragma clang loop unroll(full)
        for (int h = 0; h < 4; h++) o[h][0] = o[h][1] = o[h][2] = o[h][3] = (vf){0};
        for (int64_t u = 0; u < len; u++) {
            const float *vu = v + u * stride + j;
            const vf v0 = *(const vf *)vu, v1 = *(const vf *)(vu + VL), v2 = *(const vf *)(vu + 2 * VL),
                     v3 = *(const vf *)(vu + 3 * VL);
#pragma clang loop unroll(full)
            for (int h = 0; h < n; h++) {
                const float ph = p[h * len + u];
                o[h][0] += ph * v0;
                o[h][1] += ph * v1;
                o[h][2] += ph * v2;
                o[h][3] += ph * v3;
            }
        }
#pragma clang loop unroll(full)
        for (int h = 0; h < n; h++) {
            float *oh = out + h * hd + j;
            *(vf *)oh = o[h][0], *(vf *)(oh + VL) = o[h][1], *(vf *)(oh + 2 * VL) = o[h][2], *(vf *)(oh + 3 * VL) = o[h][3];
        }
    }
    for (; j + VL <= hd; j += VL) {
        vf o[4] = {{0}, {0}, {0}, {0}};
        for (int64_t u = 0; u < len; u++) {
            const vf vv = *(const vf *)(v + u * stride + j);
#pragma clang loop unroll(full)
            for (int h = 0; h < n; h++) o[h] += p[h * len + u] * vv;
        }
#pragma clang loop unroll(full)
        for (int h = 0; h < n; h++) *(vf *)(out + h * hd + j) = o[h];
    }
    for (; j < hd; j++) {
        float o[4] = {0, 0, 0, 0};
        for (int64_t u = 0; u < len; u++) {
            const float vu = v[u * stride + j];
#pragma clang loop unroll(full)
            for (int h = 0; h < n; h++) o[h] += p[h * len + u] * vu;
        }
#pragma clang loop unroll(full)
        for (int h = 0; h < n; h++) out[h * hd + j] = o[h];
    }
}

// Decode attention for the g query heads that share one KV head (grouped-query attention), one
// decoded token: for h < g, scores[h][t] = q[h] · k_t, softmaxed with `scale` as a prompt's rows
// are (st_causal_softmax_rows), then out[h] = Σ_t p[h][t] · v_t in t order.
//   q, out: [g][hd] (the group's heads, consecutive); k, v: `len` rows of hd floats, `stride`
//   apart; scores: [g][len], ends holding the probabilities.
// The group reads the cache together: each block of four key rows is dotted with every head's
// query while it is in L1 (four independent FMA chains per head, sharing the query's loads), and
// each value row is loaded once for up to four heads. One head at a time read the group's cache
// g times, and decode attention stalled on those loads (12% of a decode step at a 272-token
// context, AMD EPYC Zen 4). Every head's sums run in the order of a group of one, so a head's
// result does not depend on g.
void SUFFIX(st_attend_group)(const float *q, int64_t g, const float *k, const float *v, int64_t stride, int64_t len,
                             int64_t hd, float scale, float *scores, float *out) {
    int64_t t = 0;
    for (; t + 4 <= len; t += 4) {
        const float *k0 = k + t * stride, *k1 = k0 + stride, *k2 = k1 + stride, *k3 = k2 + stride;
        for (int64_t h = 0; h < g; h++) {
            const float *qh = q + h * hd;
            vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            int64_t j = 0;
            for (; j + VL <= hd; j += VL) {
                const vf qv = *(const vf *)(qh + j);
                a0 += qv * *(const vf *)(k0 + j);
                a1 += qv * *(const vf *)(k1 + j);
                a2 += qv * *(const vf *)(k2 + j);
                a3 += qv * *(const vf *)(k3 + j);
            }
            float s0 = SUFFIX(hsum)(a0), s1 = SUFFIX(hsum)(a1), s2 = SUFFIX(hsum)(a2), s3 = SUFFIX(hsum)(a3);
            for (; j < hd; j++) {
                s0 += qh[j] * k0[j];
                s1 += qh[j] * k1[j];
                s2 += qh[j] * k2[j];
                s3 += qh[j] * k3[j];
            }
            float *sh = scores + h * len + t;
            sh[0] = s0, sh[1] = s1, sh[2] = s2, sh[3] = s3;
        }
    }
    for (; t < len; t++)
        for (int64_t h = 0; h < g; h++) scores[h * len + t] = SUFFIX(st_sdot)(q + h * hd, k + t * stride, hd);
    for (int64_t h = 0; h < g; h++) SUFFIX(st_causal_softmax_rows)(scores + h * len, 1, len, len, len, scale);
    for (int64_t h0 = 0; h0 < g; h0 += 4) {
        const float *p = scores + h0 * len;
        float *o = out + h0 * hd;
        switch (g - h0 < 4 ? g - h0 : 4) {
        case 1: SUFFIX(attend_values)(1, p, v, stride, len, hd, o); break;
        case 2: SUFFIX(attend_values)(2, p, v, stride, len, hd, o); break;
        case 3: SUFFIX(attend_values)(3, p, v, stride, len, hd, o); break;
        default: SUFFIX(attend_values)(4, p, v, stride, len, hd, o); break;
        }
    }
}

void SUFFIX(st_causal_softmax_backward)(const float *p, float *d, int64_t t, float scale) {
    for (int64_t i = 0; i < t; i++) {
        const float *pr = p + i * t;
        float *dr = d + i * t;
        const int64_t n = i + 1;
        vf dv = {0};
        int64_t j = 0;
        for (; j + VL <= n; j += VL) dv += *(const vf *)(pr + j) * *(const vf *)(dr + j);
        float dot = SUFFIX(hsum)(dv);
        for (; j < n; j++) dot += pr[j] * dr[j];
        j = 0;
        for (; j + VL <= n; j += VL) *(vf *)(dr + j) = *(const vf *)(pr + j) * (*(const vf *)(dr + j) - dot) * scale;
        for (; j < n; j++) dr[j] = pr[j] * (dr[j] - dot) * scale;
        memset(dr + n, 0, (size_t)(t - n) * sizeof(float));
    }
}

// This ISA's kernels per format, indexed by st_kind.
const st_kernels SUFFIX(st_kernels)[ST_KIND_COUNT] = {
    [ST_KIND_F32] = {SUFFIX(dequant_row_f32), NULL, NULL, 0},
    [ST_KIND_F16] = {SUFFIX(dequant_row_f16), NULL, NULL, 0},
    [ST_KIND_BF16] = {SUFFIX(dequant_row_bf16), NULL, NULL, 0},
    [ST_KIND_Q4_0] = {SUFFIX(dequant_row_q4_0), SUFFIX(dot_rows_q4_0), NULL, 32},
    [ST_KIND_Q4_1] = {SUFFIX(dequant_row_q4_1), SUFFIX(dot_rows_q4_1), SUFFIX(dot_rows_tab_q4_1), 32},
    [ST_KIND_Q8_0] = {SUFFIX(dequant_row_q8_0), SUFFIX(dot_rows_q8_0), SUFFIX(dot_rows_tab_q8_0), 0},
    [ST_KIND_Q5_0] = {SUFFIX(dequant_row_q5_0), SUFFIX(dot_rows_q5_0), NULL, 0},
    [ST_KIND_Q5_1] = {SUFFIX(dequant_row_q5_1), SUFFIX(dot_rows_q5_1), NULL, 16},
    [ST_KIND_Q2_K] = {SUFFIX(dequant_row_q2_K), NULL, NULL, 0},
    [ST_KIND_Q3_K] = {SUFFIX(dequant_row_q3_K), NULL, NULL, 0},
    [ST_KIND_Q4_K] = {SUFFIX(dequant_row_q4_K), SUFFIX(dot_rows_q4_K), NULL, 16},
    [ST_KIND_Q5_K] = {SUFFIX(dequant_row_q5_K), SUFFIX(dot_rows_q5_K), NULL, 16},
    [ST_KIND_Q6_K] = {SUFFIX(dequant_row_q6_K), SUFFIX(dot_rows_q6_K), NULL, 0},
    [ST_KIND_NF4B] = {SUFFIX(dequant_row_nf4b), SUFFIX(dot_rows_nf4b), NULL, 0},
};

#undef vf
#undef vf16
#undef vu8
#undef vi8
#undef vu8x32
