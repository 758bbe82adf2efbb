// Kernels of 2D CNN training steps that tfjs' cpu backend runs in pure JS:
// 2D max pooling and its gradient (first maximum of a window, as tfjs),
// ReLU / Step / Square, broadcasting division, Tile, batch normalisation
// and its one-pass gradient. NHWC, float32. The N-API bindings are at the
// end (registerOps2d), so that addon.cc only needs one call.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <napi.h>

#include "kernels.h"
#include "ops2d.h"
#include "simd.h"
#include "napi_args.h"

namespace tmri {

namespace {
// Geometry of a 2D pool: x [N,H,W,C] -> out [N,OH,OW,C].
struct Pool2 {
  int N, H, W, C, KH, KW, SH, SW, OH, OW, padT, padL;
};

constexpr long kPar = 32768;  // elements below which a kernel stays on one thread
}  // namespace

static void maxPool2d(const float* x, const Pool2& g, float* out) {
  const long rows = (long)g.N * g.OH;
  const int C = g.C;
  const float ninf = -std::numeric_limits<float>::infinity();
#pragma omp parallel for schedule(static) if (rows * g.OW * C > kPar)
  for (long r = 0; r < rows; r++) {
    const int n = r / g.OH, oh = r % g.OH;
    float* o = out + (size_t)r * g.OW * C;
    const int h0 = oh * g.SH - g.padT;
    if (g.KH == 2 && g.KW == 2 && g.SW == 2 && g.padL == 0 && h0 >= 0 && h0 + 1 < g.H && 2 * g.OW <= g.W) {
      const float* a = x + ((size_t)n * g.H + h0) * g.W * C;
      const float* b = a + (size_t)g.W * C;
      for (int ow = 0; ow < g.OW; ow++, a += 2 * C, b += 2 * C, o += C)
        for (int c = 0; c < C; c++) {
          // Same comparisons as the generic path (NaN is never taken).
          float m = ninf;
          m = a[c] > m ? a[c] : m;
          m = a[C + c] > m ? a[C + c] : m;
          m = b[c] > m ? b[c] : m;
          m = b[C + c] > m ? b[C + c] : m;
          o[c] = m;
        }
      continue;
    }
    for (int ow = 0; ow < g.OW; ow++, o += C) {
      for (int c = 0; c < C; c++) o[c] = ninf;
      const int w0 = ow * g.SW - g.padL;
      for (int kh = 0; kh < g.KH; kh++) {
        const int h = h0 + kh;
        if (h < 0 || h >= g.H) continue;
        for (int kw = 0; kw < g.KW; kw++) {
          const int w = w0 + kw;
          if (w < 0 || w >= g.W) continue;
          const float* xi = x + (((size_t)n * g.H + h) * g.W + w) * C;
          for (int c = 0; c < C; c++) o[c] = xi[c] > o[c] ? xi[c] : o[c];
        }
      }
    }
  }
}

// One row of disjoint 2x2 windows: rows a and b of x, dy row d, dx rows da
// and db. Each output's gradient goes to the first strict maximum in the order
// a0, a1, b0, b1; the other three get 0. Branch-free selects, compiled twice:
// for the baseline and (tmri::avx2, where they vectorise over the 2·OW·C
// elements) for AVX2; the caller picks by the path in use (useAvx2(), so that
// setSimd('sse2') reaches this kernel too: no target_clones, which would pick by
// CPU alone).
static inline __attribute__((always_inline)) void poolGradRow2x2Body(
    const float* __restrict a, const float* __restrict b, const float* __restrict d, float* __restrict da,
    float* __restrict db, int OW, int C) {
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int ow = 0; ow < OW; ow++, a += 2 * C, b += 2 * C, da += 2 * C, db += 2 * C, d += C)
    for (int c = 0; c < C; c++) {
      const float m0 = a[c], m1 = a[C + c], m2 = b[c], m3 = b[C + c], dv = d[c];
      const int s0 = m0 > ninf;
      const float b0 = s0 ? m0 : ninf;
      const int s1 = m1 > b0;
      const float b1 = s1 ? m1 : b0;
      const int s2 = m2 > b1;
      const float b2 = s2 ? m2 : b1;
      const int s3 = m3 > b2;
      const int k = s3 ? 3 : s2 ? 2 : s1 ? 1 : s0 ? 0 : -1;
      da[c] = k == 0 ? dv : 0.f;
      da[C + c] = k == 1 ? dv : 0.f;
      db[c] = k == 2 ? dv : 0.f;
      db[C + c] = k == 3 ? dv : 0.f;
    }
}
namespace avx2 {
__attribute__((target("avx2,fma"))) static void poolGradRow2x2(
    const float* __restrict a, const float* __restrict b, const float* __restrict d, float* __restrict da,
    float* __restrict db, int OW, int C) {
  poolGradRow2x2Body(a, b, d, da, db, OW, C);
}
}  // namespace avx2
static void poolGradRow2x2(const float* __restrict a, const float* __restrict b, const float* __restrict d,
                           float* __restrict da, float* __restrict db, int OW, int C) {
  if (useAvx2()) avx2::poolGradRow2x2(a, b, d, da, db, OW, C);
  else poolGradRow2x2Body(a, b, d, da, db, OW, C);
}

