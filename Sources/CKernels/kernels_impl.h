// The kernel bodies, written once with clang vector extensions and compiled three times by
// kernels_generic.c, kernels_avx2.c and kernels_avx512.c with different target attributes.
// The including file defines: SUFFIX(name), VL (fp32 lanes per vector), TM and TN (register
// tile of the NT GEMM), and H2F(ptr) (fp16 bytes -> float).
//
// ggml block layouts read here (little-endian):
//   Q4_0: f16 d, 16 bytes nibbles;          w[j] = d * (q[j] - 8)
//   Q4_1: f16 d, f16 m, 16 bytes nibbles;   w[j] = d * q[j] + m
//   Q8_0: f16 d, 32 int8;                   w[j] = d * q[j]
// with nibble j (j < 16) in the low half of byte j and nibble j+16 in its high half.

#include <string.h>
#include <math.h>

typedef float   SUFFIX(vf) __attribute__((vector_size(VL * 4), aligned(4)));
typedef float   SUFFIX(vf16) __attribute__((vector_size(64), aligned(4)));
typedef uint8_t SUFFIX(vu8) __attribute__((vector_size(16), aligned(1)));
typedef int8_t  SUFFIX(vi8) __attribute__((vector_size(16), aligned(1)));
#define vf SUFFIX(vf)
#define vf16 SUFFIX(vf16)
#define vu8 SUFFIX(vu8)
#define vi8 SUFFIX(vi8)

static inline float SUFFIX(hsum)(vf v) {
    float s = 0;
    for (int i = 0; i < VL; i++) s += v[i];
    return s;
}

static inline float SUFFIX(hsum16)(vf16 v) {
    float s = 0;
    for (int i = 0; i < 16; i++) s += v[i];
    return s;
}

float SUFFIX(st_sdot)(const float *a, const float *b, int64_t n) {
    vf acc0 = {0}, acc1 = {0};
    int64_t k = 0;
    for (; k + 2 * VL <= n; k += 2 * VL) {
        acc0 += *(const vf *)(a + k) * *(const vf *)(b + k);
        acc1 += *(const vf *)(a + k + VL) * *(const vf *)(b + k + VL);
    }
    for (; k + VL <= n; k += VL) acc0 += *(const vf *)(a + k) * *(const vf *)(b + k);
    float s = SUFFIX(hsum)(acc0 + acc1);
    for (; k < n; k++) s += a[k] * b[k];
    return s;
}

void SUFFIX(st_saxpy)(float alpha, const float *x, float *y, int64_t n) {
    int64_t k = 0;
    for (; k + VL <= n; k += VL) *(vf *)(y + k) += alpha * *(const vf *)(x + k);
    for (; k < n; k++) y[k] += alpha * x[k];
}

// ---- dequantization ------------------------------------------------------------------------

static inline void SUFFIX(unpack_nibbles)(const uint8_t *qs, vf16 *lo, vf16 *hi) {
    vu8 raw = *(const vu8 *)qs;
    vu8 l = raw & (uint8_t)0x0F;
    vu8 h = raw >> 4;
    *lo = __builtin_convertvector(l, vf16);
    *hi = __builtin_convertvector(h, vf16);
}

