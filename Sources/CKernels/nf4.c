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
