// NF4 (SwarmTune's QLoRA-style core format, docs/QUANT.md) decoding into fp32 panels.
// Tensor layout for n weights: codes (n/2 bytes; block of 64 = 32 bytes, low nibbles are weights
// 0..31, high nibbles 32..63) | int8 absmax per block (padded to 4 bytes) | per 256 blocks an
// (f32 scale, f32 mean) pair; absmax = q·scale + mean, weight = codebook[code]·absmax.
#include "CKernels.h"
#include "kernels_internal.h"

#define ST_NF4_BLOCK 64          // weights per block
#define ST_NF4_GROUP_BLOCKS 256  // blocks per absmax group

/// The codes of one block: byte j holds weight j (low nibble) and weight j + 32 (high nibble).
typedef struct {
    uint8_t codes[ST_NF4_BLOCK / 2];
} block_nf4;
static_assert(sizeof(block_nf4) == 32, "wrong nf4 block size/padding");

/// One absmax group's dequantization: absmax = q * scale + mean.
typedef struct {
    float scale;
    float mean;
} nf4_group;
static_assert(sizeof(nf4_group) == 8, "wrong nf4 group size/padding");

/// Where the three sections of an NF4 tensor of `elements` weights start.
typedef struct {
    const block_nf4 *blocks;     // [elements / 64]
    const int8_t *absmax;        // [elements / 64], padded to 4 bytes
    const uint8_t *groups;       // nf4_group [ceil(blocks / 256)], read with memcpy (4-byte aligned at best)
} nf4_layout;

static nf4_layout st_nf4_layout(const uint8_t *tensor, int64_t elements) {
    const int64_t blocks = elements / ST_NF4_BLOCK;
    const int64_t absmax_at = blocks * (int64_t)sizeof(block_nf4), groups_at = absmax_at + (blocks + 3) / 4 * 4;
    return (nf4_layout){(const block_nf4 *)tensor, (const int8_t *)(tensor + absmax_at), tensor + groups_at};
}

static const float st_nf4_codebook[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

void st_dequant_nf4(const uint8_t *tensor, int64_t elements, int64_t start, int64_t count, float *dst) {
    assert(elements % ST_NF4_BLOCK == 0 && 0 <= start && 0 <= count && start + count <= elements);
    const nf4_layout t = st_nf4_layout(tensor, elements);
    int64_t i = start;
    while (i < start + count) {
        const int64_t b = i / ST_NF4_BLOCK;
        nf4_group g;
        memcpy(&g, t.groups + sizeof(nf4_group) * (size_t)(b / ST_NF4_GROUP_BLOCKS), sizeof g);
        const float absmax = (float)t.absmax[b] * g.scale + g.mean;
        float lut[16];
        for (int k = 0; k < 16; k++) lut[k] = st_nf4_codebook[k] * absmax;
        const uint8_t *codes = t.blocks[b].codes;
        const int64_t block_end = (b + 1) * ST_NF4_BLOCK;
        const int64_t end = block_end < start + count ? block_end : start + count;
        if (i == b * ST_NF4_BLOCK && end == block_end) {  // whole block
            float *out = dst + (i - start);
            for (int j = 0; j < ST_NF4_BLOCK / 2; j++) {
                out[j] = lut[codes[j] & 15];
                out[j + ST_NF4_BLOCK / 2] = lut[codes[j] >> 4];
            }
            i = end;
            continue;
        }
        for (; i < end; i++) {
            const int k = (int)(i - b * ST_NF4_BLOCK);
            const uint8_t byte = codes[k % (ST_NF4_BLOCK / 2)];
            dst[i - start] = lut[k < ST_NF4_BLOCK / 2 ? byte & 15 : byte >> 4];
        }
    }
}

// ---- the matrix-vector product (decode) -----------------------------------------------------
// A matrix of `rows` x `cols` NF4 weights with cols a multiple of 64 keeps every row in whole
// blocks: row r's codes are blocks [r·cols/64, (r+1)·cols/64). The per-block absmax values (decoded
// from the double quantization) are read from a table built once when the core is loaded, so the
// inner loop is a 16-entry lookup (one vpermps per 16 weights on AVX-512), an FMA with x, and one
// multiply-add per block: y[r] = Σ_b absmax[r, b] · Σ_j codebook[code_j] · x[64b + j].

void st_nf4_absmax_table(const uint8_t *tensor, int64_t elements, float *dst) {
    assert(elements % ST_NF4_BLOCK == 0);
    const nf4_layout t = st_nf4_layout(tensor, elements);
    for (int64_t b = 0; b < elements / ST_NF4_BLOCK; b++) {
        nf4_group g;
        memcpy(&g, t.groups + sizeof(nf4_group) * (size_t)(b / ST_NF4_GROUP_BLOCKS), sizeof g);
        dst[b] = (float)t.absmax[b] * g.scale + g.mean;  // as st_dequant_nf4 decodes it
    }
}

// The naive reference (and the generic build): per block, the codebook dot product, then its
// absmax times that.
static void st_nf4_matvec_scalar(const block_nf4 *blocks, const float *amax, int64_t nb, const float *x, float *y,
                                 int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
        float acc = 0;
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *codes = blocks[r * nb + b].codes;
            const float *xb = x + ST_NF4_BLOCK * b;
            float s = 0;
            for (int j = 0; j < ST_NF4_BLOCK / 2; j++)
                s += st_nf4_codebook[codes[j] & 15] * xb[j] + st_nf4_codebook[codes[j] >> 4] * xb[j + 32];
            acc += amax[r * nb + b] * s;
        }
        y[r] = acc;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Four rows at a time share the loads of x; rows past `n` re-read the first (their sums are not
// stored). Per block and row: two byte-to-dword widenings, two shifts, four table lookups, four
// FMAs into two block sums, and the absmax multiply-add.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
static void st_nf4_matvec_avx512(const block_nf4 *blocks, const float *amax, int64_t nb, const float *x, float *y,
                                 int64_t r0, int64_t r1) {
    const __m512 lut = _mm512_loadu_ps(st_nf4_codebook);
    for (int64_t r = r0; r < r1; r += 4) {
        const int64_t n = r1 - r < 4 ? r1 - r : 4;
        const uint8_t *c[4];
        const float *a[4];
        for (int i = 0; i < 4; i++) {
            const int64_t row = r + (i < n ? i : 0);
            c[i] = blocks[row * nb].codes;
            a[i] = amax + row * nb;
        }
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t b = 0; b < nb; b++) {
            const float *xb = x + ST_NF4_BLOCK * b;
            const __m512 x0 = _mm512_loadu_ps(xb), x1 = _mm512_loadu_ps(xb + 16);
            const __m512 x2 = _mm512_loadu_ps(xb + 32), x3 = _mm512_loadu_ps(xb + 48);
#pragma clang loop unroll(full)
            for (int i = 0; i < 4; i++) {
                const uint8_t *q = c[i] + 32 * b;
                __builtin_prefetch(q + 4 * 32 * nb);
                // vpermps reads the low 4 bits of each index: the low nibble needs no mask.
                const __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)q));
                const __m512i i1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(q + 16)));
                __m512 s0 = _mm512_mul_ps(_mm512_permutexvar_ps(i0, lut), x0);
                __m512 s1 = _mm512_mul_ps(_mm512_permutexvar_ps(i1, lut), x1);
                s0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(i0, 4), lut), x2, s0);
                s1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(i1, 4), lut), x3, s1);
                acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i][b]), _mm512_add_ps(s0, s1), acc[i]);
            }
        }
        for (int i = 0; i < n; i++) y[r + i] = _mm512_reduce_add_ps(acc[i]);
    }
}

