// A persistent worker pool: workers spin briefly on a generation counter (a decode step issues
// hundreds of small matmuls, so waking threads through the kernel each time would cost more than
// the work), then sleep on a condition variable when idle.
#include "CKernels.h"
#include "kernels_internal.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define ST_PAUSE() _mm_pause()
#else
#define ST_PAUSE() ((void)0)
#endif

#define ST_SPIN_ITERATIONS 20000

struct st_pool {
    int n;
    pthread_t *threads;
    _Atomic unsigned generation;
    _Atomic int pending;
    _Atomic int stop;
    _Atomic int sleepers;
    st_task_fn fn;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    // Per-worker scratch (slot n is the caller's shared slot): grown on demand, kept for the
    // pool's life, so the hot loops never allocate (large mallocs would mmap fresh zeroed pages).
    void **scratch;
    size_t *scratch_bytes;
};

typedef struct {
    st_pool *pool;
    int index;
} st_worker_arg;

static void *st_worker(void *raw) {
    st_worker_arg arg = *(st_worker_arg *)raw;
    free(raw);
    st_pool *p = arg.pool;
    unsigned seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen && !atomic_load(&p->stop)) {
            if (++spins < ST_SPIN_ITERATIONS) { ST_PAUSE(); continue; }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        p->fn(p->ctx, arg.index, p->n);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel);
    }
}

st_pool *st_pool_create(int threads) {
    if (threads < 1) threads = 1;
    st_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = calloc((size_t)threads, sizeof(pthread_t));
    p->scratch = calloc((size_t)threads + 1, sizeof(void *));
    p->scratch_bytes = calloc((size_t)threads + 1, sizeof(size_t));
    for (int i = 1; i < threads; i++) {
        st_worker_arg *arg = malloc(sizeof *arg);
        arg->pool = p;
        arg->index = i;
        if (pthread_create(&p->threads[i], NULL, st_worker, arg) != 0) {
            free(arg);
            p->n = i;  // run with the workers that did start
            break;
        }
    }
    return p;
}

void st_pool_destroy(st_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    for (int i = 0; i <= p->n; i++) free(p->scratch[i]);
    free(p->scratch);
    free(p->scratch_bytes);
    free(p->threads);
    free(p);
}

int st_pool_size(const st_pool *p) { return p ? p->n : 1; }

void *st_pool_scratch(st_pool *p, int slot, size_t bytes) {
    if (!p || slot < 0 || slot > p->n) return NULL;
    if (p->scratch_bytes[slot] < bytes) {
        free(p->scratch[slot]);
        size_t grown = bytes + bytes / 4 + 256;
        p->scratch[slot] = NULL;
        if (posix_memalign(&p->scratch[slot], 64, grown) != 0) { p->scratch[slot] = NULL; p->scratch_bytes[slot] = 0; return NULL; }
        p->scratch_bytes[slot] = grown;
    }
    return p->scratch[slot];
}

void st_pool_run(st_pool *p, st_task_fn fn, void *ctx) {
    if (!p || p->n == 1) { fn(ctx, 0, 1); return; }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->pending, p->n - 1);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    fn(ctx, 0, p->n);
    int spins = 0;
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) {
        if (++spins < ST_SPIN_ITERATIONS) ST_PAUSE();
        else sched_yield();
    }
}

typedef struct {
    int isa;
    const st_format *format;
    const void *w;
    size_t row_bytes;
    int64_t rows, cols;
    const float *x;
    int64_t ldx, m;
    float *y;
    int64_t ldy;
    st_pool *pool;
    _Atomic int64_t next;  // the next chunk of rows (m <= 2)
} st_qgemm_job;

// Decode's matrix-vector products take their rows in chunks from a shared counter (about four
// chunks per thread, whole groups of four rows) rather than in one fixed range per thread: a
// thread slowed by another process, or one that started late, no longer leaves the others
// spinning at the barrier (st_pool_run and st_worker spinning were 12% of a decode step on a
// shared 2-core AMD EPYC Zen 3). Each row is still computed whole by one thread with the same
// code, so results do not depend on which thread took it.
static int64_t st_row_chunk(int64_t rows, int nth) {
    int64_t per = (rows + 4 * (int64_t)nth - 1) / (4 * (int64_t)nth);
    return per < 4 ? 4 : (per + 3) / 4 * 4;
}