// Each output's gradient goes to the first maximum of its window in (h, w)
// order (strictly greater wins), as tfjs' maxPoolPositions.
static void maxPool2dGrad(const float* dy, const float* x, const Pool2& g, float* dx) {
  const int C = g.C;
  const float ninf = -std::numeric_limits<float>::infinity();
  const size_t rowLen = (size_t)g.W * C, img = (size_t)g.H * rowLen;
  // Windows of different output rows overlap when SH < KH: then one task per image.
  const bool byRow = g.SH >= g.KH;
  const long tasks = byRow ? (long)g.N * g.OH : g.N;
  if (byRow) {
    // Input rows that no window covers keep a zero gradient; each task zeroes its own rows.
    for (int h = 0; h < g.H; h++) {
      const int q = h + g.padT;
      if (q % g.SH < g.KH && q / g.SH < g.OH) continue;
      for (int n = 0; n < g.N; n++) std::memset(dx + n * img + h * rowLen, 0, sizeof(float) * rowLen);
    }
  }
#pragma omp parallel if ((long)g.N * (long)img > kPar)
  {
    std::vector<float> best(C);
    std::vector<long> where(C);
#pragma omp for schedule(static)
    for (long t = 0; t < tasks; t++) {
      const int n = byRow ? t / g.OH : t;
      const int oh0 = byRow ? t % g.OH : 0, oh1 = byRow ? oh0 + 1 : g.OH;
      const float* xn = x + (size_t)n * img;
      float* dxn = dx + (size_t)n * img;
      if (byRow) {
        const int h0 = oh0 * g.SH - g.padT;
        const int ha = h0 < 0 ? 0 : h0, hb = h0 + g.KH < g.H ? h0 + g.KH : g.H;
        if (g.KH == 2 && g.KW == 2 && g.SW == 2 && g.padL == 0 && h0 >= 0 && h0 + 1 < g.H && 2 * g.OW <= g.W) {
          // Disjoint 2x2 windows: write every element of the two rows once.
          const float* a = xn + (size_t)h0 * rowLen;
          const float* b = a + rowLen;
          float* da = dxn + (size_t)h0 * rowLen;
          float* db = da + rowLen;
          const float* d = dy + ((size_t)n * g.OH + oh0) * g.OW * C;
          poolGradRow2x2(a, b, d, da, db, g.OW, C);
          const size_t done = (size_t)2 * g.OW * C;
          std::memset(dxn + (size_t)h0 * rowLen + done, 0, sizeof(float) * (rowLen - done));
          std::memset(dxn + (size_t)(h0 + 1) * rowLen + done, 0, sizeof(float) * (rowLen - done));
          continue;
        }
        if (hb > ha) std::memset(dxn + (size_t)ha * rowLen, 0, sizeof(float) * (hb - ha) * rowLen);
      } else {
        std::memset(dxn, 0, sizeof(float) * img);
      }
      for (int oh = oh0; oh < oh1; oh++) {
        const int h0 = oh * g.SH - g.padT;
        for (int ow = 0; ow < g.OW; ow++) {
          const float* d = dy + (((size_t)n * g.OH + oh) * g.OW + ow) * C;
          const int w0 = ow * g.SW - g.padL;
          for (int c = 0; c < C; c++) { best[c] = ninf; where[c] = -1; }
          for (int kh = 0; kh < g.KH; kh++) {
            const int h = h0 + kh;
            if (h < 0 || h >= g.H) continue;
            for (int kw = 0; kw < g.KW; kw++) {
              const int w = w0 + kw;
              if (w < 0 || w >= g.W) continue;
              const long base = ((long)h * g.W + w) * C;
              const float* xi = xn + base;
              for (int c = 0; c < C; c++)
                if (xi[c] > best[c]) { best[c] = xi[c]; where[c] = base + c; }
            }
          }
          for (int c = 0; c < C; c++)
            if (where[c] >= 0) dxn[where[c]] += d[c];
        }
      }
    }
  }
}