// AVX2: a 16-entry lookup is two 8-entry permutes (vpermps reads the low 3 bits) and a blend on
// bit 3 of the code.
__attribute__((target("avx2,fma")))
static inline __m256 st_nf4_lookup8_avx2(__m256i idx, __m256 lo, __m256 hi) {
    const __m256 sel = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));  // bit 3 -> the sign bit
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, idx), _mm256_permutevar8x32_ps(hi, idx), sel);
}

__attribute__((target("avx2,fma")))
static void st_nf4_matvec_avx2(const block_nf4 *blocks, const float *amax, int64_t nb, const float *x, float *y,
                               int64_t r0, int64_t r1) {
    const __m256 lo = _mm256_loadu_ps(st_nf4_codebook), hi = _mm256_loadu_ps(st_nf4_codebook + 8);
    const __m256i mask = _mm256_set1_epi32(15);
    for (int64_t r = r0; r < r1; r += 2) {
        const int64_t n = r1 - r < 2 ? r1 - r : 2;
        const uint8_t *c[2];
        const float *a[2];
        for (int i = 0; i < 2; i++) {
            const int64_t row = r + (i < n ? i : 0);
            c[i] = blocks[row * nb].codes;
            a[i] = amax + row * nb;
        }
        __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        for (int64_t b = 0; b < nb; b++) {
            const float *xb = x + ST_NF4_BLOCK * b;
#pragma clang loop unroll(full)
            for (int i = 0; i < 2; i++) {
                const uint8_t *q = c[i] + 32 * b;
                __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
#pragma clang loop unroll(full)
                for (int k = 0; k < 4; k++) {
                    // Bytes 8k..8k+7: weights 8k.. (low nibbles) and 32 + 8k.. (high nibbles).
                    const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(q + 8 * k)));
                    const __m256i l = _mm256_and_si256(v, mask), h = _mm256_srli_epi32(v, 4);
                    s0 = _mm256_fmadd_ps(st_nf4_lookup8_avx2(l, lo, hi), _mm256_loadu_ps(xb + 8 * k), s0);
                    s1 = _mm256_fmadd_ps(st_nf4_lookup8_avx2(h, lo, hi), _mm256_loadu_ps(xb + 32 + 8 * k), s1);
                }
                acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(a[i][b]), _mm256_add_ps(s0, s1), acc[i]);
            }
        }
        for (int i = 0; i < n; i++) {
            const __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc[i]), _mm256_extractf128_ps(acc[i], 1));
            const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
            y[r + i] = _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
        }
    }
}
#endif

void st_nf4_matvec(int isa, const uint8_t *tensor, int64_t cols, const float *amax, const float *x, float *y,
                   int64_t r0, int64_t r1) {
    assert(cols % ST_NF4_BLOCK == 0 && 0 <= r0 && r0 <= r1);
    const block_nf4 *blocks = (const block_nf4 *)tensor;
    const int64_t nb = cols / ST_NF4_BLOCK;
#if defined(__x86_64__)
    if (isa == ST_ISA_AVX512) { st_nf4_matvec_avx512(blocks, amax, nb, x, y, r0, r1); return; }
    if (isa == ST_ISA_AVX2) { st_nf4_matvec_avx2(blocks, amax, nb, x, y, r0, r1); return; }
#endif
    (void)isa;
    st_nf4_matvec_scalar(blocks, amax, nb, x, y, r0, r1);
}
