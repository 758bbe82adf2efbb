// Memory-bound kernels: 3D max pooling (+ gradient), nearest upsampling
// (+ gradient) and bias + activation. Channels are the contiguous axis, so
// the inner loops run over C and vectorise.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <emmintrin.h>

#include "kernels.h"
#include "simd.h"

namespace tmri {

namespace sse2 {
namespace {
// Baseline (SSE2) gradient of one non-overlapping window for C % 4 == 0
// channels, as avx2::maxPoolGradWindow: dy goes to the last cell equal to the
// window's maximum over its non-NaN cells (none when all are NaN), every other
// cell gets 0. A scalar `x >= best` per channel was a mispredicted branch.
void maxPoolGradWindow(const float* x, float* dx, const size_t* off, int npos, const float* dy, int C) {
  for (int c = 0; c < C; c += 4) {
    __m128 m = _mm_set1_ps(-__builtin_inff());
    for (int j = 0; j < npos; j++) m = _mm_max_ps(_mm_loadu_ps(x + off[j] + c), m);  // NaN cells keep m
    const __m128 g = _mm_loadu_ps(dy + c);
    __m128 taken = _mm_setzero_ps();
    for (int j = npos - 1; j >= 0; j--) {
      const __m128 e = _mm_andnot_ps(taken, _mm_cmpeq_ps(_mm_loadu_ps(x + off[j] + c), m));
      taken = _mm_or_ps(taken, e);
      _mm_storeu_ps(dx + off[j] + c, _mm_and_ps(e, g));
    }
  }
}
}  // namespace
}  // namespace sse2

namespace {
// The input cells of the windows of one output row (n, od, oh): offsets of
// the in-bounds (kd, kh) lines, and for each ow the in-bounds kw range.
struct PoolRow {
  std::vector<size_t> lines;  // offsets of x[n, d, h, 0, 0] of the window's valid (kd, kh)
  void set(const ConvGeom& g, int n, int od, int oh) {
    lines.clear();
    for (int kd = 0; kd < g.KD; kd++) {
      const int d = od * g.SD - g.padF + kd;
      if (d < 0 || d >= g.D) continue;
      for (int kh = 0; kh < g.KH; kh++) {
        const int h = oh * g.SH - g.padT + kh;
        if (h < 0 || h >= g.H) continue;
        lines.push_back((((size_t)n * g.D + d) * g.H + h) * g.W * g.Ci);
      }
    }
  }
  // Fills off[] with the window's cells in (d, h, w) order; returns their count.
  static int cells(const ConvGeom& g, const std::vector<size_t>& lines, int ow, size_t* off) {
    const int w0 = ow * g.SW - g.padL;
    const int k0 = w0 < 0 ? -w0 : 0, k1 = w0 + g.KW > g.W ? g.W - w0 : g.KW;
    int n = 0;
    for (size_t line : lines)
      for (int kw = k0; kw < k1; kw++) off[n++] = line + (size_t)(w0 + kw) * g.Ci;
    return n;
  }
};
bool is222(const ConvGeom& g) {
  return g.KD == 2 && g.KH == 2 && g.KW == 2 && g.SD == 2 && g.SH == 2 && g.SW == 2 && g.padF == 0 &&
         g.padT == 0 && g.padL == 0 && 2 * g.OD <= g.D && 2 * g.OH <= g.H && 2 * g.OW <= g.W &&
         g.Ci % 8 == 0 && useAvx2();
}
// The AVX-512 2x2x2 kernels take 8 channels (two w cells a vector) or multiples of 16.
bool use512(const ConvGeom& g) { return useAvx512() && (g.Ci == 8 || g.Ci % 16 == 0); }
}  // namespace

void maxPool3d(const float* x, const ConvGeom& g, float* out) {
  const int C = g.Ci;
  const long rows = (long)g.N * g.OD * g.OH;
  if (is222(g)) {
    const bool wide = use512(g);
#pragma omp parallel for schedule(static) if (rows * g.OW * C > 32768)
    for (long t = 0; t < rows; t++) {
      if (wide) avx512::maxPool222(x, g, t, t + 1, out);
      else avx2::maxPool222(x, g, t, t + 1, out);
    }
    return;
  }
  const float ninf = -std::numeric_limits<float>::infinity();
#pragma omp parallel if (rows * g.OW * C > 32768)
  {
    PoolRow row;
    std::vector<size_t> off((size_t)g.KD * g.KH * g.KW);
#pragma omp for schedule(static)
    for (long t = 0; t < rows; t++) {
      const int oh = t % g.OH, od = (t / g.OH) % g.OD, n = t / ((long)g.OH * g.OD);
      row.set(g, n, od, oh);
      for (int ow = 0; ow < g.OW; ow++) {
        const int npos = PoolRow::cells(g, row.lines, ow, off.data());
        float* o = out + ((size_t)t * g.OW + ow) * C;
        int c0 = 0;
        // SSE2 max(v, m) keeps m for a NaN v, as the scalar loop (a branch per value otherwise).
        for (; c0 + 4 <= C; c0 += 4) {
          __m128 m = _mm_set1_ps(ninf);
          for (int j = 0; j < npos; j++) m = _mm_max_ps(_mm_loadu_ps(x + off[j] + c0), m);
          _mm_storeu_ps(o + c0, m);
        }
        for (int c = c0; c < C; c++) o[c] = ninf;
        for (int j = 0; j < npos; j++) {
          const float* xi = x + off[j];
          for (int c = c0; c < C; c++) o[c] = xi[c] > o[c] ? xi[c] : o[c];
        }
      }
    }
  }
}

// Gradient of max pooling: each output's gradient goes to the last maximum
// of its window in (d, h, w) order, as in tfjs' maxPool3dPositions.
namespace {
// Non-overlapping windows (stride >= filter on every axis): every input cell
// is in at most one window, so each window writes its cells' gradients
// directly (the maximum's, zeros elsewhere); cells in no window are zeroed first.
void maxPool3dGradDisjoint(const float* dy, const float* x, const ConvGeom& g, float* dx) {
  const int C = g.Ci;
  const bool tiled = g.SD == g.KD && g.SH == g.KH && g.SW == g.KW && g.padF == 0 && g.padT == 0 &&
                     g.padL == 0 && g.OD * g.SD == g.D && g.OH * g.SH == g.H && g.OW * g.SW == g.W;
  if (!tiled) std::memset(dx, 0, sizeof(float) * g.N * g.D * g.H * g.W * C);
  const bool vec = useAvx2() && C % 8 == 0;
  const long rows = (long)g.N * g.OD * g.OH;
  if (is222(g)) {
    const bool wide = use512(g);
#pragma omp parallel for schedule(static) if (rows * g.OW * C > 32768)
    for (long t = 0; t < rows; t++) {
      if (wide) avx512::maxPool222Grad(dy, x, g, t, t + 1, dx);
      else avx2::maxPool222Grad(dy, x, g, t, t + 1, dx);
    }
    return;
  }
  const float ninf = -std::numeric_limits<float>::infinity();
#pragma omp parallel if (rows * g.OW * C > 32768)
  {
    PoolRow row;
    std::vector<size_t> off((size_t)g.KD * g.KH * g.KW);
    std::vector<float> best(C);
    std::vector<int> where(C);
#pragma omp for schedule(static)
    for (long t = 0; t < rows; t++) {
      const int oh = t % g.OH, od = (t / g.OH) % g.OD, n = t / ((long)g.OH * g.OD);
      row.set(g, n, od, oh);
      for (int ow = 0; ow < g.OW; ow++) {
        const int npos = PoolRow::cells(g, row.lines, ow, off.data());
        const float* dyo = dy + ((size_t)t * g.OW + ow) * C;
        if (vec) {
          avx2::maxPoolGradWindow(x, dx, off.data(), npos, dyo, C);
          continue;
        }
        if (C % 4 == 0) {
          sse2::maxPoolGradWindow(x, dx, off.data(), npos, dyo, C);
          continue;
        }
        for (int c = 0; c < C; c++) { best[c] = ninf; where[c] = -1; }
        for (int j = 0; j < npos; j++) {
          const float* xi = x + off[j];
          for (int c = 0; c < C; c++)
            if (xi[c] >= best[c]) { best[c] = xi[c]; where[c] = j; }
        }
        for (int j = 0; j < npos; j++) {
          float* di = dx + off[j];
          for (int c = 0; c < C; c++) di[c] = where[c] == j ? dyo[c] : 0.f;
        }
      }
    }
  }
}
}  // namespace

void maxPool3dGrad(const float* dy, const float* x, const ConvGeom& g, float* dx) {
  if (g.SD >= g.KD && g.SH >= g.KH && g.SW >= g.KW) return maxPool3dGradDisjoint(dy, x, g, dx);
  const int C = g.Ci;
  const size_t inCells = (size_t)g.N * g.D * g.H * g.W;
  std::memset(dx, 0, sizeof(float) * inCells * C);
  // Windows of different od overlap when SD < KD: then only batches run in parallel.
  const bool byPlane = g.SD >= g.KD;
  const long tasks = byPlane ? (long)g.N * g.OD : g.N;
  const float ninf = -std::numeric_limits<float>::infinity();
#pragma omp parallel if (inCells * C > 32768)
  {
    std::vector<float> best(C);
    std::vector<size_t> where(C);
#pragma omp for schedule(static)
    for (long task = 0; task < tasks; task++) {
      const int n = byPlane ? task / g.OD : task;
      const int od0 = byPlane ? task % g.OD : 0, od1 = byPlane ? od0 + 1 : g.OD;
      for (int od = od0; od < od1; od++)
        for (int oh = 0; oh < g.OH; oh++)
          for (int ow = 0; ow < g.OW; ow++) {
            for (int c = 0; c < C; c++) { best[c] = ninf; where[c] = SIZE_MAX; }
            for (int kd = 0; kd < g.KD; kd++) {
              const int d = od * g.SD - g.padF + kd;
              if (d < 0 || d >= g.D) continue;
              for (int kh = 0; kh < g.KH; kh++) {
                const int h = oh * g.SH - g.padT + kh;
                if (h < 0 || h >= g.H) continue;
                for (int kw = 0; kw < g.KW; kw++) {
                  const int w = ow * g.SW - g.padL + kw;
                  if (w < 0 || w >= g.W) continue;
                  const size_t base = ((((size_t)n * g.D + d) * g.H + h) * g.W + w) * C;
                  const float* xi = x + base;
                  for (int c = 0; c < C; c++)
                    if (xi[c] >= best[c]) { best[c] = xi[c]; where[c] = base + c; }
                }
              }
            }
            const float* dyo = dy + ((((size_t)n * g.OD + od) * g.OH + oh) * g.OW + ow) * C;
            for (int c = 0; c < C; c++)
              if (where[c] != SIZE_MAX) dx[where[c]] += dyo[c];
          }
    }
  }
}

namespace {
// The SIMD width of the 2x2x2 upsampling kernels for C channels on the path in
// use: 16 (avx512), 8 (avx2), 0 (baseline code).
int upsample222Lanes(int C) {
  if (useAvx512() && (C == 8 || C % 16 == 0)) return 16;
  if (useAvx2() && C % 8 == 0) return 8;
  return 0;
}

// Baseline 2x2x2 upsampling gradient of dx rows [r0, r1), in the order of the
// SIMD kernels (simd.h): t_k = (dy(0,0,k) + dy(0,1,k)) + (dy(1,0,k) + dy(1,1,k)),
// dx = t_0 + t_1 (so every path gives the same sums).
void upsample222GradRows(const float* dy, int H, int W, int C, long r0, long r1, float* dx) {
  const size_t inRow = (size_t)W * C, outRow = 2 * inRow;
  for (long r = r0; r < r1; r++) {
    const long nd = r / H;
    const int h = r % H;
    float* xr = dx + (size_t)r * inRow;
    const float* q0 = dy + (((size_t)(2 * nd) * 2 * H) + 2 * h) * outRow;
    const float* q1 = q0 + outRow;
    const float* q2 = q0 + (size_t)2 * H * outRow;
    const float* q3 = q2 + outRow;
    for (int w = 0; w < W; w++) {
      const size_t o0 = (size_t)2 * w * C, o1 = o0 + C;
      for (int c = 0; c < C; c++) {
        const float t0 = (q0[o0 + c] + q1[o0 + c]) + (q2[o0 + c] + q3[o0 + c]);
        const float t1 = (q0[o1 + c] + q1[o1 + c]) + (q2[o1 + c] + q3[o1 + c]);
        xr[(size_t)w * C + c] = t0 + t1;
      }
    }
  }
}
}  // namespace

void upsample3dNearest(const float* x, int N, int D, int H, int W, int C, int sd, int sh, int sw,
                       float* out) {
  const int lanes = sd == 2 && sh == 2 && sw == 2 ? upsample222Lanes(C) : 0;
  if (lanes > 0) {
    // Each input row is read once and written to its four output rows.
    const long rows = (long)N * D * H;
#pragma omp parallel for schedule(static) if ((size_t)rows * W * C > 4096)
    for (long r = 0; r < rows; r++) {
      if (lanes == 16) avx512::upsample222(x, D, H, W, C, r, r + 1, out);
      else avx2::upsample222(x, D, H, W, C, r, r + 1, out);
    }
    return;
  }
  const int OD = D * sd, OH = H * sh, OW = W * sw;
  const long planes = (long)N * OD;
#pragma omp parallel for schedule(static) if ((size_t)planes * OH * OW * C > 32768)
  for (long p = 0; p < planes; p++) {
    const int n = p / OD, d = (p % OD) / sd;
    for (int oh = 0; oh < OH; oh++) {
      const float* xr = x + (((size_t)n * D + d) * H + oh / sh) * W * C;
      float* o = out + ((size_t)p * OH + oh) * OW * C;
      for (int w = 0; w < W; w++)
        for (int k = 0; k < sw; k++, o += C) std::memcpy(o, xr + (size_t)w * C, sizeof(float) * C);
    }
  }
}

void upsample3dNearestGrad(const float* dy, int N, int D, int H, int W, int C, int sd, int sh,
                           int sw, float* dx) {
  if (sd == 2 && sh == 2 && sw == 2) {
    // Each dx cell is written once, as the sum of its 8 dy cells.
    const int lanes = upsample222Lanes(C);
    const long rows = (long)N * D * H;
#pragma omp parallel for schedule(static) if ((size_t)rows * W * C > 4096)
    for (long r = 0; r < rows; r++) {
      if (lanes == 16) avx512::upsample222Grad(dy, D, H, W, C, r, r + 1, dx);
      else if (lanes == 8) avx2::upsample222Grad(dy, D, H, W, C, r, r + 1, dx);
      else upsample222GradRows(dy, H, W, C, r, r + 1, dx);
    }
    return;
  }
  const int OD = D * sd, OH = H * sh, OW = W * sw;
  const long planes = (long)N * D;
#pragma omp parallel for schedule(static) if ((size_t)planes * H * W * C > 8192)
  for (long p = 0; p < planes; p++) {
    const int n = p / D, d = p % D;
    float* xp = dx + (size_t)p * H * W * C;
    std::memset(xp, 0, sizeof(float) * H * W * C);
    for (int i = 0; i < sd; i++)
      for (int oh = 0; oh < OH; oh++) {
        const float* dr = dy + (((size_t)n * OD + d * sd + i) * OH + oh) * OW * C;
        float* xr = xp + (size_t)(oh / sh) * W * C;
        for (int w = 0; w < W; w++) {
          float* xo = xr + (size_t)w * C;
          for (int k = 0; k < sw; k++, dr += C)
            for (int c = 0; c < C; c++) xo[c] += dr[c];
        }
      }
  }
}

void biasAct(float* y, size_t rows, int C, const float* bias, int act) {
  if (useAvx2()) {
    const size_t per = rows * C > 65536 ? (16384 + C - 1) / C : rows;
    const long nb = (long)((rows + per - 1) / per);
#pragma omp parallel for schedule(static) if (nb > 1)
    for (long b = 0; b < nb; b++) {
      const size_t r0 = (size_t)b * per, r1 = r0 + per < rows ? r0 + per : rows;
      avx2::biasAct(y + r0 * C, r1 - r0, C, bias, act);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (rows * C > 65536)
  for (long r = 0; r < (long)rows; r++) {
    float* p = y + (size_t)r * C;
    for (int c = 0; c < C; c++) {
      float v = p[c] + (bias ? bias[c] : 0.f);
      if (act == ACT_RELU) v = v > 0.f ? v : 0.f;
      else if (act == ACT_ELU) v = v >= 0.f ? v : std::expm1(v);
      else if (act == ACT_SIGMOID) v = 1.f / (1.f + std::exp(-v));
      p[c] = v;
    }
  }
}

}  // namespace tmri
