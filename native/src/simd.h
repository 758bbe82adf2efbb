// AVX2 + FMA versions of the memory-bound kernels (eltwise_avx2.cc), used
// when the CPU has them (the same choice as convImpl()). Each function works
// serially on the range it is given; the callers split work across threads.
#pragma once
#include <cstddef>

#include "kernels.h"

namespace tmri {

// True when the AVX2 kernels may be used: the path in use is avx2 or avx512.
bool useAvx2();
// True when the path in use is avx512 (the AVX-512 kernels of eltwise_avx512.cc).
bool useAvx512();

// The 4 input lines (d, h) of 2x2x2 pooling window row t (n, od, oh) in (d, h)
// order; each holds its windows' two w cells side by side. Baseline code, shared
// by the avx2 and avx512 pooling kernels (included before their target pragmas).
inline void windowLines222(const float* base, const ConvGeom& g, long t, const float** line) {
  const int oh = t % g.OH, od = (t / g.OH) % g.OD, n = t / ((long)g.OH * g.OD);
  const size_t rowLen = (size_t)g.W * g.Ci;
  for (int dd = 0; dd < 2; dd++)
    for (int hh = 0; hh < 2; hh++)
      line[dd * 2 + hh] = base + (((size_t)n * g.D + 2 * od + dd) * g.H + 2 * oh + hh) * rowLen;
}

namespace avx2 {
// out = x >= 0 ? x : expm1(x)
void elu(const float* x, float* out, size_t n);
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
// dx = act'(y) * dy (Act codes; none: dx = dy, y unused) over n floats of rows
// of C channels, adding the column sums of dx into sum[C]; dx may be null (sums
// only). False (nothing done) unless C divides 8 or is a multiple of 8 up to 64.
bool actGradSum(int act, const float* dy, const float* y, float* dx, size_t n, int C, double* sum);
// Nearest 2x2x2 upsampling of x [N,D,H,W,C], C % 8 == 0: input rows [r0, r1)
// of the N*D*H rows into out [N,2D,2H,2W,C]; and its gradient: dx rows [r0, r1)
// as the sums of their 8 dy cells, in upsample222Grad's order (ops.cc).
void upsample222(const float* x, int D, int H, int W, int C, long r0, long r1, float* out);
void upsample222Grad(const float* dy, int D, int H, int W, int C, long r0, long r1, float* dx);
}  // namespace avx2

namespace avx512 {
// As avx2::actGradSum with 16 lanes: false unless C divides 16 or is a multiple of 16 up to 128.
bool actGradSum(int act, const float* dy, const float* y, float* dx, size_t n, int C, double* sum);
// As avx2's maxPool222 / maxPool222Grad / upsample222 / upsample222Grad for
// C == 8 (a vector holds two w cells) or C % 16 == 0; same results, NaN included.
void maxPool222(const float* x, const ConvGeom& g, long t0, long t1, float* out);
void maxPool222Grad(const float* dy, const float* x, const ConvGeom& g, long t0, long t1, float* dx);
void upsample222(const float* x, int D, int H, int W, int C, long r0, long r1, float* out);
void upsample222Grad(const float* dy, int D, int H, int W, int C, long r0, long r1, float* dx);
}  // namespace avx512

}  // namespace tmri
