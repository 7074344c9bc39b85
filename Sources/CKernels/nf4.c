// NF4 (SwarmTune's QLoRA-style core format, docs/QUANT.md): decoding into fp32, and the re-layout
// into 32-weight blocks (block_nf4b) through which the kernels multiply by it.
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
        for (int k = 0; k < 16; k++) lut[k] = st_nf4_levels[k] * absmax;
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

// ---- the re-layout for the kernels ----------------------------------------------------------
// A new block of 32 weights starts at a multiple of 32 in the tensor, so it is one half of one
// 64-weight NF4 block: that block's absmax, and the low (first half) or high (second half)
// nibbles of its code bytes; weight j (j < 16) and j + 16 of the half become the low and high
// nibbles of byte j, as in the other 32-weight formats.
void st_nf4_to_blocks(const uint8_t *tensor, int64_t elements, int64_t cols, void *dst) {
    assert(elements % ST_NF4_BLOCK == 0 && cols % ST_QK == 0 && elements % cols == 0);
    (void)cols;  // rows are whole 32-weight blocks, so the blocks follow one another across rows
    const nf4_layout t = st_nf4_layout(tensor, elements);
    block_nf4b *out = dst;
    for (int64_t k = 0; k < elements / ST_QK; k++) {
        const int64_t b = k / 2, half = k % 2;
        nf4_group g;
        memcpy(&g, t.groups + sizeof(nf4_group) * (size_t)(b / ST_NF4_GROUP_BLOCKS), sizeof g);
        out[k].d = (float)t.absmax[b] * g.scale + g.mean;  // as st_dequant_nf4 decodes it
        const uint8_t *codes = t.blocks[b].codes;
        for (int j = 0; j < ST_QK / 2; j++) {
            const uint8_t lo = (uint8_t)((codes[j] >> (4 * half)) & 15);
            const uint8_t hi = (uint8_t)((codes[j + 16] >> (4 * half)) & 15);
            out[k].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}
