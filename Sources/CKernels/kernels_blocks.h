// The ggml block layouts the kernels read, as structs whose sizes are checked at compile time
// (as ggml's ggml-common.h declares them), and the fp16 -> fp32 conversion of their scales.
// All little-endian; in the 32-weight formats nibble j (j < 16) is the low half of qs[j] and
// nibble j + 16 its high half.
#ifndef SWARMTUNE_KERNELS_BLOCKS_H
#define SWARMTUNE_KERNELS_BLOCKS_H
#include <assert.h>
#include <stdint.h>
#include <string.h>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the block structs read little-endian fields in place");

/// Weights per block of the 32-weight formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0).
#define ST_QK 32

/// Q4_0: w[j] = d * (q[j] - 8).
typedef struct {
    uint16_t d;               // fp16 scale
    uint8_t qs[ST_QK / 2];    // nibbles
} block_q4_0;
static_assert(sizeof(block_q4_0) == 18, "wrong q4_0 block size/padding");

/// Q4_1: w[j] = d * q[j] + m.
typedef struct {
    uint16_t d;               // fp16 scale
    uint16_t m;               // fp16 minimum
    uint8_t qs[ST_QK / 2];    // nibbles
} block_q4_1;
static_assert(sizeof(block_q4_1) == 20, "wrong q4_1 block size/padding");

/// Q8_0: w[j] = d * q[j].
typedef struct {
    uint16_t d;               // fp16 scale
    int8_t qs[ST_QK];         // signed bytes
} block_q8_0;
static_assert(sizeof(block_q8_0) == 34, "wrong q8_0 block size/padding");

/// Q5_0: w[j] = d * (q[j] - 16) with the 5-bit code q[j] = nibble j | (bit j of qh) << 4.
typedef struct {
    uint16_t d;               // fp16 scale
    uint8_t qh[4];            // bit 4 of each code (u32, little-endian)
    uint8_t qs[ST_QK / 2];    // low 4 bits: nibbles
} block_q5_0;
static_assert(sizeof(block_q5_0) == 22, "wrong q5_0 block size/padding");

/// Q5_1: w[j] = d * q[j] + m with the 5-bit code q[j] as in Q5_0.
typedef struct {
    uint16_t d;               // fp16 scale
    uint16_t m;               // fp16 minimum
    uint8_t qh[4];            // bit 4 of each code
    uint8_t qs[ST_QK / 2];    // low 4 bits: nibbles
} block_q5_1;
static_assert(sizeof(block_q5_1) == 24, "wrong q5_1 block size/padding");

// ---- K types: 256-weight super-blocks of 16- or 32-weight sub-blocks, each with its own scale
// (and minimum) quantized against the super-block's fp16 scale(s). Layouts in detail: the Quant
// module's Q2_K.swift ... Q6_K.swift, whose decoders are the reference the kernels are tested on.

/// Weights per super-block of the K formats.
#define QK_K 256
/// Bytes of the packed 6-bit scales and minimums of Q4_K and Q5_K (and of Q3_K's 6-bit scales).
#define K_SCALE_SIZE 12

/// Q2_K: w = (d * sc[s]) * q - (dmin * m[s]) for a 2-bit q in 16-weight sub-block s.
typedef struct {
    uint8_t scales[QK_K / 16];  // sc[s] in the low nibble, m[s] in the high one
    uint8_t qs[QK_K / 4];       // two halves of 128 weights: weight 32k + l of half h is bits 2k..2k+1 of qs[32h + l]
    uint16_t d;                 // fp16 scale of the scales
    uint16_t dmin;              // fp16 scale of the minimums
} block_q2_K;
static_assert(sizeof(block_q2_K) == 84, "wrong q2_K block size/padding");

/// Q3_K: w = (d * (u[s] - 32)) * (c - 4) for a 3-bit c in 16-weight sub-block s.
typedef struct {
    uint8_t hmask[QK_K / 8];        // bit 4h + k of hmask[l]: bit 2 of c for weight 32k + l of half h
    uint8_t qs[QK_K / 4];           // bits 0-1 of c, as Q2_K's qs
    uint8_t scales[K_SCALE_SIZE];   // sixteen 6-bit u[s] (st_q3_K_scale)
    uint16_t d;                     // fp16 scale
} block_q3_K;
static_assert(sizeof(block_q3_K) == 110, "wrong q3_K block size/padding");

