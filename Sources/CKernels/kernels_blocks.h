// The ggml block layouts the kernels read, as structs whose sizes are checked at compile time
// (as ggml's ggml-common.h declares them), and the fp16 -> fp32 conversion of their scales.
// All little-endian; nibble j (j < 16) is the low half of qs[j] and nibble j + 16 its high half.
#ifndef SWARMTUNE_KERNELS_BLOCKS_H
#define SWARMTUNE_KERNELS_BLOCKS_H
#include <assert.h>
#include <stdint.h>
#include <string.h>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the block structs read little-endian fields in place");

/// Weights per block of the 32-weight formats (Q4_0, Q4_1, Q8_0).
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