static void SUFFIX(dequant_row)(int type, const uint8_t *src, int64_t cols, float *dst) {
    switch (type) {
    case ST_TYPE_F32:
        memcpy(dst, src, (size_t)cols * 4);
        return;
    case ST_TYPE_F16:
        for (int64_t k = 0; k < cols; k++) dst[k] = H2F(src + 2 * k);
        return;
    case ST_TYPE_BF16:
        for (int64_t k = 0; k < cols; k++) {
            uint32_t bits = (uint32_t)(src[2 * k] | (src[2 * k + 1] << 8)) << 16;
            memcpy(dst + k, &bits, 4);
        }
        return;
    case ST_TYPE_Q4_0:
        for (int64_t b = 0; b < cols / 32; b++, src += 18, dst += 32) {
            float d = H2F(src);
            vf16 lo, hi;
            SUFFIX(unpack_nibbles)(src + 2, &lo, &hi);
            *(vf16 *)dst = d * (lo - 8.0f);
            *(vf16 *)(dst + 16) = d * (hi - 8.0f);
        }
        return;
    case ST_TYPE_Q4_1:
        for (int64_t b = 0; b < cols / 32; b++, src += 20, dst += 32) {
            float d = H2F(src), m = H2F(src + 2);
            vf16 lo, hi;
            SUFFIX(unpack_nibbles)(src + 4, &lo, &hi);
            *(vf16 *)dst = d * lo + m;
            *(vf16 *)(dst + 16) = d * hi + m;
        }
        return;
    case ST_TYPE_Q8_0:
        for (int64_t b = 0; b < cols / 32; b++, src += 34, dst += 32) {
            float d = H2F(src);
            vi8 q0 = *(const vi8 *)(src + 2), q1 = *(const vi8 *)(src + 18);
            *(vf16 *)dst = d * __builtin_convertvector(q0, vf16);
            *(vf16 *)(dst + 16) = d * __builtin_convertvector(q1, vf16);
        }
        return;
    default:
        return;
    }
}

void SUFFIX(st_dequant_rows)(int type, const void *w, size_t row_bytes, int64_t cols,
                              int64_t r0, int64_t r1, float *dst) {
    for (int64_t r = r0; r < r1; r++)
        SUFFIX(dequant_row)(type, (const uint8_t *)w + (size_t)r * row_bytes, cols, dst + (r - r0) * cols);
}

// ---- fused matrix-vector products (decode) -------------------------------------------------
// Four rows at a time: the x loads and nibble-free work are shared, and four independent
// accumulators hide the FMA latency that a single running sum would serialise on.

// dot(W row, x) for Q4_1: sum_b d_b * dot(q_b, x_b) + m_b * sum(x_b); xsum holds sum(x_b).
static void SUFFIX(dot4_q4_1)(const uint8_t *row, size_t rb, const float *x, const float *xsum, int64_t nb, float *out) {
    vf16 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    for (int64_t b = 0; b < nb; b++, row += 20, x += 32) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
        const float xs = xsum[b];
        vf16 lo, hi;
#define ST_Q41_ROW(k, acc, macc)                                      \
        SUFFIX(unpack_nibbles)(row + (k) * rb + 4, &lo, &hi);         \
        acc += H2F(row + (k) * rb) * (lo * xl + hi * xh);             \
        macc += H2F(row + (k) * rb + 2) * xs;
        ST_Q41_ROW(0, acc0, m0)
        ST_Q41_ROW(1, acc1, m1)
        ST_Q41_ROW(2, acc2, m2)
        ST_Q41_ROW(3, acc3, m3)
#undef ST_Q41_ROW
    }
    out[0] = SUFFIX(hsum16)(acc0) + m0;
    out[1] = SUFFIX(hsum16)(acc1) + m1;
    out[2] = SUFFIX(hsum16)(acc2) + m2;
    out[3] = SUFFIX(hsum16)(acc3) + m3;
}

static float SUFFIX(dot_q4_1)(const uint8_t *row, const float *x, const float *xsum, int64_t nb) {
    vf16 acc = {0};
    float macc = 0;
    for (int64_t b = 0; b < nb; b++, row += 20, x += 32) {
        vf16 lo, hi;
        SUFFIX(unpack_nibbles)(row + 4, &lo, &hi);
        acc += H2F(row) * (lo * *(const vf16 *)x + hi * *(const vf16 *)(x + 16));
        macc += H2F(row + 2) * xsum[b];
    }
    return SUFFIX(hsum16)(acc) + macc;
}

