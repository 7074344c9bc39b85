// NF4 (SwarmTune's QLoRA-style core format, docs/QUANT.md) decoding into fp32 panels.
// Tensor layout for n weights: codes (n/2 bytes; block of 64 = 32 bytes, low nibbles are weights
// 0..31, high nibbles 32..63) | int8 absmax per block (padded to 4 bytes) | per 256 blocks an
// (f32 scale, f32 mean) pair; absmax = q·scale + mean, weight = codebook[code]·absmax.
#include "CKernels.h"
#include <string.h>

static const float st_nf4_codebook[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

void st_dequant_nf4(const uint8_t *tensor, int64_t elements, int64_t start, int64_t count, float *dst) {
    const int64_t blocks = elements / 64;
    const int64_t absmax_at = elements / 2, groups_at = absmax_at + (blocks + 3) / 4 * 4;
    int64_t i = start;
    while (i < start + count) {
        const int64_t b = i / 64;
        float scale, mean;
        memcpy(&scale, tensor + groups_at + 8 * (b / 256), 4);
        memcpy(&mean, tensor + groups_at + 8 * (b / 256) + 4, 4);
        const float absmax = (float)(int8_t)tensor[absmax_at + b] * scale + mean;
        float lut[16];
        for (int k = 0; k < 16; k++) lut[k] = st_nf4_codebook[k] * absmax;
        const uint8_t *codes = tensor + 32 * b;
        const int64_t end = (b + 1) * 64 < start + count ? (b + 1) * 64 : start + count;
        if (i == b * 64 && end == (b + 1) * 64) {  // whole block
            float *out = dst + (i - start);
            for (int j = 0; j < 32; j++) {
                out[j] = lut[codes[j] & 15];
                out[j + 32] = lut[codes[j] >> 4];
            }
            i = end;
            continue;
        }
        for (; i < end; i++) {
            const int k = (int)(i - b * 64);
            const uint8_t byte = codes[k % 32];
            dst[i - start] = lut[k < 32 ? byte & 15 : byte >> 4];
        }
    }
}
