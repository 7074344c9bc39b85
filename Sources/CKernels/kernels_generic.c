// Portable build of the kernels: the x86-64 baseline (SSE2), also used on other CPUs.
#include "CKernels.h"
#include "kernels_internal.h"

#define SUFFIX(name) name##_generic
#define VL 4
#define TM 2
#define TN 4
#define H2F(h) st_fp16_to_fp32(h)
#include "kernels_impl.h"
