// AVX-512 (F, BW, VL, DQ) build of the kernels (Skylake-X, Ice Lake, Zen 4, Zen 5).
#if defined(__x86_64__)
#include "CKernels.h"
#include "kernels_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)
// vmovd + vcvtph2ps: unlike _cvtsh_ss (which becomes vpinsrw into a live register), this starts
// a fresh register, so consecutive blocks' scales carry no false dependency.
static inline float st_h2f_f16c(uint16_t h) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
#define SUFFIX(name) name##_avx512
#define VL 16
#define TM 4
#define TN 4
#define H2F(h) st_h2f_f16c(h)
#define ST_AVX512_MASKS 1  // kernels_impl.h may use AVX-512 BW mask registers
#include "kernels_impl.h"
#undef ST_AVX512_MASKS
#pragma clang attribute pop
#endif
