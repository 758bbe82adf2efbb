// AVX2 + FMA build of the convolution kernels (selected at run time).
#include <omp.h>

#include <cmath>
#include <cstring>

#include "kernels.h"

#pragma GCC target("avx2,fma")

#include "simd_math.h"
#define KNS_AVX2 1

namespace tmri {
#define KNS avx2
#define KNS_NAME "avx2+fma"
#include "conv_impl.inc"
}  // namespace tmri