// op: 0 relu (max(0, x), NaN kept), 1 step (x > 0 ? 1 : alpha, NaN kept), 2 square.
// Branch-free selects (v != v is NaN) so that the loops vectorise.
static void unary(int op, const float* x, float* out, size_t n, float alpha) {
  const long m = (long)n;
  if (op == 0) {
#pragma omp parallel for schedule(static) if (m > 4 * kPar)
    for (long i = 0; i < m; i++) {
      const float v = x[i];
      const float r = v > 0.f ? v : 0.f;
      out[i] = v != v ? v : r;
    }
  } else if (op == 1) {
#pragma omp parallel for schedule(static) if (m > 4 * kPar)
    for (long i = 0; i < m; i++) {
      const float v = x[i];
      const float r = v > 0.f ? 1.f : alpha;
      out[i] = v != v ? v : r;
    }
  } else {
#pragma omp parallel for schedule(static) if (m > 4 * kPar)
    for (long i = 0; i < m; i++) out[i] = x[i] * x[i];
  }
}

// Gradient of ReLU: dy * step(x) with step(NaN) = NaN, as tfjs' mul(dy, step(x)).
static void reluGrad(const float* dy, const float* x, float* out, size_t n) {
#pragma omp parallel for schedule(static) if ((long)n > 4 * kPar)
  for (long i = 0; i < (long)n; i++) {
    const float v = x[i];
    const float s = v > 0.f ? 1.f : 0.f;
    out[i] = dy[i] * (v != v ? v : s);
  }
}

// out = a / b, broadcast modes as tmri::binary.
static void divide(const float* a, const float* b, float* out, size_t n, int mode, size_t inner) {
#pragma omp parallel for schedule(static) if ((long)n > 4 * kPar)
  for (long i = 0; i < (long)n; i++) {
    const float p = mode == 2 ? a[0] : mode == 4 ? a[i % inner] : a[i];
    const float q = mode == 1 ? b[0] : mode == 3 ? b[i % inner] : b[i];
    out[i] = p / q;
  }
}

// Tile x (rank r, shape xs) by reps into out (shape xs[i]*reps[i]), by blocks:
// for each input index along axis a, the output block of the axes after a is
// built once (recursively), then the whole block for axis a is copied
// reps[a] - 1 times with one memcpy each. A broadcast of one value (the
// gradient of a mean: [1,1,1,1,1] to [4,64,64,64,1]) is then a fill and a few
// large copies, not a loop with r modulos and a 4-byte memcpy per element.
static void tileAxis(const float* x, const int* xs, const int* reps, const size_t* xStride, const size_t* oStride,
                     int r, int a, float* out) {
  if (a == r - 1) {
    if (xs[a] == 1) {
      std::fill(out, out + reps[a], x[0]);
    } else {
      for (int k = 0; k < reps[a]; k++) std::memcpy(out + (size_t)k * xs[a], x, sizeof(float) * xs[a]);
    }
    return;
  }
  for (int i = 0; i < xs[a]; i++) tileAxis(x + i * xStride[a], xs, reps, xStride, oStride, r, a + 1, out + i * oStride[a]);
  const size_t block = (size_t)xs[a] * oStride[a];
  for (int k = 1; k < reps[a]; k++) std::memcpy(out + (size_t)k * block, out, sizeof(float) * block);
}

