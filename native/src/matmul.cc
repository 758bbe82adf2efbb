// Batched float32 matrix product for tfjs' BatchMatMul and _FusedMatMul
// (dense layers): C[b] = op(A[b]) x op(B[b]) (+ bias per column, ReLU), where
// op transposes on request and a batch of 1 is broadcast. Transposed operands
// are first copied row-major; rows of C accumulate in double over k.
#include <omp.h>

#include <vector>

#include "kernels.h"
#include "ops2d.h"

namespace tmri {

void batchMatMul(const float* a, const float* b, float* c, int batchA, int batchB, int M, int N, int K, bool ta,
                 bool tb, const float* bias, int act) {
  const int batch = batchA > batchB ? batchA : batchB;
  const size_t sa = (size_t)M * K, sb = (size_t)K * N;
  // Row-major op(A) [M][K] and op(B) [K][N] for every batch that needs a copy.
  std::vector<float> at(ta ? sa * batchA : 0), bt(tb ? sb * batchB : 0);
  for (int q = 0; ta && q < batchA; q++)
    for (int k = 0; k < K; k++)
      for (int i = 0; i < M; i++) at[q * sa + (size_t)i * K + k] = a[q * sa + (size_t)k * M + i];
  for (int q = 0; tb && q < batchB; q++)
    for (int j = 0; j < N; j++)
      for (int k = 0; k < K; k++) bt[q * sb + (size_t)k * N + j] = b[q * sb + (size_t)j * K + k];
  const float* A = ta ? at.data() : a;
  const float* B = tb ? bt.data() : b;
  const long rows = (long)batch * M;
#pragma omp parallel if ((double)rows * N * K > 1e6)
  {
    std::vector<double> acc(N);
#pragma omp for schedule(static)
    for (long r = 0; r < rows; r++) {
      const int q = r / M, i = r % M;
      const float* ar = A + (size_t)(batchA == 1 ? 0 : q) * sa + (size_t)i * K;
      const float* bq = B + (size_t)(batchB == 1 ? 0 : q) * sb;
      for (int j = 0; j < N; j++) acc[j] = 0.0;
      for (int k = 0; k < K; k++) {
        const double av = ar[k];
        const float* br = bq + (size_t)k * N;
        for (int j = 0; j < N; j++) acc[j] += av * br[j];
      }
      float* cr = c + (size_t)r * N;
      for (int j = 0; j < N; j++) {
        float v = (float)acc[j];
        if (bias) v += bias[j];
        if (act == ACT_RELU) v = v > 0.f ? v : 0.f;
        cr[j] = v;
      }
    }
  }
}

}  // namespace tmri
