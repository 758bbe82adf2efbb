// Baseline x86-64 (SSE2) build of the convolution kernels: runs anywhere.
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels.h"

namespace tmri {
#define KNS base
#define KNS_NAME "sse2"
#include "conv_impl.inc"
}  // namespace tmri