static void tile(const float* x, const std::vector<int>& xs, const std::vector<int>& reps, float* out) {
  const int r = (int)xs.size();
  std::vector<size_t> xStride(r), oStride(r);
  size_t xsz = 1, osz = 1;
  for (int i = r - 1; i >= 0; i--) {
    xStride[i] = xsz;
    oStride[i] = osz;
    xsz *= xs[i];
    osz *= (size_t)xs[i] * reps[i];
  }
  if (osz == 0) return;
  tileAxis(x, xs.data(), reps.data(), xStride.data(), oStride.data(), r, 0, out);
}

// y = (x - mean) * scale / sqrt(var + eps) + offset over rows of C channels.
static void batchNorm(const float* x, const float* mean, const float* var, const float* scale,
                      const float* offset, float eps, size_t rows, int C, float* y) {
  std::vector<float> a(C), b(C);
  for (int c = 0; c < C; c++) {
    a[c] = (scale ? scale[c] : 1.f) / std::sqrt(var[c] + eps);
    b[c] = (offset ? offset[c] : 0.f) - mean[c] * a[c];
  }
  const float* pa = a.data();
  const float* pb = b.data();
#pragma omp parallel for schedule(static) if ((long)(rows * C) > 4 * kPar)
  for (long r = 0; r < (long)rows; r++) {
    const float* xr = x + (size_t)r * C;
    float* yr = y + (size_t)r * C;
    for (int c = 0; c < C; c++) yr[c] = xr[c] * pa[c] + pb[c];
  }
}

// Gradients of y = (x - mean) * scale * rsqrt(var + eps) + offset with mean,
// var, scale and offset per channel (each treated as an independent input,
// as tfjs' FusedBatchNorm gradient does): dx (full size) and per-channel
// dMean, dVar, dScale, dOffset. Sums in double.
static void batchNormGrad(const float* x, const float* dy, const float* mean, const float* var,
                          const float* scale, float eps, size_t rows, int C, float* dx, float* dMean,
                          float* dVar, float* dScale, float* dOffset) {
  std::vector<float> rs(C), k(C);
  for (int c = 0; c < C; c++) {
    rs[c] = 1.f / std::sqrt(var[c] + eps);
    k[c] = rs[c] * (scale ? scale[c] : 1.f);
  }
  const int T = (long)(rows * C) > 4 * kPar ? numThreads() : 1;
  std::vector<double> part((size_t)T * 2 * C, 0.0);  // per thread: sum dy, sum dy*(x-mean)
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const size_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    std::vector<float> s1(C, 0.f), s2(C, 0.f);
    std::vector<double> d1(C, 0.0), d2(C, 0.0);
    const float* pk = k.data();
    const float* pm = mean;
    size_t since = 0;
    for (size_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      const float* dr = dy + r * C;
      float* o = dx + r * C;
      for (int c = 0; c < C; c++) {
        const float d = dr[c];
        o[c] = d * pk[c];
        s1[c] += d;
        s2[c] += d * (xr[c] - pm[c]);
      }
      // Flush the float partial sums to double every 256 rows.
      if (++since == 256) {
        for (int c = 0; c < C; c++) { d1[c] += s1[c]; d2[c] += s2[c]; s1[c] = s2[c] = 0.f; }
        since = 0;
      }
    }
    double* p = part.data() + (size_t)t * 2 * C;
    for (int c = 0; c < C; c++) { p[c] = d1[c] + s1[c]; p[C + c] = d2[c] + s2[c]; }
  }
  for (int c = 0; c < C; c++) {
    double sdy = 0, sdyx = 0;
    for (int t = 0; t < T; t++) { sdy += part[(size_t)t * 2 * C + c]; sdyx += part[(size_t)t * 2 * C + C + c]; }
    const double sc = scale ? scale[c] : 1.0, r = rs[c];
    dOffset[c] = (float)sdy;
    dScale[c] = (float)(sdyx * r);
    dMean[c] = (float)(-r * sc * sdy);
    dVar[c] = (float)(-0.5 * r * r * r * sc * sdyx);
  }
}