static float SUFFIX(dot_q4_0)(const uint8_t *row, const float *x, const float *xsum, int64_t nb) {
    vf16 acc = {0};
    float macc = 0;
    for (int64_t b = 0; b < nb; b++, row += 18, x += 32) {
        vf16 lo, hi;
        SUFFIX(unpack_nibbles)(row + 2, &lo, &hi);
        vf16 t = lo * *(const vf16 *)x + hi * *(const vf16 *)(x + 16);
        float d = H2F(row);
        acc += d * t;
        macc -= 8.0f * d * xsum[b];
    }
    return SUFFIX(hsum16)(acc) + macc;
}

static void SUFFIX(dot4_q8_0)(const uint8_t *row, size_t rb, const float *x, int64_t nb, float *out) {
    vf16 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    for (int64_t b = 0; b < nb; b++, row += 34, x += 32) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
#define ST_Q80_ROW(k, acc)                                                                   \
        acc += H2F(row + (k) * rb) * (__builtin_convertvector(*(const vi8 *)(row + (k) * rb + 2), vf16) * xl \
                                    + __builtin_convertvector(*(const vi8 *)(row + (k) * rb + 18), vf16) * xh);
        ST_Q80_ROW(0, acc0)
        ST_Q80_ROW(1, acc1)
        ST_Q80_ROW(2, acc2)
        ST_Q80_ROW(3, acc3)
#undef ST_Q80_ROW
    }
    out[0] = SUFFIX(hsum16)(acc0);
    out[1] = SUFFIX(hsum16)(acc1);
    out[2] = SUFFIX(hsum16)(acc2);
    out[3] = SUFFIX(hsum16)(acc3);
}

static float SUFFIX(dot_q8_0)(const uint8_t *row, const float *x, int64_t nb) {
    vf16 acc = {0};
    for (int64_t b = 0; b < nb; b++, row += 34, x += 32) {
        vi8 q0 = *(const vi8 *)(row + 2), q1 = *(const vi8 *)(row + 18);
        vf16 t = __builtin_convertvector(q0, vf16) * *(const vf16 *)x
               + __builtin_convertvector(q1, vf16) * *(const vf16 *)(x + 16);
        acc += H2F(row) * t;
    }
    return SUFFIX(hsum16)(acc);
}

// Decode with scale tables: d (and m) of every block already decoded to fp32 in side tables
// [rows][blocks] (built once when a core is loaded), so the inner loop does no fp16 conversion
// and the Q4_1 offset term becomes one contiguous dot product, sum_b m_b * xsum_b.
static void SUFFIX(dot4_q4_1_tab)(const uint8_t *row, size_t rb, const float *d, const float *mt, int64_t nb,
                                  const float *x, const float *xsum, float *out) {
    vf16 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    for (int64_t b = 0; b < nb; b++, row += 20, x += 32) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
        vf16 lo, hi;
        // The next four rows: short matrices end before the hardware prefetcher ramps up.
        __builtin_prefetch(row + 4 * rb + 64);
        __builtin_prefetch(row + 5 * rb + 64);
        __builtin_prefetch(row + 6 * rb + 64);
        __builtin_prefetch(row + 7 * rb + 64);
        SUFFIX(unpack_nibbles)(row + 4, &lo, &hi);
        acc0 += d[b] * (lo * xl + hi * xh);
        SUFFIX(unpack_nibbles)(row + rb + 4, &lo, &hi);
        acc1 += d[nb + b] * (lo * xl + hi * xh);
        SUFFIX(unpack_nibbles)(row + 2 * rb + 4, &lo, &hi);
        acc2 += d[2 * nb + b] * (lo * xl + hi * xh);
        SUFFIX(unpack_nibbles)(row + 3 * rb + 4, &lo, &hi);
        acc3 += d[3 * nb + b] * (lo * xl + hi * xh);
    }
    out[0] = SUFFIX(hsum16)(acc0) + SUFFIX(st_sdot)(mt, xsum, nb);
    out[1] = SUFFIX(hsum16)(acc1) + SUFFIX(st_sdot)(mt + nb, xsum, nb);
    out[2] = SUFFIX(hsum16)(acc2) + SUFFIX(st_sdot)(mt + 2 * nb, xsum, nb);
    out[3] = SUFFIX(hsum16)(acc3) + SUFFIX(st_sdot)(mt + 3 * nb, xsum, nb);
}

