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
    [8] = {ST_KIND_Q8_0, ST_QK, sizeof(block_q8_0)}, // GGML_TYPE_Q8_0
    [30] = {ST_KIND_BF16, 1, 2},                     // GGML_TYPE_BF16
};

const st_format *st_format_of(int type) {
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
    if (!f) return;
    const int64_t nb = cols / ST_QK;
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