// out[c] = sum over rows of x[r * C + c] / divisor: float vector partial sums
// flushed to double every 256 rows, rows split over threads.
static void meanLeading(const float* x, size_t rows, size_t C, double divisor, float* out) {
  const int T = rows * C > (size_t)4 * kPar ? numThreads() : 1;
  std::vector<double> part((size_t)T * C, 0.0);
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const size_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    std::vector<float> acc(C, 0.f);
    double* p = part.data() + (size_t)t * C;
    float* pa = acc.data();
    for (size_t r = r0; r < r1;) {
      const size_t e = r + 256 < r1 ? r + 256 : r1;
      for (; r < e; r++) {
        const float* xr = x + r * C;
        for (size_t c = 0; c < C; c++) pa[c] += xr[c];
      }
      for (size_t c = 0; c < C; c++) { p[c] += pa[c]; pa[c] = 0.f; }
    }
  }
  for (size_t c = 0; c < C; c++) {
    double s = 0;
    for (int t = 0; t < T; t++) s += part[(size_t)t * C + c];
    out[c] = (float)(s / divisor);
  }
}

// Batch statistics over rows of C channels: mean, then the mean squared
// deviation from it (biased variance, two passes as tfjs' moments).
static void moments(const float* x, size_t rows, size_t C, float* mean, float* var) {
  meanLeading(x, rows, C, (double)rows, mean);
  const int T = rows * C > (size_t)4 * kPar ? numThreads() : 1;
  std::vector<double> part((size_t)T * C, 0.0);
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const size_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    std::vector<float> acc(C, 0.f);
    double* p = part.data() + (size_t)t * C;
    float* pa = acc.data();
    for (size_t r = r0; r < r1;) {
      const size_t e = r + 256 < r1 ? r + 256 : r1;
      for (; r < e; r++) {
        const float* xr = x + r * C;
        for (size_t c = 0; c < C; c++) {
          const float d = xr[c] - mean[c];
          pa[c] += d * d;
        }
      }
      for (size_t c = 0; c < C; c++) { p[c] += pa[c]; pa[c] = 0.f; }
    }
  }
  for (size_t c = 0; c < C; c++) {
    double s = 0;
    for (int t = 0; t < T; t++) s += part[(size_t)t * C + c];
    var[c] = (float)(s / (double)rows);
  }
}

// Gradient of y = (x - mean(x)) * rsqrt(var(x) + eps) * scale + offset with the
// batch statistics of x itself: dx = k (dy - sum(dy)/n - xhat sum(dy xhat)/n)
// with xhat = (x - mean) rsqrt(var + eps), k = scale rsqrt(var + eps);
// dScale = sum(dy xhat), dOffset = sum(dy). Two passes over x and dy.
static void batchNormTrainGrad(const float* x, const float* dy, const float* mean, const float* var,
                               const float* scale, float eps, size_t rows, int C, float* dx, float* dScale,
                               float* dOffset) {
  std::vector<float> dm(C), dv(C), ds(C), doff(C);
  // Pass 1: the per-channel sums (dOffset = sum dy, dScale = sum dy * xhat).
  batchNormGrad(x, dy, mean, var, scale, eps, rows, C, dx, dm.data(), dv.data(), ds.data(), doff.data());
  std::vector<float> a(C), b(C), k(C);
  const double n = (double)rows;
  for (int c = 0; c < C; c++) {
    const double r = 1.0 / std::sqrt((double)var[c] + eps), sc = scale ? scale[c] : 1.0;
    k[c] = (float)(sc * r);
    // dx = k * (dy - doff/n - (x - mean) * r * ds/n) = k*dy + a*x + b
    a[c] = (float)(-sc * r * r * ds[c] / n);
    b[c] = (float)(-sc * r * doff[c] / n - a[c] * mean[c]);
    dScale[c] = ds[c];
    dOffset[c] = doff[c];
  }
  const float* pk = k.data();
  const float* pa = a.data();
  const float* pb = b.data();
#pragma omp parallel for schedule(static) if ((long)(rows * C) > 4 * kPar)
  for (long r = 0; r < (long)rows; r++) {
    const float* xr = x + (size_t)r * C;
    const float* dr = dy + (size_t)r * C;
    float* o = dx + (size_t)r * C;
    for (int c = 0; c < C; c++) o[c] = pk[c] * dr[c] + pa[c] * xr[c] + pb[c];
  }
}

// ---- N-API bindings ----