static void SUFFIX(dot4_q8_0_tab)(const uint8_t *row, size_t rb, const float *d, int64_t nb, const float *x, float *out) {
    vf16 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    for (int64_t b = 0; b < nb; b++, row += 34, x += 32) {
        const vf16 xl = *(const vf16 *)x, xh = *(const vf16 *)(x + 16);
        __builtin_prefetch(row + 4 * rb + 64);
        __builtin_prefetch(row + 5 * rb + 64);
        __builtin_prefetch(row + 6 * rb + 64);
        __builtin_prefetch(row + 7 * rb + 64);
#define ST_Q80_TAB(k, acc)                                                                                 \
        acc += d[(k) * nb + b] * (__builtin_convertvector(*(const vi8 *)(row + (k) * rb + 2), vf16) * xl   \
                                + __builtin_convertvector(*(const vi8 *)(row + (k) * rb + 18), vf16) * xh);
        ST_Q80_TAB(0, acc0)
        ST_Q80_TAB(1, acc1)
        ST_Q80_TAB(2, acc2)
        ST_Q80_TAB(3, acc3)
#undef ST_Q80_TAB
    }
    out[0] = SUFFIX(hsum16)(acc0);
    out[1] = SUFFIX(hsum16)(acc1);
    out[2] = SUFFIX(hsum16)(acc2);
    out[3] = SUFFIX(hsum16)(acc3);
}

// y[r] = dot(W row r, x) for r in [r0, r1) using scale tables (dtab, and mtab for Q4_1).
void SUFFIX(st_matvec_tab)(int type, const void *w, size_t row_bytes, int64_t cols, const float *dtab,
                            const float *mtab, const float *x, float *y, int64_t r0, int64_t r1, float *scratch) {
    const int64_t nb = cols / 32;
    const uint8_t *base = (const uint8_t *)w;
    float *xsum = scratch;
    if (type == ST_TYPE_Q4_1)
        for (int64_t b = 0; b < nb; b++) xsum[b] = SUFFIX(hsum16)(*(const vf16 *)(x + 32 * b) + *(const vf16 *)(x + 32 * b + 16));
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        if (type == ST_TYPE_Q4_1)
            SUFFIX(dot4_q4_1_tab)(base + (size_t)r * row_bytes, row_bytes, dtab + r * nb, mtab + r * nb, nb, x, xsum, y + r);
        else
            SUFFIX(dot4_q8_0_tab)(base + (size_t)r * row_bytes, row_bytes, dtab + r * nb, nb, x, y + r);
    }
    for (; r < r1; r++) {
        const uint8_t *row = base + (size_t)r * row_bytes;
        y[r] = type == ST_TYPE_Q4_1 ? SUFFIX(dot_q4_1)(row, x, xsum, nb) : SUFFIX(dot_q8_0)(row, x, nb);
    }
}

// ---- NT GEMM: C[i, j] = dot(A[i, :], B[j, :]) --------------------------------------------

