// Element-wise kernels the CAE's training step spends most of its non-conv
// time in on tfjs' cpu backend: broadcasting add/sub/mul/div (bias adds,
// scalar factors, Adam), unary maps (ELU, sigmoid, square, sqrt, abs), ELU's
// gradient, fill, and sums over leading or trailing axes (bias gradients,
// means). Sums accumulate in double. Large arrays are split across threads
// in blocks; exp-based maps use the AVX2 kernels of eltwise_avx2.cc when the
// CPU has them.
#include <emmintrin.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "simd.h"

namespace tmri {

bool useAvx2() { return &convImpl() != &base::impl; }
bool useAvx512() { return &convImpl() == &avx512::impl; }

namespace {
constexpr size_t kBlock = 16384;

// Runs f(i0, i1) over [0, n) in blocks, in parallel when n is large.
template <typename F>
void blocks(size_t n, F f) {
  const long nb = (long)((n + kBlock - 1) / kBlock);
#pragma omp parallel for schedule(static) if (nb > 4)
  for (long b = 0; b < nb; b++) {
    const size_t i0 = (size_t)b * kBlock, i1 = i0 + kBlock < n ? i0 + kBlock : n;
    f(i0, i1);
  }
}

template <typename F>
void binaryLoop(const float* a, const float* b, float* out, size_t n, int mode, size_t inner, F f) {
  blocks(n, [&](size_t i0, size_t i1) {
    switch (mode) {
      case 0: for (size_t i = i0; i < i1; i++) out[i] = f(a[i], b[i]); break;
      case 1: { const float s = b[0]; for (size_t i = i0; i < i1; i++) out[i] = f(a[i], s); break; }
      case 2: { const float s = a[0]; for (size_t i = i0; i < i1; i++) out[i] = f(s, b[i]); break; }
      case 3: {
        size_t j = i0 % inner;
        for (size_t i = i0; i < i1; i++) { out[i] = f(a[i], b[j]); if (++j == inner) j = 0; }
        break;
      }
      default: {
        size_t j = i0 % inner;
        for (size_t i = i0; i < i1; i++) { out[i] = f(a[j], b[i]); if (++j == inner) j = 0; }
        break;
      }
    }
  });
}

template <typename F>
void unaryLoop(const float* x, float* out, size_t n, F f) {
  blocks(n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) out[i] = f(x[i]);
  });
}
}  // namespace

// Baseline (SSE2, part of x86-64) activation gradients, written with
// intrinsics: the compiler keeps a scalar `y >= 0 ? .. : ..` as a branch
// (comparisons may trap unless -fno-trapping-math), which random signs make
// mispredict (8M floats: 45 ms instead of 3). Same operations as avx2's Vec.
namespace sse2 {
struct Vec {
  using T = __m128;
  static constexpr int L = 4;
  static T load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, T v) { _mm_storeu_ps(p, v); }
  static T zero() { return _mm_setzero_ps(); }
  static T add(T a, T b) { return _mm_add_ps(a, b); }
  static T select(T m, T a, T b) { return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)); }
  static T elu(T d, T v) { return select(_mm_cmpge_ps(v, zero()), d, _mm_mul_ps(d, _mm_add_ps(v, _mm_set1_ps(1.f)))); }
  static T relu(T d, T v) { return _mm_and_ps(d, _mm_cmpgt_ps(v, zero())); }
  static T sigmoid(T d, T v) { return _mm_mul_ps(_mm_mul_ps(d, v), _mm_sub_ps(_mm_set1_ps(1.f), v)); }
};
#include "gradsum.inc"
}  // namespace sse2

void binary(int op, const float* a, const float* b, float* out, size_t n, int mode, size_t inner) {
  switch (op) {
    case BIN_ADD: binaryLoop(a, b, out, n, mode, inner, [](float x, float y) { return x + y; }); break;
    case BIN_SUB: binaryLoop(a, b, out, n, mode, inner, [](float x, float y) { return x - y; }); break;
    case BIN_MUL: binaryLoop(a, b, out, n, mode, inner, [](float x, float y) { return x * y; }); break;
    case BIN_DIV: binaryLoop(a, b, out, n, mode, inner, [](float x, float y) { return x / y; }); break;
    default: binaryLoop(a, b, out, n, mode, inner, [](float x, float y) { return (x - y) * (x - y); }); break;
  }
}