namespace {

using tmri::f32Arg;
using tmri::intArgs;
using tmri::optF32Arg;
using tmri::sizeArg;

// [N, H, W, C, KH, KW, SH, SW, OH, OW, padT, padL]
Pool2 pool2(const Napi::CallbackInfo& info, size_t i) {
  auto p = intArgs(info, i);
  if (p.size() != 12) throw Napi::RangeError::New(info.Env(), "transmri_native: expected 12 pool parameters");
  Pool2 g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
  if (g.KH < 1 || g.KW < 1 || g.SH < 1 || g.SW < 1 || g.padT >= g.KH || g.padL >= g.KW ||
      (g.OH > 0 && (g.OH - 1) * g.SH - g.padT >= g.H) || (g.OW > 0 && (g.OW - 1) * g.SW - g.padL >= g.W))
    throw Napi::RangeError::New(info.Env(), "transmri_native: inconsistent pooling geometry");
  return g;
}

// The AVX2 kernels of conv2d_small.cc run on the avx2 and avx512 paths (setSimd).
bool haveAvx2() { return useAvx2(); }

// The conv3d geometry vector [N, D, H, W, Ci, Co, KD, KH, KW, SD, SH, SW, OD, OH, OW, padF, padT, padL].
ConvGeom convGeom(const Napi::CallbackInfo& info, size_t i) {
  auto p = intArgs(info, i);
  if (p.size() != 18) throw Napi::RangeError::New(info.Env(), "transmri_native: expected 18 convolution parameters");
  ConvGeom g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], p[16], p[17]};
  if (g.KD < 1 || g.KH < 1 || g.KW < 1 || g.SD < 1 || g.SH < 1 || g.SW < 1 || g.padF >= g.KD || g.padT >= g.KH || g.padL >= g.KW)
    throw Napi::RangeError::New(info.Env(), "transmri_native: inconsistent convolution geometry");
  return g;
}

// conv2dSmall(x, w, geom, out, bias|null, act) -> handled?
Napi::Value Conv2dSmall(const Napi::CallbackInfo& info) {
  const ConvGeom g = convGeom(info, 2);
  const size_t in = (size_t)g.N * g.D * g.H * g.W * g.Ci, out = (size_t)g.N * g.OD * g.OH * g.OW * g.Co;
  const size_t fil = (size_t)g.KD * g.KH * g.KW * g.Ci * g.Co;
  const float* x = f32Arg(info, 0, in, "x");
  const float* w = f32Arg(info, 1, fil, "filter");
  float* o = f32Arg(info, 3, out, "out");
  const float* bias = optF32Arg(info, 4, g.Co, "bias");
  const int act = info[5].As<Napi::Number>().Int32Value();
  return Napi::Boolean::New(info.Env(), haveAvx2() && avx2::conv2dSmallForward(x, w, g, bias, act, o));
}

// conv2dSmallDx(dy, w, geom, dx) / conv2dSmallDw(x, dy, geom, dw) -> handled?
Napi::Value Conv2dSmallDx(const Napi::CallbackInfo& info) {
  const ConvGeom g = convGeom(info, 2);
  const size_t in = (size_t)g.N * g.D * g.H * g.W * g.Ci, out = (size_t)g.N * g.OD * g.OH * g.OW * g.Co;
  const size_t fil = (size_t)g.KD * g.KH * g.KW * g.Ci * g.Co;
  const float* dy = f32Arg(info, 0, out, "dy");
  const float* w = f32Arg(info, 1, fil, "filter");
  float* dx = f32Arg(info, 3, in, "dx");
  return Napi::Boolean::New(info.Env(), haveAvx2() && avx2::conv2dSmallBackpropInput(dy, w, g, dx));
}
Napi::Value Conv2dSmallDw(const Napi::CallbackInfo& info) {
  const ConvGeom g = convGeom(info, 2);
  const size_t in = (size_t)g.N * g.D * g.H * g.W * g.Ci, out = (size_t)g.N * g.OD * g.OH * g.OW * g.Co;
  const size_t fil = (size_t)g.KD * g.KH * g.KW * g.Ci * g.Co;
  const float* x = f32Arg(info, 0, in, "x");
  const float* dy = f32Arg(info, 1, out, "dy");
  float* dw = f32Arg(info, 3, fil, "dw");
  return Napi::Boolean::New(info.Env(), haveAvx2() && avx2::conv2dSmallBackpropFilter(x, dy, g, dw));
}

