// Portable build of the kernels: the x86-64 baseline (SSE2), also used on other CPUs.
#include "CKernels.h"
#include "kernels_internal.h"

static inline float st_h2f_portable(const uint8_t *p) {
    uint32_t h = (uint32_t)(p[0] | (p[1] << 8));
    uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
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

#define SUFFIX(name) name##_generic
#define VL 4
#define TM 2
#define TN 4
#define H2F(p) st_h2f_portable(p)
#include "kernels_impl.h"