// Takes the next chunk of `chunk` rows of `rows` into [*r0, *r1); 0 when none is left.
static int st_take_rows(_Atomic int64_t *next, int64_t rows, int64_t chunk, int64_t *r0, int64_t *r1) {
    *r0 = atomic_fetch_add_explicit(next, 1, memory_order_relaxed) * chunk;
    if (*r0 >= rows) return 0;
    *r1 = *r0 + chunk < rows ? *r0 + chunk : rows;
    return 1;
}

static void st_qgemm_task(void *raw, int ith, int nth) {
    st_qgemm_job *j = raw;
    if (j->m <= 2) {
        float *scratch = st_pool_scratch(j->pool, ith, st_qgemm_scratch_floats(j->cols) * sizeof(float));
        if (!scratch) return;
        const int64_t chunk = st_row_chunk(j->rows, nth);
        int64_t r0, r1;
        while (st_take_rows(&j->next, j->rows, chunk, &r0, &r1))
            st_qgemm_format(j->isa, j->format, j->w, j->row_bytes, j->cols, j->x, j->ldx, j->m, j->y, j->ldy, r0, r1, scratch);
        return;
    }
    // Split rows into nth contiguous ranges aligned to 32 rows (the widest panel).
    int64_t chunks = (j->rows + 31) / 32;
    int64_t c0 = chunks * ith / nth, c1 = chunks * (ith + 1) / nth;
    int64_t r0 = c0 * 32, r1 = c1 * 32 < j->rows ? c1 * 32 : j->rows;
    if (r0 >= r1) return;
    float *scratch = st_pool_scratch(j->pool, ith, st_qgemm_scratch_floats(j->cols) * sizeof(float));
    if (!scratch) return;
    st_qgemm_format(j->isa, j->format, j->w, j->row_bytes, j->cols, j->x, j->ldx, j->m, j->y, j->ldy, r0, r1, scratch);
}

void st_qgemm_mt(st_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                 const float *x, int64_t ldx, int64_t m, float *y, int64_t ldy) {
    const st_format *f = st_format_of(type);
    ST_ASSERT_MATRIX(f, row_bytes, cols);
    assert(rows >= 0 && m >= 0 && (m <= 1 || (ldx >= cols && ldy >= rows)));
    if (!f) return;
    st_qgemm_job job = {isa, f, w, row_bytes, rows, cols, x, ldx, m, y, ldy, pool, 0};
    st_pool_run(pool, st_qgemm_task, &job);
}

typedef struct {
    int isa;
    const st_format *format;
    const void *w;
    size_t row_bytes;
    int64_t rows, cols, block;
    const float *dy;
    int64_t lddy, m;
    float *dx;
    int64_t lddx;
    int accumulate;
    st_pool *pool;
} st_qgemm_nn_job;

static void st_qgemm_nn_task(void *raw, int ith, int nth) {
    st_qgemm_nn_job *j = raw;
    // Split the columns of dX into nth ranges on block boundaries.
    int64_t blocks = j->cols / j->block;
    int64_t b0 = blocks * ith / nth, b1 = blocks * (ith + 1) / nth;
    if (b0 >= b1) return;
    int64_t c0 = b0 * j->block, c1 = b1 * j->block;
    float *scratch = st_pool_scratch(j->pool, ith, (size_t)128 * (size_t)(c1 - c0) * sizeof(float));
    if (!scratch) return;
    st_qgemm_nn_format(j->isa, j->format, j->w, j->row_bytes, j->rows, c0, c1, j->dy, j->lddy, j->m, j->dx, j->lddx,
                       j->accumulate, scratch);
}

void st_qgemm_nn_mt(st_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                    const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate) {
    const st_format *f = st_format_of(type);
    ST_ASSERT_MATRIX(f, row_bytes, cols);
    assert(rows >= 0 && m >= 0 && (m <= 1 || (lddy >= rows && lddx >= cols)));
    if (!f) return;
    // Workers' column ranges: whole blocks, and at least 16 columns for the dense formats.
    int64_t block = f->block > 1 ? f->block : 16;
    st_qgemm_nn_job job = {isa, f, w, row_bytes, rows, cols, block, dy, lddy, m, dx, lddx, accumulate, pool};
    st_pool_run(pool, st_qgemm_nn_task, &job);
}

