// Peak-throughput probes: what one core of this machine can do at best, so a benchmark can print
// its kernels as a fraction of the machine's limit and dispatch can prefer what is faster here.
//
// Each FMA probe keeps ACC independent accumulator registers busy (FMA latency 4-5 cycles x 2
// ports needs at least 8-10 in flight), so the loop is bound by FMA issue rate, not latency.
// The caller times the call; each returns the floating-point operations it performed
// (an FMA lane counts 2, a bf16 dot-product pair 2).
#include "CKernels.h"
#include "kernels_internal.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define ACC 12

// Portable fallback: scalar-lane multiply-add chains the compiler vectorises for SSE2.
static double probe_fma_generic(int64_t iterations) {
    float acc[ACC][4];
    for (int j = 0; j < ACC; j++)
        for (int l = 0; l < 4; l++) acc[j][l] = (float)(j + l) * 1e-3f;
    const float a = 0.999999f, b = 1e-7f;
    for (int64_t i = 0; i < iterations; i++)
        for (int j = 0; j < ACC; j++)
            for (int l = 0; l < 4; l++) acc[j][l] = acc[j][l] * a + b;
    float sink = 0;
    for (int j = 0; j < ACC; j++)
        for (int l = 0; l < 4; l++) sink += acc[j][l];
    volatile float keep = sink;
    (void)keep;
    return 2.0 * 4 * ACC * (double)iterations;
}

#if defined(__x86_64__)
// One probe: ACC accumulators of type V, each updated by OP(acc, a, b) per iteration, then summed
// (REDUCE) into a volatile so nothing is optimised away; returns OPS_PER x ACC x iterations.
#define ST_PROBE(name, TGT, V, SET1, A, B, OP, ADD, REDUCE, OPS_PER)                    \
    __attribute__((target(TGT))) static double name(int64_t iterations) {               \
        V acc[ACC];                                                                         \
        for (int j = 0; j < ACC; j++) acc[j] = SET1((float)j * 1e-3f);                      \
        const __typeof__(A) a = A;                                                          \
        const __typeof__(B) b = B;                                                          \
        for (int64_t i = 0; i < iterations; i++)                                            \
            for (int j = 0; j < ACC; j++) acc[j] = OP(acc[j], a, b);                        \
        V s = acc[0];                                                                       \
        for (int j = 1; j < ACC; j++) s = ADD(s, acc[j]);                                   \
        volatile float keep = REDUCE(s);                                                    \
        (void)keep;                                                                         \
        return (double)(OPS_PER) * ACC * (double)iterations;                                \
    }

__attribute__((target("avx"))) static inline float st_reduce256(__m256 v) {
    float out[8];
    _mm256_storeu_ps(out, v);
    float t = 0;
    for (int l = 0; l < 8; l++) t += out[l];
    return t;
}

// 8 fp32 lanes, 2 operations each.
ST_PROBE(probe_fma_avx2, "avx2,fma", __m256, _mm256_set1_ps, _mm256_set1_ps(0.999999f), _mm256_set1_ps(1e-7f),
         _mm256_fmadd_ps, _mm256_add_ps, st_reduce256, 2 * 8)
// 16 fp32 lanes, 2 operations each.
ST_PROBE(probe_fma_avx512, "avx512f", __m512, _mm512_set1_ps, _mm512_set1_ps(0.999999f), _mm512_set1_ps(1e-7f),
         _mm512_fmadd_ps, _mm512_add_ps, _mm512_reduce_add_ps, 2 * 16)
// 32 bf16 pairs per vdpbf16ps (1.0 x ~6e-8), 2 operations each.
ST_PROBE(probe_dot_bf16, "avx512f,avx512bf16", __m512, _mm512_set1_ps, (__m512bh)_mm512_set1_epi16(0x3f80),
         (__m512bh)_mm512_set1_epi16(0x3380), _mm512_dpbf16_ps, _mm512_add_ps, _mm512_reduce_add_ps, 2 * 32)

__attribute__((target("avx2"))) static float probe_read_avx2(const float *p, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(p + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(p + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(p + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(p + i + 24));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    float out[8];
    _mm256_storeu_ps(out, s);
    float t = 0;
    for (int l = 0; l < 8; l++) t += out[l];
    for (; i < n; i++) t += p[i];
    return t;
}
#endif

double st_probe_fma(int isa, int64_t iterations) {
#if defined(__x86_64__)
    if (isa == ST_ISA_AVX512) return probe_fma_avx512(iterations);
    if (isa == ST_ISA_AVX2) return probe_fma_avx2(iterations);
#endif
    (void)isa;
    return probe_fma_generic(iterations);
}

double st_probe_dot_bf16(int64_t iterations) {
#if defined(__x86_64__)
    if (st_cpu_has_bf16()) return probe_dot_bf16(iterations);
#endif
    (void)iterations;
    return 0;
}

float st_probe_read(int isa, const float *p, int64_t n) {
#if defined(__x86_64__)
    if (isa >= ST_ISA_AVX2) return probe_read_avx2(p, n);
#endif
    (void)isa;
    float t = 0;
    for (int64_t i = 0; i < n; i++) t += p[i];
    return t;
}