/// Q4_K: w = (d * sc[j]) * q - (dmin * m[j]) for a 4-bit q in 32-weight sub-block j.
typedef struct {
    uint16_t d;                     // fp16 scale of the scales
    uint16_t dmin;                  // fp16 scale of the minimums
    uint8_t scales[K_SCALE_SIZE];   // eight 6-bit sc[j] and m[j] (st_k4_scale_min)
    uint8_t qs[QK_K / 2];           // sub-blocks 2p, 2p+1: low, high nibbles of qs[32p .. 32p + 32)
} block_q4_K;
static_assert(sizeof(block_q4_K) == 144, "wrong q4_K block size/padding");

/// Q5_K: Q4_K with a fifth bit: bit j of qh[l] is bit 4 of weight l of sub-block j.
typedef struct {
    uint16_t d;                     // fp16 scale of the scales
    uint16_t dmin;                  // fp16 scale of the minimums
    uint8_t scales[K_SCALE_SIZE];   // as Q4_K's
    uint8_t qh[QK_K / 8];           // bit 4 of each code
    uint8_t qs[QK_K / 2];           // low 4 bits, as Q4_K's
} block_q5_K;
static_assert(sizeof(block_q5_K) == 176, "wrong q5_K block size/padding");

/// Q6_K: w = (d * scales[s]) * (q - 32) for a 6-bit q in 16-weight sub-block s.
typedef struct {
    uint8_t ql[QK_K / 2];       // low 4 bits: weight 32k + l of half h in ql[64h + l + 32(k % 2)], low nibble for k < 2
    uint8_t qh[QK_K / 4];       // high 2 bits: bits 2k..2k+1 of qh[32h + l]
    int8_t scales[QK_K / 16];   // signed 8-bit sub-block scales
    uint16_t d;                 // fp16 scale
} block_q6_K;
static_assert(sizeof(block_q6_K) == 210, "wrong q6_K block size/padding");

/// The 6-bit scale and minimum of sub-block j (0..7) of Q4_K and Q5_K from their 12 packed bytes:
/// bytes 0-3 hold sc[0..3] and bytes 4-7 m[0..3] in bits 0-5, with bits 4-5 of sc[4..7] and
/// m[4..7] in their bits 6-7; bytes 8-11 hold bits 0-3 of sc[4..7] (low) and m[4..7] (high nibble).
static inline void st_k4_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/// The signed scale u[s] - 32 of sub-block s (0..15) of Q3_K: bits 0-3 of u[s] are the low nibble
/// of byte s (s < 8) or the high nibble of byte s - 8; bits 4-5 are bits 2(s/4)..2(s/4)+1 of byte 8 + s % 4.
static inline int st_q3_K_scale(int s, const uint8_t *q) {
    const int low = s < 8 ? q[s] & 0x0F : q[s - 8] >> 4;
    const int high = (q[8 + s % 4] >> (2 * (s / 4))) & 3;
    return (low | high << 4) - 32;
}

/// NF4's sixteen NormalFloat levels (docs/QUANT.md): weight = level[code] · absmax.
static const float st_nf4_levels[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

/// NF4 re-laid for the kernels (st_nf4_to_blocks, at load; never in a file): w[j] = level[q[j]] · d
/// with d the block's decoded absmax. An NF4 tensor's own layout keeps its absmax values apart in
/// double-quantized groups that span rows, which no row-wise kernel can read.
typedef struct {
    float d;                  // decoded absmax of the 64-weight NF4 block these 32 weights are half of
    uint8_t qs[ST_QK / 2];    // 4-bit codes, nibble order as the other 32-weight formats
} block_nf4b;
static_assert(sizeof(block_nf4b) == 20, "wrong nf4b block size/padding");

/// The row of `rb` bytes number `k` after `base`, as blocks of type T.
#define ST_ROW(T, base, rb, k) ((const T *)((const uint8_t *)(base) + (size_t)(k) * (rb)))

/// fp16 bits -> float, exact for every value (subnormals normalised), without F16C.
static inline float st_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0) {
        if (mant == 0) bits = sign;
        else {  // subnormal: normalise
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) { mant <<= 1; exp--; }
            bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
        }
    } else if (exp == 31) bits = sign | 0x7F800000u | (mant << 13);
    else bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// bf16 bits -> float (exact: bf16 is the top half of an fp32).
static inline float st_bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
#endif