typedef struct {
    int isa;
    int count;
    int64_t cols;
    const float *x;
    const st_format *formats[ST_MATVEC_MAX_OPERANDS];
    st_matvec_operand ops[ST_MATVEC_MAX_OPERANDS];
    _Atomic int64_t next[ST_MATVEC_MAX_OPERANDS];  // the next chunk of each matrix's rows
} st_matvec_job;

static void st_matvec_task(void *raw, int ith, int nth) {
    (void)ith;
    st_matvec_job *j = raw;
    float xsum[512];
    float *scratch = j->cols / 32 <= 512 ? xsum : malloc((size_t)(j->cols / 32) * sizeof(float));
    if (!scratch) return;
    for (int i = 0; i < j->count; i++) {
        const st_matvec_operand *o = &j->ops[i];
        const int64_t chunk = st_row_chunk(o->rows, nth);
        int64_t r0, r1;
        while (st_take_rows(&j->next[i], o->rows, chunk, &r0, &r1))
            st_matvec_tab_format(j->isa, j->formats[i], o->w, o->row_bytes, j->cols, o->dtab, o->mtab, j->x, o->y, r0,
                                 r1, scratch);
    }
    if (scratch != xsum) free(scratch);
}

void st_matvec_tab_many_mt(st_pool *pool, int isa, const st_matvec_operand *ops, int count, int64_t cols,
                           const float *x) {
    assert(count >= 1 && count <= ST_MATVEC_MAX_OPERANDS);
    if (count < 1 || count > ST_MATVEC_MAX_OPERANDS) return;
    st_matvec_job job = {isa, count, cols, x, {0}, {{0}}, {0}};
    for (int i = 0; i < count; i++) {
        const st_format *f = st_format_of(ops[i].type);
        ST_ASSERT_MATRIX(f, ops[i].row_bytes, cols);
        assert(st_format_has_scale_tables(f) && ops[i].dtab && (f->kind != ST_KIND_Q4_1 || ops[i].mtab) &&
               "scale tables are for Q4_1 and Q8_0");
        if (!f || !st_format_has_scale_tables(f)) return;
        job.formats[i] = f;
        job.ops[i] = ops[i];
        atomic_init(&job.next[i], 0);
    }
    st_pool_run(pool, st_matvec_task, &job);
}

void st_matvec_tab_mt(st_pool *pool, int isa, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                      const float *dtab, const float *mtab, const float *x, float *y) {
    const st_matvec_operand op = {type, w, row_bytes, rows, dtab, mtab, y};
    st_matvec_tab_many_mt(pool, isa, &op, 1, cols, x);
}

int st_cpu_has_bf16(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    const char *want = getenv("SWARMTUNE_ISA");
    if (want && strcmp(want, "avx512") != 0) return 0;
    return __builtin_cpu_supports("avx512bf16") && st_cpu_isa() == ST_ISA_AVX512;
#else
    return 0;
#endif
}

#if defined(__x86_64__)
typedef struct {
    const float *src;
    int64_t rows, cols, ld;
    uint16_t *dst;  // rows x cols, packed
} st_bf16_convert_job;

static void st_bf16_convert_task(void *raw, int ith, int nth) {
    st_bf16_convert_job *j = raw;
    int64_t r0 = j->rows * ith / nth, r1 = j->rows * (ith + 1) / nth;
    for (int64_t r = r0; r < r1; r++) st_to_bf16_avx512bf16(j->src + r * j->ld, j->dst + r * j->cols, j->cols);
}

typedef struct {
    const st_format *format;
    const void *w;
    size_t row_bytes;
    int64_t rows, cols, m;
    const uint16_t *xb;
    float *y, *dx;
    int64_t ldy;
    int accumulate;
    st_pool *pool;
} st_bf16_job;

