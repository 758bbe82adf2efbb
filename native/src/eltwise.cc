// Element-wise kernels the CAE's training step spends most of its non-conv
// time in on tfjs' cpu backend: broadcasting add/sub/mul/div (bias adds,
// scalar factors, Adam), unary maps (ELU, sigmoid, square, sqrt, abs), ELU's
// gradient, fill, and sums over leading or trailing axes (bias gradients,
// means). Sums accumulate in double. Large arrays are split across threads
// in blocks; exp-based maps use the AVX2 kernels of eltwise_avx2.cc when the
// CPU has them.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "simd.h"

namespace tmri {

bool useAvx2() { return &convImpl() != &base::impl; }

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

void eluGrad(const float* dy, const float* y, float* dx, size_t n) {
  if (useAvx2()) {
    blocks(n, [&](size_t i0, size_t i1) { avx2::eluGrad(dy + i0, y + i0, dx + i0, i1 - i0); });
    return;
  }
  blocks(n, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) dx[i] = y[i] >= 0.f ? dy[i] : dy[i] * (y[i] + 1.f);
  });
}

void actGrad(int act, const float* dy, const float* y, float* dx, size_t n) {
  if (act == ACT_ELU) return eluGrad(dy, y, dx, n);
  if (act == ACT_SIGMOID && useAvx2()) {
    blocks(n, [&](size_t i0, size_t i1) { avx2::sigmoidGrad(dy + i0, y + i0, dx + i0, i1 - i0); });
    return;
  }
  blocks(n, [&](size_t i0, size_t i1) {
    switch (act) {
      case ACT_RELU: for (size_t i = i0; i < i1; i++) dx[i] = y[i] > 0.f ? dy[i] : 0.f; break;
      case ACT_SIGMOID: for (size_t i = i0; i < i1; i++) dx[i] = dy[i] * y[i] * (1.f - y[i]); break;
      default: std::memcpy(dx + i0, dy + i0, sizeof(float) * (i1 - i0)); break;
    }
  });
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
