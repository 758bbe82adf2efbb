// 2D CNN kernels (ops2d.cc): registers their N-API functions on the addon's exports.
#pragma once
#include <napi.h>

#include "kernels.h"

namespace tmri {
// Stride-1 2D convolutions with at most 8 output channels (conv2d_small.cc,
// AVX2+FMA code: call only when useAvx2()). False: not handled.
namespace avx2 {
bool conv2dSmallForward(const float* x, const float* w, const ConvGeom& g, const float* bias, int act, float* out);
bool conv2dSmallBackpropInput(const float* dy, const float* w, const ConvGeom& g, float* dx);
bool conv2dSmallBackpropFilter(const float* x, const float* dy, const ConvGeom& g, float* dw);
}  // namespace avx2

// C [batch, M, N] = op(A) x op(B) (+ bias [N]) (ReLU if act == ACT_RELU); A is
// [batchA, M, K] ([batchA, K, M] if ta), B [batchB, K, N] ([batchB, N, K] if tb);
// batchA and batchB are equal or 1 (matmul.cc).
void batchMatMul(const float* a, const float* b, float* c, int batchA, int batchB, int M, int N, int K, bool ta,
                 bool tb, const float* bias, int act);

void registerOps2d(Napi::Env env, Napi::Object exports);
}  // namespace tmri