// matMul(a, b, out, [batchA, batchB, M, N, K, transposeA, transposeB, act], bias|null)
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  auto p = intArgs(info, 3);
  if (p.size() != 8 || (p[0] != p[1] && p[0] != 1 && p[1] != 1) || p[0] < 1 || p[1] < 1 || p[5] > 1 || p[6] > 1 ||
      (p[7] != ACT_NONE && p[7] != ACT_RELU))
    throw Napi::RangeError::New(info.Env(), "transmri_native: bad matMul parameters");
  const int batchA = p[0], batchB = p[1], M = p[2], N = p[3], K = p[4];
  const size_t batch = batchA > batchB ? batchA : batchB;
  const float* a = f32Arg(info, 0, (size_t)batchA * M * K, "a");
  const float* b = f32Arg(info, 1, (size_t)batchB * K * N, "b");
  float* c = f32Arg(info, 2, batch * M * N, "out");
  const float* bias = optF32Arg(info, 4, N, "bias");
  batchMatMul(a, b, c, batchA, batchB, M, N, K, p[5] == 1, p[6] == 1, bias, p[7]);
  return info.Env().Undefined();
}

// maxPool2d(x, geom, out) / maxPool2dGrad(dy, x, geom, dx)
Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  Pool2 g = pool2(info, 1);
  const size_t in = (size_t)g.N * g.H * g.W * g.C, out = (size_t)g.N * g.OH * g.OW * g.C;
  maxPool2d(f32Arg(info, 0, in, "x"), g, f32Arg(info, 2, out, "out"));
  return info.Env().Undefined();
}
Napi::Value MaxPool2dGrad(const Napi::CallbackInfo& info) {
  Pool2 g = pool2(info, 2);
  const size_t in = (size_t)g.N * g.H * g.W * g.C, out = (size_t)g.N * g.OH * g.OW * g.C;
  maxPool2dGrad(f32Arg(info, 0, out, "dy"), f32Arg(info, 1, in, "x"), g, f32Arg(info, 3, in, "dx"));
  return info.Env().Undefined();
}

// unary(op, x, out, n, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  if (op < 0 || op > 2) throw Napi::RangeError::New(info.Env(), "transmri_native: bad unary op");
  const size_t n = sizeArg(info, 3);
  unary(op, f32Arg(info, 1, n, "x"), f32Arg(info, 2, n, "out"), n, info[4].As<Napi::Number>().FloatValue());
  return info.Env().Undefined();
}

// reluGrad(dy, x, out, n)
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  const size_t n = sizeArg(info, 3);
  reluGrad(f32Arg(info, 0, n, "dy"), f32Arg(info, 1, n, "x"), f32Arg(info, 2, n, "out"), n);
  return info.Env().Undefined();
}

// divide(a, b, out, n, mode, inner)
Napi::Value Divide(const Napi::CallbackInfo& info) {
  const size_t n = sizeArg(info, 3), inner = sizeArg(info, 5);
  const int mode = info[4].As<Napi::Number>().Int32Value();
  if (mode < 0 || mode > 4 || ((mode == 3 || mode == 4) && (inner == 0 || n % inner != 0)))
    throw Napi::RangeError::New(info.Env(), "transmri_native: bad divide mode");
  const size_t na = mode == 2 ? 1 : mode == 4 ? inner : n;
  const size_t nb = mode == 1 ? 1 : mode == 3 ? inner : n;
  divide(f32Arg(info, 0, na, "a"), f32Arg(info, 1, nb, "b"), f32Arg(info, 2, n, "out"), n, mode, inner);
  return info.Env().Undefined();
}

// tile(x, shape Int32Array, reps Int32Array, out)
Napi::Value Tile(const Napi::CallbackInfo& info) {
  auto xs = intArgs(info, 1), reps = intArgs(info, 2);
  if (xs.empty() || xs.size() != reps.size()) throw Napi::RangeError::New(info.Env(), "transmri_native: bad tile shape");
  size_t in = 1, out = 1;
  for (size_t i = 0; i < xs.size(); i++) { in *= xs[i]; out *= (size_t)xs[i] * reps[i]; }
  const float* x = f32Arg(info, 0, in, "x");
  float* o = f32Arg(info, 3, out, "out");
  if (in > 0) tile(x, xs, reps, o);
  return info.Env().Undefined();
}

