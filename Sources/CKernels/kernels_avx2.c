// AVX2 + FMA + F16C build of the kernels (Haswell and later, Zen 1 and later).
#if defined(__x86_64__)
#include "CKernels.h"
#include "kernels_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
// vmovd + vcvtph2ps: unlike _cvtsh_ss (which becomes vpinsrw into a live register), this starts
// a fresh register, so consecutive blocks' scales carry no false dependency.
static inline float st_h2f_f16c(uint16_t h) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
#define SUFFIX(name) name##_avx2
#define VL 8
#define TM 2
#define TN 4
#define H2F(h) st_h2f_f16c(h)
#define ST_AVX2_LOOKUP 1  // kernels_impl.h may use AVX2 permutes
#include "kernels_impl.h"
#undef ST_AVX2_LOOKUP
#pragma clang attribute pop
#endif