void unary(int op, const float* x, float* out, size_t n) {
  const bool v = useAvx2();
  switch (op) {
    case UN_ELU:
      if (v) blocks(n, [&](size_t i0, size_t i1) { avx2::elu(x + i0, out + i0, i1 - i0); });
      else unaryLoop(x, out, n, [](float a) { return a >= 0.f ? a : std::expm1(a); });
      break;
    case UN_SIGMOID:
      if (v) blocks(n, [&](size_t i0, size_t i1) { avx2::sigmoid(x + i0, out + i0, i1 - i0); });
      else unaryLoop(x, out, n, [](float a) { return 1.f / (1.f + std::exp(-a)); });
      break;
    case UN_SQUARE: unaryLoop(x, out, n, [](float a) { return a * a; }); break;
    case UN_SQRT: unaryLoop(x, out, n, [](float a) { return std::sqrt(a); }); break;
    case UN_ABS: unaryLoop(x, out, n, [](float a) { return std::fabs(a); }); break;
    default: unaryLoop(x, out, n, [](float a) { return -a; }); break;
  }
}

void elu(const float* x, float* out, size_t n) { unary(UN_ELU, x, out, n); }

void eluGrad(const float* dy, const float* y, float* dx, size_t n) { actGrad(ACT_ELU, dy, y, dx, n); }

void actGrad(int act, const float* dy, const float* y, float* dx, size_t n) {
  if (act == ACT_NONE) {
    blocks(n, [&](size_t i0, size_t i1) { std::memcpy(dx + i0, dy + i0, sizeof(float) * (i1 - i0)); });
    return;
  }
  // As one channel; the column sums are not used.
  const int path = useAvx512() ? 2 : useAvx2() ? 1 : 0;
  blocks(n, [&](size_t i0, size_t i1) {
    double s = 0;
    if (path == 2) avx512::actGradSum(act, dy + i0, y + i0, dx + i0, i1 - i0, 1, &s);
    else if (path == 1) avx2::actGradSum(act, dy + i0, y + i0, dx + i0, i1 - i0, 1, &s);
    else sse2::actGradSum(act, dy + i0, y + i0, dx + i0, i1 - i0, 1, &s);
  });
}

namespace {
// Baseline actGradBias over rows [r0, r1): float column sums over runs of 64
// rows (the inner loop over channels vectorises), flushed into double.
void actGradSumRows(int act, const float* dy, const float* y, float* dx, size_t rows, int C, double* sum,
                    float* acc) {
  for (size_t r = 0; r < rows;) {
    const size_t e = r + 64 < rows ? r + 64 : rows;
    for (int c = 0; c < C; c++) acc[c] = 0.f;
    for (; r < e; r++) {
      const float* d = dy + r * C;
      const float* v = y + r * C;
      float* o = dx ? dx + r * C : nullptr;
      for (int c = 0; c < C; c++) {
        float g = d[c];
        if (act == ACT_ELU) g = d[c] * (v[c] >= 0.f ? 1.f : v[c] + 1.f);
        else if (act == ACT_RELU) g = v[c] > 0.f ? d[c] : 0.f;
        else if (act == ACT_SIGMOID) g = d[c] * v[c] * (1.f - v[c]);
        if (o) o[c] = g;
        acc[c] += g;
      }
    }
    for (int c = 0; c < C; c++) sum[c] += acc[c];
  }
}
}  // namespace

void actGradBias(int act, const float* dy, const float* y, float* dx, size_t rows, int C, float* dbias) {
  if (act == ACT_NONE) y = dy;  // unused by the gradient; keeps the loops free of null checks
  const size_t per = kBlock / C > 0 ? kBlock / C : 1;  // rows per block
  const long nb = (long)((rows + per - 1) / per);
  std::vector<double> part((size_t)nb * C, 0.0);
  const int path = useAvx512() ? 2 : useAvx2() ? 1 : 0;
#pragma omp parallel if (nb > 4)
  {
    std::vector<float> acc(C);
#pragma omp for schedule(static)
    for (long b = 0; b < nb; b++) {
      const size_t r0 = (size_t)b * per, r1 = r0 + per < rows ? r0 + per : rows, o = r0 * C, n = (r1 - r0) * C;
      double* s = part.data() + (size_t)b * C;
      float* d = dx ? dx + o : nullptr;
      if (path == 2 && avx512::actGradSum(act, dy + o, y + o, d, n, C, s)) continue;
      if (path >= 1 && avx2::actGradSum(act, dy + o, y + o, d, n, C, s)) continue;
      if (sse2::actGradSum(act, dy + o, y + o, d, n, C, s)) continue;
      actGradSumRows(act, dy + o, y + o, d, r1 - r0, C, s, acc.data());
    }
  }
  // Blocks in order: the same sums for any thread count.
  for (int c = 0; c < C; c++) {
    double s = 0;
    for (long b = 0; b < nb; b++) s += part[(size_t)b * C + c];
    dbias[c] = (float)s;
  }
}