// meanLeading(x, rows, C, out): column means of x as [rows, C]
Napi::Value MeanLeading(const Napi::CallbackInfo& info) {
  const size_t rows = sizeArg(info, 1), C = sizeArg(info, 2);
  if (rows == 0) throw Napi::RangeError::New(info.Env(), "transmri_native: mean over 0 rows");
  meanLeading(f32Arg(info, 0, rows * C, "x"), rows, C, (double)rows, f32Arg(info, 3, C, "out"));
  return info.Env().Undefined();
}

// moments(x, rows, C, mean, variance)
Napi::Value Moments(const Napi::CallbackInfo& info) {
  const size_t rows = sizeArg(info, 1), C = sizeArg(info, 2);
  if (rows == 0) throw Napi::RangeError::New(info.Env(), "transmri_native: moments over 0 rows");
  moments(f32Arg(info, 0, rows * C, "x"), rows, C, f32Arg(info, 3, C, "mean"), f32Arg(info, 4, C, "variance"));
  return info.Env().Undefined();
}

// batchNormTrainGrad(x, dy, mean, var, scale|null, eps, rows, C, dx, dScale, dOffset)
Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info) {
  const size_t rows = sizeArg(info, 6), C = sizeArg(info, 7);
  if (rows == 0) throw Napi::RangeError::New(info.Env(), "transmri_native: batch norm over 0 rows");
  batchNormTrainGrad(f32Arg(info, 0, rows * C, "x"), f32Arg(info, 1, rows * C, "dy"), f32Arg(info, 2, C, "mean"),
                     f32Arg(info, 3, C, "variance"), optF32Arg(info, 4, C, "scale"), info[5].As<Napi::Number>().FloatValue(),
                     rows, (int)C, f32Arg(info, 8, rows * C, "dx"), f32Arg(info, 9, C, "dScale"), f32Arg(info, 10, C, "dOffset"));
  return info.Env().Undefined();
}

// batchNorm(x, mean, var, scale|null, offset|null, eps, rows, C, y)
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const size_t rows = sizeArg(info, 6), C = sizeArg(info, 7);
  batchNorm(f32Arg(info, 0, rows * C, "x"), f32Arg(info, 1, C, "mean"), f32Arg(info, 2, C, "variance"),
            optF32Arg(info, 3, C, "scale"), optF32Arg(info, 4, C, "offset"), info[5].As<Napi::Number>().FloatValue(),
            rows, (int)C, f32Arg(info, 8, rows * C, "y"));
  return info.Env().Undefined();
}

// batchNormGrad(x, dy, mean, var, scale|null, eps, rows, C, dx, dMean, dVar, dScale, dOffset)
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  const size_t rows = sizeArg(info, 6), C = sizeArg(info, 7);
  batchNormGrad(f32Arg(info, 0, rows * C, "x"), f32Arg(info, 1, rows * C, "dy"), f32Arg(info, 2, C, "mean"),
                f32Arg(info, 3, C, "variance"), optF32Arg(info, 4, C, "scale"), info[5].As<Napi::Number>().FloatValue(),
                rows, (int)C, f32Arg(info, 8, rows * C, "dx"), f32Arg(info, 9, C, "dMean"), f32Arg(info, 10, C, "dVar"),
                f32Arg(info, 11, C, "dScale"), f32Arg(info, 12, C, "dOffset"));
  return info.Env().Undefined();
}

}  // namespace

void registerOps2d(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2dSmall", Napi::Function::New(env, Conv2dSmall));
  exports.Set("conv2dSmallDx", Napi::Function::New(env, Conv2dSmallDx));
  exports.Set("conv2dSmallDw", Napi::Function::New(env, Conv2dSmallDw));
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("maxPool2d", Napi::Function::New(env, MaxPool2d));
  exports.Set("maxPool2dGrad", Napi::Function::New(env, MaxPool2dGrad));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("divide", Napi::Function::New(env, Divide));
  exports.Set("tile", Napi::Function::New(env, Tile));
  exports.Set("meanLeading", Napi::Function::New(env, MeanLeading));
  exports.Set("moments", Napi::Function::New(env, Moments));
  exports.Set("batchNormTrainGrad", Napi::Function::New(env, BatchNormTrainGrad));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad));
}

}  // namespace tmri