void SUFFIX(st_sgemm_nt)(const float *a, int64_t lda, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int64_t m, int64_t j0, int64_t j1, int64_t k, int accumulate) {
    const int64_t kv = k / VL * VL;
    int64_t i = 0;
    for (; i + TM <= m; i += TM) {
        int64_t j = j0;
        for (; j + TN <= j1; j += TN) {
            vf acc[TM][TN];
            for (int ii = 0; ii < TM; ii++)
                for (int jj = 0; jj < TN; jj++) acc[ii][jj] = (vf){0};
            for (int64_t kk = 0; kk < kv; kk += VL) {
                vf av[TM], bv[TN];
                for (int ii = 0; ii < TM; ii++) av[ii] = *(const vf *)(a + (i + ii) * lda + kk);
                for (int jj = 0; jj < TN; jj++) bv[jj] = *(const vf *)(b + (j + jj) * ldb + kk);
                for (int ii = 0; ii < TM; ii++)
                    for (int jj = 0; jj < TN; jj++) acc[ii][jj] += av[ii] * bv[jj];
            }
            for (int ii = 0; ii < TM; ii++)
                for (int jj = 0; jj < TN; jj++) {
                    float s = SUFFIX(hsum)(acc[ii][jj]);
                    for (int64_t kk = kv; kk < k; kk++) s += a[(i + ii) * lda + kk] * b[(j + jj) * ldb + kk];
                    float *out = c + (i + ii) * ldc + j + jj;
                    *out = accumulate ? *out + s : s;
                }
        }
        for (; j < j1; j++)
            for (int ii = 0; ii < TM; ii++) {
                float s = SUFFIX(st_sdot)(a + (i + ii) * lda, b + j * ldb, k);
                float *out = c + (i + ii) * ldc + j;
                *out = accumulate ? *out + s : s;
            }
    }
    for (; i < m; i++)
        for (int64_t j = j0; j < j1; j++) {
            float s = SUFFIX(st_sdot)(a + i * lda, b + j * ldb, k);
            float *out = c + i * ldc + j;
            *out = accumulate ? *out + s : s;
        }
}

// ---- quantized GEMM ------------------------------------------------------------------------

#define ST_NR (2 * VL)

// Y[i, 0..n) = sum_k X[i, k] * P[k, 0..n) for all m rows, P packed [k][ST_NR] (n <= ST_NR).
// Register tile: 6 rows of X by two vectors of P; each k step loads two vectors and broadcasts
// six scalars for twelve FMAs.
static void SUFFIX(gemm_packed)(const float *x, int64_t ldx, int64_t m, const float *p, int64_t k,
                                float *y, int64_t ldy, int64_t n) {
    int64_t i = 0;
    for (; i + 6 <= m; i += 6) {
        vf a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0};
        vf a30 = {0}, a31 = {0}, a40 = {0}, a41 = {0}, a50 = {0}, a51 = {0};
        const float *x0 = x + i * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx, *x4 = x3 + ldx, *x5 = x4 + ldx;
        for (int64_t kk = 0; kk < k; kk++) {
            const vf b0 = *(const vf *)(p + kk * ST_NR), b1 = *(const vf *)(p + kk * ST_NR + VL);
            float s;
            s = x0[kk]; a00 += s * b0; a01 += s * b1;
            s = x1[kk]; a10 += s * b0; a11 += s * b1;
            s = x2[kk]; a20 += s * b0; a21 += s * b1;
            s = x3[kk]; a30 += s * b0; a31 += s * b1;
            s = x4[kk]; a40 += s * b0; a41 += s * b1;
            s = x5[kk]; a50 += s * b0; a51 += s * b1;
        }
        vf acc[6][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
        for (int ii = 0; ii < 6; ii++) {
            float *out = y + (i + ii) * ldy;
            if (n == ST_NR) {
                memcpy(out, &acc[ii][0], VL * sizeof(float));
                memcpy(out + VL, &acc[ii][1], VL * sizeof(float));
            } else {
                for (int64_t j = 0; j < n; j++) out[j] = j < VL ? acc[ii][0][j] : acc[ii][1][j - VL];
            }
        }
    }
    for (; i < m; i++) {
        vf a0 = {0}, a1 = {0};
        const float *xi = x + i * ldx;
        for (int64_t kk = 0; kk < k; kk++) {
            a0 += xi[kk] * *(const vf *)(p + kk * ST_NR);
            a1 += xi[kk] * *(const vf *)(p + kk * ST_NR + VL);
        }
        float *out = y + i * ldy;
        for (int64_t j = 0; j < n; j++) out[j] = j < VL ? a0[j] : a1[j - VL];
    }
}


