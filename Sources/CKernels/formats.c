// The one table from ggml type ids (the numbers Swift's GGMLType carries) to the formats the
// fused kernels read. A matrix operation looks its format up here once; the kernels then take
// block sizes from the entry and functions from their ISA's st_kernels table, never switching on
// the type per row.
#include "CKernels.h"
#include "kernels_internal.h"

static const st_format st_formats[] = {
    [0] = {ST_KIND_F32, 1, 4},                       // GGML_TYPE_F32
    [1] = {ST_KIND_F16, 1, 2},                       // GGML_TYPE_F16
    [2] = {ST_KIND_Q4_0, ST_QK, sizeof(block_q4_0)}, // GGML_TYPE_Q4_0
    [3] = {ST_KIND_Q4_1, ST_QK, sizeof(block_q4_1)}, // GGML_TYPE_Q4_1
    [6] = {ST_KIND_Q5_0, ST_QK, sizeof(block_q5_0)}, // GGML_TYPE_Q5_0
    [7] = {ST_KIND_Q5_1, ST_QK, sizeof(block_q5_1)}, // GGML_TYPE_Q5_1
    [8] = {ST_KIND_Q8_0, ST_QK, sizeof(block_q8_0)}, // GGML_TYPE_Q8_0
    [10] = {ST_KIND_Q2_K, QK_K, sizeof(block_q2_K)}, // GGML_TYPE_Q2_K
    [11] = {ST_KIND_Q3_K, QK_K, sizeof(block_q3_K)}, // GGML_TYPE_Q3_K
    [12] = {ST_KIND_Q4_K, QK_K, sizeof(block_q4_K)}, // GGML_TYPE_Q4_K
    [13] = {ST_KIND_Q5_K, QK_K, sizeof(block_q5_K)}, // GGML_TYPE_Q5_K
    [14] = {ST_KIND_Q6_K, QK_K, sizeof(block_q6_K)}, // GGML_TYPE_Q6_K
    [30] = {ST_KIND_BF16, 1, 2},                     // GGML_TYPE_BF16
};

// NF4 as re-laid at load (block_nf4b): its id is SwarmTune's, far past ggml's, so not in the table.
static const st_format st_format_nf4b = {ST_KIND_NF4B, ST_QK, sizeof(block_nf4b)};

const st_format *st_format_of(int type) {
    if (type == ST_TYPE_NF4_BLOCKS) return &st_format_nf4b;
    if (type < 0 || (size_t)type >= sizeof st_formats / sizeof st_formats[0]) return NULL;
    const st_format *f = &st_formats[type];
    return f->block > 0 ? f : NULL;  // the gaps are zero-filled
}

int st_type_supported(int type) { return st_format_of(type) != NULL; }

size_t st_row_bytes(int type, int64_t cols) {
    const st_format *f = st_format_of(type);
    return f ? st_format_row_bytes(f, cols) : 0;
}

void st_build_scale_tables(int type, const void *w, size_t row_bytes, int64_t rows, int64_t cols, float *dtab, float *mtab) {
    const st_format *f = st_format_of(type);
    ST_ASSERT_MATRIX(f, row_bytes, cols);
    assert(st_format_has_scale_tables(f) && "scale tables are for Q4_1 and Q8_0");
    if (!f || !st_format_has_scale_tables(f)) return;
    const int64_t nb = cols / ST_QK;  // both are 32-weight formats
    if (f->kind == ST_KIND_Q4_1) {
        for (int64_t r = 0; r < rows; r++) {
            const block_q4_1 *row = ST_ROW(block_q4_1, w, row_bytes, r);
            for (int64_t b = 0; b < nb; b++) {
                dtab[r * nb + b] = st_fp16_to_fp32(row[b].d);
                if (mtab) mtab[r * nb + b] = st_fp16_to_fp32(row[b].m);
            }
        }
    } else if (f->kind == ST_KIND_Q8_0) {
        for (int64_t r = 0; r < rows; r++) {
            const block_q8_0 *row = ST_ROW(block_q8_0, w, row_bytes, r);
            for (int64_t b = 0; b < nb; b++) dtab[r * nb + b] = st_fp16_to_fp32(row[b].d);
        }
    }
}
