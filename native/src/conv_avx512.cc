// AVX-512 (F, BW, DQ, VL) build of the convolution kernels, selected at run
// time when the CPU has them (conv.cc). The target is set by the pragma after
// the standard headers, so that inline functions of those headers stay
// baseline code: only this file's own functions use AVX-512 instructions.
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels.h"

#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_ps() as the merge operand
// (or _mm256_undefined_pd()) as the merge operand of unmasked operations, which
// -Wmaybe-uninitialized / -Wuninitialized report at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "simd_math.h"
#define KNS_AVX2 1
#define KNS_VL 16

namespace tmri {
#define KNS avx512
#define KNS_NAME "avx512"
#include "conv_impl.inc"
}  // namespace tmri