void SUFFIX(st_qgemm)(int type, const void *w, size_t row_bytes, int64_t cols,
                       const float *x, int64_t ldx, int64_t m,
                       float *y, int64_t ldy, int64_t r0, int64_t r1, float *scratch) {
    const uint8_t *base = (const uint8_t *)w;
    if (type == ST_TYPE_F32) {
        SUFFIX(st_sgemm_nt)(x, ldx, (const float *)w, (int64_t)(row_bytes / 4), y, ldy, m, r0, r1, cols, 0);
        return;
    }
    if (m <= 2 && (type == ST_TYPE_Q4_1 || type == ST_TYPE_Q4_0 || type == ST_TYPE_Q8_0)) {
        const int64_t nb = cols / 32;
        for (int64_t i = 0; i < m; i++) {
            const float *xi = x + i * ldx;
            float *xsum = scratch;
            if (type != ST_TYPE_Q8_0)
                for (int64_t b = 0; b < nb; b++) {
                    vf16 s = *(const vf16 *)(xi + 32 * b) + *(const vf16 *)(xi + 32 * b + 16);
                    xsum[b] = SUFFIX(hsum16)(s);
                }
            float *yi = y + i * ldy;
            int64_t r = r0;
            if (type == ST_TYPE_Q4_1)
                for (; r + 4 <= r1; r += 4) SUFFIX(dot4_q4_1)(base + (size_t)r * row_bytes, row_bytes, xi, xsum, nb, yi + r);
            if (type == ST_TYPE_Q8_0)
                for (; r + 4 <= r1; r += 4) SUFFIX(dot4_q8_0)(base + (size_t)r * row_bytes, row_bytes, xi, nb, yi + r);
            for (; r < r1; r++) {
                const uint8_t *row = base + (size_t)r * row_bytes;
                yi[r] = type == ST_TYPE_Q4_1 ? SUFFIX(dot_q4_1)(row, xi, xsum, nb)
                      : type == ST_TYPE_Q4_0 ? SUFFIX(dot_q4_0)(row, xi, xsum, nb)
                                             : SUFFIX(dot_q8_0)(row, xi, nb);
            }
        }
        return;
    }
    // Batched rows: dequantize NR = 2 vectors' worth of W rows, transposed so each k holds NR
    // contiguous weights, and run the 6 x NR broadcast micro-kernel over all rows of X.
    float *rowbuf = scratch + (size_t)ST_NR * cols;
    for (int64_t r = r0; r < r1; r += ST_NR) {
        int64_t n = r1 - r < ST_NR ? r1 - r : ST_NR;
        for (int64_t rr = 0; rr < ST_NR; rr++) {
            if (rr < n) SUFFIX(dequant_row)(type, base + (size_t)(r + rr) * row_bytes, cols, rowbuf);
            else memset(rowbuf, 0, (size_t)cols * sizeof(float));
            for (int64_t k = 0; k < cols; k++) scratch[k * ST_NR + rr] = rowbuf[k];
        }
        SUFFIX(gemm_packed)(x, ldx, m, scratch, cols, y + r, ldy, n);
    }
}

// ---- NN GEMM: C[i, j] (+)= sum_k A[i, k] * B[k, j] ------------------------------------------
// A is read through strides (rsa between rows, csa between k), so a transposed operand costs
// nothing; B is row-major with contiguous j. Register tile: 4 rows of C by two vectors.

