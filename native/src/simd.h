// AVX2 + FMA versions of the memory-bound kernels (eltwise_avx2.cc), used
// when the CPU has them (the same choice as convImpl()). Each function works
// serially on the range it is given; the callers split work across threads.
#pragma once
#include <cstddef>

#include "kernels.h"

namespace tmri {

// True when the AVX2 kernels may be used: the path in use is avx2 or avx512.
bool useAvx2();

namespace avx2 {
// out = x >= 0 ? x : expm1(x)
void elu(const float* x, float* out, size_t n);
// dx = y >= 0 ? dy : dy * (y + 1)
void eluGrad(const float* dy, const float* y, float* dx, size_t n);
// dx = dy * y * (1 - y)
void sigmoidGrad(const float* dy, const float* y, float* dx, size_t n);
// out = 1 / (1 + exp(-x))
void sigmoid(const float* x, float* out, size_t n);
// y[r, c] = act(y[r, c] + bias[c]) in place over `rows` rows of C channels.
void biasAct(float* y, size_t rows, int C, const float* bias, int act);
// Max pooling gradient of one non-overlapping window for C % 8 == 0 channels:
// x + off[j] (j < npos) are the window's input cells in (d, h, w) order; the
// gradient dy[c] goes to the last maximum, every other cell of the window gets 0.
void maxPoolGradWindow(const float* x, float* dx, const size_t* off, int npos, const float* dy, int C);
// 2x2x2 max pooling, stride 2, no padding, C % 8 == 0, every window inside
// the input: output rows [t0, t1) of the N*OD*OH rows (forward), and the
// gradient for the windows of those rows (cells outside windows untouched).
void maxPool222(const float* x, const ConvGeom& g, long t0, long t1, float* out);
void maxPool222Grad(const float* dy, const float* x, const ConvGeom& g, long t0, long t1, float* dx);
}  // namespace avx2

}  // namespace tmri
