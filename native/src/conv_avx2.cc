// AVX2 + FMA build of the convolution kernels (selected at run time; the
// pragma comes after the standard headers so that their inline functions stay
// baseline code).
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels.h"

#pragma GCC target("avx2,fma")

#include "simd_math.h"
#define KNS_AVX2 1

namespace tmri {
#define KNS avx2
#define KNS_NAME "avx2"
#include "conv_impl.inc"
}  // namespace tmri