void SUFFIX(st_sgemm_nn)(const float *a, int64_t rsa, int64_t csa, const float *b, int64_t ldb,
                          float *c, int64_t ldc, int64_t m, int64_t n, int64_t k, int accumulate) {
    if (!accumulate)
        for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
    const int64_t nv = n / (2 * VL) * (2 * VL);
    int64_t i = 0;
    for (; i + 6 <= m; i += 6) {
        for (int64_t j = 0; j < nv; j += 2 * VL) {
            vf acc[6][2];
            for (int ii = 0; ii < 6; ii++) {
                acc[ii][0] = *(vf *)(c + (i + ii) * ldc + j);
                acc[ii][1] = *(vf *)(c + (i + ii) * ldc + j + VL);
            }
            const float *a0 = a + i * rsa;
            for (int64_t kk = 0; kk < k; kk++) {
                const vf b0 = *(const vf *)(b + kk * ldb + j), b1 = *(const vf *)(b + kk * ldb + j + VL);
                const float *ak = a0 + kk * csa;
                for (int ii = 0; ii < 6; ii++) {
                    const float s = ak[ii * rsa];
                    acc[ii][0] += s * b0;
                    acc[ii][1] += s * b1;
                }
            }
            for (int ii = 0; ii < 6; ii++) {
                *(vf *)(c + (i + ii) * ldc + j) = acc[ii][0];
                *(vf *)(c + (i + ii) * ldc + j + VL) = acc[ii][1];
            }
        }
        for (int64_t r = i; r < i + 6; r++)
            for (int64_t kk = 0; kk < k; kk++) {
                const float x = a[r * rsa + kk * csa];
                for (int64_t j = nv; j < n; j++) c[r * ldc + j] += x * b[kk * ldb + j];
            }
    }
    for (; i < m; i++)
        for (int64_t kk = 0; kk < k; kk++) {
            const float x = a[i * rsa + kk * csa];
            int64_t j = 0;
            for (; j + VL <= n; j += VL) *(vf *)(c + i * ldc + j) += x * *(const vf *)(b + kk * ldb + j);
            for (; j < n; j++) c[i * ldc + j] += x * b[kk * ldb + j];
        }
}

#define ST_NN_PANEL_ROWS 128

// dX[:, c0:c1] (+)= dY · W[:, c0:c1] for a quantized W of `rows` x `cols`: the backward product
// through a frozen projection. Columns [c0, c1) start and end on block boundaries; W's rows are
// dequantized 64 at a time (only the blocks covering c0..c1) into scratch.
void SUFFIX(st_qgemm_nn)(int type, const void *w, size_t row_bytes, int64_t rows, int64_t c0, int64_t c1,
                          const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate,
                          float *scratch) {
    const int64_t width = c1 - c0;
    const int block = type == ST_TYPE_F32 || type == ST_TYPE_F16 || type == ST_TYPE_BF16 ? 1 : 32;
    const size_t block_bytes = type == ST_TYPE_F32 ? 4 : type == ST_TYPE_F16 || type == ST_TYPE_BF16 ? 2
                             : type == ST_TYPE_Q4_0 ? 18 : type == ST_TYPE_Q4_1 ? 20 : 34;
    const size_t skip = (size_t)(c0 / block) * block_bytes;
    for (int64_t r = 0; r < rows; r += ST_NN_PANEL_ROWS) {
        int64_t n = rows - r < ST_NN_PANEL_ROWS ? rows - r : ST_NN_PANEL_ROWS;
        for (int64_t rr = 0; rr < n; rr++)
            SUFFIX(dequant_row)(type, (const uint8_t *)w + (size_t)(r + rr) * row_bytes + skip, width, scratch + rr * width);
        SUFFIX(st_sgemm_nn)(dy + r, lddy, 1, scratch, width, dx + c0, lddx, m, width, n, accumulate || r > 0);
    }
}