static void st_qgemm_bf16_task(void *raw, int ith, int nth) {
    st_bf16_job *j = raw;
    int64_t chunks = (j->rows + 31) / 32;
    int64_t r0 = chunks * ith / nth * 32, r1 = chunks * (ith + 1) / nth * 32;
    if (r1 > j->rows) r1 = j->rows;
    if (r0 >= r1) return;
    const size_t rowbytes = ((size_t)j->cols * sizeof(float) + 63) / 64 * 64;
    char *s = st_pool_scratch(j->pool, ith, rowbytes + (size_t)j->cols * 32 * sizeof(uint16_t) + 64);
    if (!s) return;
    st_qgemm_bf16_avx512bf16(j->format, j->w, j->row_bytes, j->cols, j->xb, j->m, j->y, j->ldy, r0, r1, (float *)s,
                             (uint16_t *)(s + rowbytes));
}

static void st_qgemm_nn_bf16_task(void *raw, int ith, int nth) {
    st_bf16_job *j = raw;
    // Whole blocks per worker: 32 columns, or a K type's 256 (both multiples of the kernel's NR).
    const int64_t step = j->format->block;
    int64_t blocks = j->cols / step;
    int64_t c0 = blocks * ith / nth * step, c1 = blocks * (ith + 1) / nth * step;
    if (c0 >= c1) return;
    const size_t rowbytes = (2 * (size_t)(c1 - c0) * sizeof(float) + 63) / 64 * 64;  // two decoded rows
    char *s = st_pool_scratch(j->pool, ith, rowbytes + (size_t)(c1 - c0) * 128 * sizeof(uint16_t) + 64);
    if (!s) return;
    st_qgemm_nn_bf16_avx512bf16(j->format, j->w, j->row_bytes, j->rows, c0, c1, j->xb, j->m, j->dx, j->ldy, j->accumulate,
                                (float *)s, (uint16_t *)(s + rowbytes));
}
#endif

// The bf16 kernels read the block formats: the 32-weight ones (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// re-laid NF4) and the K types (256 weights), st_qgemm_nn_bf16_task splitting columns on whole
// blocks. The dense formats take the fp32 kernels.
static int st_bf16_usable(const st_format *f, int64_t k) {
    return st_cpu_has_bf16() && f && (f->block == ST_QK || f->block == QK_K) && k % f->block == 0;
}

void st_qgemm_bf16_mt(st_pool *pool, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                      const float *x, int64_t ldx, int64_t m, float *y, int64_t ldy) {
#if defined(__x86_64__)
    // The converted activations live in the caller's shared slot (index n), reused across calls.
    const st_format *f = st_format_of(type);
    uint16_t *xb = st_bf16_usable(f, cols) && m > 2 ? st_pool_scratch(pool, st_pool_size(pool), (size_t)(m * cols) * sizeof(uint16_t)) : NULL;
    if (xb) {
        st_bf16_convert_job cj = {x, m, cols, ldx, xb};
        st_pool_run(pool, st_bf16_convert_task, &cj);
        st_bf16_job job = {f, w, row_bytes, rows, cols, m, xb, y, NULL, ldy, 0, pool};
        st_pool_run(pool, st_qgemm_bf16_task, &job);
        return;
    }
#endif
    st_qgemm_mt(pool, st_cpu_isa(), type, w, row_bytes, rows, cols, x, ldx, m, y, ldy);
}

void st_qgemm_nn_bf16_mt(st_pool *pool, int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                         const float *dy, int64_t lddy, int64_t m, float *dx, int64_t lddx, int accumulate) {
#if defined(__x86_64__)
    const st_format *f = st_format_of(type);
    uint16_t *dyb = st_bf16_usable(f, cols) && rows % 2 == 0 ? st_pool_scratch(pool, st_pool_size(pool), (size_t)(m * rows) * sizeof(uint16_t)) : NULL;
    if (dyb) {
        st_bf16_convert_job cj = {dy, m, rows, lddy, dyb};
        st_pool_run(pool, st_bf16_convert_task, &cj);
        st_bf16_job job = {f, w, row_bytes, rows, cols, m, dyb, NULL, dx, lddx, accumulate, pool};
        st_pool_run(pool, st_qgemm_nn_bf16_task, &job);
        return;
    }
#endif
    st_qgemm_nn_mt(pool, st_cpu_isa(), type, w, row_bytes, rows, cols, dy, lddy, m, dx, lddx, accumulate);
}