// One Adam step as tfjs' AdamOptimizer computes it with one float32 op at a
// time (mul, add, square, div, sqrt), so the results are bit-identical to it:
// baseline code, where no multiply-add can be contracted into an FMA.
void adamUpdate(const float* x, const float* m, const float* v, const float* g, const float* p, float* xo,
                float* mo, float* vo, size_t n) {
  const float b1 = p[0], c1 = p[1], b2 = p[2], c2 = p[3], om1 = p[4], om2 = p[5], eps = p[6], nlr = p[7];
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float m1 = m[i] * b1 + gi * c1;
    const float v1 = v[i] * b2 + (gi * gi) * c2;
    const float mh = m1 / om1, vh = v1 / om2;
    mo[i] = m1;
    vo[i] = v1;
    xo[i] = (mh / (std::sqrt(vh) + eps)) * nlr + x[i];
  }
}

void fill(float* out, size_t n, float value) {
  blocks(n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) out[i] = value;
  });
}

void sumLeading(const float* x, size_t rows, size_t cols, float* out) {
  const int T = rows * cols > 65536 ? numThreads() : 1;
  std::vector<double> part((size_t)T * cols, 0.0);
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const size_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    double* p = part.data() + (size_t)t * cols;
    if (cols <= 8 && 8 % cols == 0) {
      // Column c is every lane l with l % cols == c of 8 interleaved float
      // accumulators over the flat range (vectorises), flushed into double
      // every 64 vectors.
      const float* xs = x + r0 * cols;
      const size_t n = (r1 - r0) * cols, n8 = n / 8 * 8;
      double dacc[8] = {0};
      for (size_t i = 0; i < n8;) {
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        const size_t e = i + 512 < n8 ? i + 512 : n8;
        for (; i < e; i += 8)
          for (int l = 0; l < 8; l++) acc[l] += xs[i + l];
        for (int l = 0; l < 8; l++) dacc[l] += acc[l];
      }
      for (size_t i = n8; i < n; i++) dacc[i % 8] += xs[i];
      for (size_t c = 0; c < cols; c++) p[c] = 0;
      for (int l = 0; l < 8; l++) p[l % cols] += dacc[l];
    } else if (cols <= 64) {
      // Float partial sums over runs of 64 rows (vectorises), flushed into double.
      float acc[64];
      double dacc[64] = {0};
      for (size_t r = r0; r < r1;) {
        const size_t r2 = r + 64 < r1 ? r + 64 : r1;
        for (size_t c = 0; c < cols; c++) acc[c] = 0.f;
        for (; r < r2; r++) {
          const float* xr = x + r * cols;
          for (size_t c = 0; c < cols; c++) acc[c] += xr[c];
        }
        for (size_t c = 0; c < cols; c++) dacc[c] += acc[c];
      }
      for (size_t c = 0; c < cols; c++) p[c] = dacc[c];
    } else {
      for (size_t r = r0; r < r1; r++)
        for (size_t c = 0; c < cols; c++) p[c] += x[r * cols + c];
    }
  }
  for (size_t c = 0; c < cols; c++) {
    double s = 0;
    for (int t = 0; t < T; t++) s += part[(size_t)t * cols + c];
    out[c] = (float)s;
  }
}

void sumTrailing(const float* x, size_t rows, size_t cols, float* out) {
  if (rows == 1) {
    // One long row (a mean over everything): per-thread partial sums.
    const long nb = (long)((cols + kBlock - 1) / kBlock);
    std::vector<double> part(nb, 0.0);
    blocks(cols, [&](size_t i0, size_t i1) {
      double s = 0;
      for (size_t i = i0; i < i1; i += 64) {
        float a = 0.f;
        const size_t e = i + 64 < i1 ? i + 64 : i1;
        for (size_t k = i; k < e; k++) a += x[k];
        s += a;
      }
      part[i0 / kBlock] = s;
    });
    double s = 0;
    for (double v : part) s += v;
    out[0] = (float)s;
    return;
  }
#pragma omp parallel for schedule(static) if (rows * cols > 65536)
  for (long r = 0; r < (long)rows; r++) {
    double s = 0;
    const float* p = x + (size_t)r * cols;
    for (size_t c = 0; c < cols; c++) s += p[c];
    out[r] = (float)s;
  }
}

}  // namespace tmri