// ---- elementwise: exp, SwiGLU, softmax ----------------------------------------------------
// expf to about 2 ulp: exp(x) = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 (two-part
// ln 2), e^r by a degree-6 polynomial on |r| ≤ ln2/2, 2^n assembled in the exponent bits.
static inline vf SUFFIX(vexp)(vf x) {
    typedef int32_t vi __attribute__((vector_size(VL * 4)));
    x = __builtin_elementwise_max(x, (vf){0} - 87.3f);
    x = __builtin_elementwise_min(x, (vf){0} + 88.7f);
    vf n = __builtin_elementwise_roundeven(x * 1.44269504088896341f);
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vf p = (vf){0} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    vi e = (__builtin_convertvector(n, vi) + 127) << 23;
    vf scale;
    memcpy(&scale, &e, sizeof scale);
    return p * scale;
}

static inline float SUFFIX(sexp)(float x) {
    vf v = {0};
    v[0] = x;
    return SUFFIX(vexp)(v)[0];
}

// out = silu(gate) * up, silu(g) = g / (1 + e^-g)
void SUFFIX(st_swiglu)(const float *gate, const float *up, float *out, int64_t n) {
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
        vf g = *(const vf *)(gate + i);
        *(vf *)(out + i) = g / (1.0f + SUFFIX(vexp)(-g)) * *(const vf *)(up + i);
    }
    for (; i < n; i++) out[i] = gate[i] / (1.0f + SUFFIX(sexp)(-gate[i])) * up[i];
}

// From d(out): d(up) = dout·silu(g), d(gate) = dout·up·σ(g)(1 + g(1 − σ(g))).
void SUFFIX(st_swiglu_backward)(const float *gate, const float *up, const float *dout, float *dgate, float *dup, int64_t n) {
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
        vf g = *(const vf *)(gate + i), d = *(const vf *)(dout + i);
        vf s = 1.0f / (1.0f + SUFFIX(vexp)(-g));
        *(vf *)(dup + i) = d * g * s;
        *(vf *)(dgate + i) = d * *(const vf *)(up + i) * s * (1.0f + g * (1.0f - s));
    }
    for (; i < n; i++) {
        float g = gate[i], s = 1.0f / (1.0f + SUFFIX(sexp)(-g));
        dup[i] = dout[i] * g * s;
        dgate[i] = dout[i] * up[i] * s * (1.0f + g * (1.0f - s));
    }
}

// Cross-entropy of one row of logits against `target`: returns −log softmax[target] (in double)
// and, when grad_scale != 0, overwrites the row with grad_scale·(softmax − onehot).
double SUFFIX(st_softmax_xent)(float *row, int64_t n, int64_t target, float grad_scale) {
    vf mxv = (vf){0} - 3.0e38f;
    int64_t i = 0;
    for (; i + VL <= n; i += VL) mxv = __builtin_elementwise_max(mxv, *(const vf *)(row + i));
    float mx = -3.0e38f;
    for (int k = 0; k < VL; k++) mx = mxv[k] > mx ? mxv[k] : mx;
    for (; i < n; i++) mx = row[i] > mx ? row[i] : mx;
    const float picked = row[target];
    vf sv = {0};
    i = 0;
    for (; i + VL <= n; i += VL) {
        vf e = SUFFIX(vexp)(*(const vf *)(row + i) - mx);
        *(vf *)(row + i) = e;
        sv += e;
    }
    double sum = 0;
    for (int k = 0; k < VL; k++) sum += sv[k];
    for (; i < n; i++) { row[i] = SUFFIX(sexp)(row[i] - mx); sum += row[i]; }
    const double loss = (double)mx + log(sum) - (double)picked;
    if (grad_scale != 0) {
        const float k = (float)(grad_scale / sum);
        i = 0;
        for (; i + VL <= n; i += VL) *(vf *)(row + i) *= k;
        for (; i < n; i++) row[i] *= k;
        row[target] -= grad_scale;
    }
    return loss;
}

#undef vf
#undef vf16
#undef vu8
#undef vi8
