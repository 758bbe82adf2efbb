// Convolution entry points: padding, filter flipping and dispatch to the
// SIMD implementation chosen for this CPU.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels.h"

namespace tmri {

namespace {
struct Slot {
  float* p = nullptr;
  size_t n = 0;
};
Slot g_slots[8];
}  // namespace

float* scratch(int slot, size_t floats) {
  Slot& s = g_slots[slot];
  if (floats > s.n) {
    std::free(s.p);
    size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    s.p = static_cast<float*>(std::aligned_alloc(64, bytes));
    s.n = floats;
  }
  return s.p;
}

namespace {
// __builtin_cpu_supports checks CPUID and that the OS saves the registers (XCR0).
bool cpuAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool cpuAvx512() {
  __builtin_cpu_init();
  return cpuAvx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
const ConvImpl* bestImpl() { return cpuAvx512() ? &avx512::impl : cpuAvx2() ? &avx2::impl : &base::impl; }
// Set once at load, changed only by setSimd (from the JS thread, between kernels).
const ConvImpl* g_impl = bestImpl();
}  // namespace

const ConvImpl& convImpl() { return *g_impl; }

bool simdSupported(const char* name) {
  if (std::strcmp(name, "auto") == 0 || std::strcmp(name, "sse2") == 0) return true;
  if (std::strcmp(name, "avx2") == 0) return cpuAvx2();
  if (std::strcmp(name, "avx512") == 0) return cpuAvx512();
  return false;
}

bool setSimd(const char* name) {
  if (!simdSupported(name)) return false;
  g_impl = std::strcmp(name, "auto") == 0   ? bestImpl()
           : std::strcmp(name, "sse2") == 0 ? &base::impl
           : std::strcmp(name, "avx2") == 0 ? &avx2::impl
                                            : &avx512::impl;
  return true;
}

// Every element of dst is written once: rows that receive input are copied
// and only their borders zeroed (not the whole plane first, which would write
// the large first and last layers' buffers twice).
void padInput(const float* src, int N, int D, int H, int W, int C, int dd, int dh, int dw, int pf,
              int pt, int pl, float* dst, int PD, int PH, int PW) {
  const size_t plane = (size_t)PH * PW * C, row = (size_t)PW * C;
  const long planes = (long)N * PD;
#pragma omp parallel for schedule(static) if ((size_t)planes * plane > 65536)
  for (long p = 0; p < planes; p++) {
    float* dp = dst + p * plane;
    const int n = p / PD, q = p % PD - pf;
    if (q < 0 || q % dd != 0 || q / dd >= D) {
      std::memset(dp, 0, sizeof(float) * plane);
      continue;
    }
    const int d = q / dd;
    for (int ph = 0; ph < PH; ph++) {
      float* dr = dp + (size_t)ph * row;
      const int qh = ph - pt;
      if (qh < 0 || qh % dh != 0 || qh / dh >= H) {
        std::memset(dr, 0, sizeof(float) * row);
        continue;
      }
      const float* sr = src + (((size_t)n * D + d) * H + qh / dh) * W * C;
      const int nw = std::min(W, PW - pl);
      if (dw == 1 && nw > 0) {
        std::memset(dr, 0, sizeof(float) * pl * C);
        std::memcpy(dr + (size_t)pl * C, sr, sizeof(float) * nw * C);
        std::memset(dr + (size_t)(pl + nw) * C, 0, sizeof(float) * (PW - pl - nw) * C);
      } else {
        std::memset(dr, 0, sizeof(float) * row);
        for (int w = 0; w < W; w++) {
          const int pw = pl + w * dw;
          if (pw >= PW) break;
          std::memcpy(dr + (size_t)pw * C, sr + (size_t)w * C, sizeof(float) * C);
        }
      }
    }
  }
  std::memset(dst + planes * plane, 0, sizeof(float) * kSlack);
}

void conv3dForward(const float* x, const float* w, const ConvGeom& g, const float* bias, int act,
                   float* out) {
  if (convImpl().forwardDirect(x, g, w, bias, act, out)) return;
  const int PD = (g.OD - 1) * g.SD + g.KD, PH = (g.OH - 1) * g.SH + g.KH, PW = (g.OW - 1) * g.SW + g.KW;
  float* xp = scratch(0, (size_t)g.N * PD * PH * PW * g.Ci + kSlack);
  padInput(x, g.N, g.D, g.H, g.W, g.Ci, 1, 1, 1, g.padF, g.padT, g.padL, xp, PD, PH, PW);
  convImpl().forward(xp, PD, PH, PW, g, w, bias, act, out);
}

// dx = stride-1 correlation of the zero-dilated, padded dy with the flipped,
// transposed filter.
void conv3dBackpropInput(const float* dy, const float* w, const ConvGeom& g, float* dx) {
  ConvGeom b;
  b.N = g.N; b.D = g.OD; b.H = g.OH; b.W = g.OW; b.Ci = g.Co;
  b.Co = g.Ci; b.KD = g.KD; b.KH = g.KH; b.KW = g.KW;
  b.SD = b.SH = b.SW = 1;
  b.OD = g.D; b.OH = g.H; b.OW = g.W;
  b.padF = g.KD - 1 - g.padF; b.padT = g.KH - 1 - g.padT; b.padL = g.KW - 1 - g.padL;
  const int PD = g.D + g.KD - 1, PH = g.H + g.KH - 1, PW = g.W + g.KW - 1;
  const size_t CC = (size_t)g.Ci * g.Co;
  float* wf = scratch(2, (size_t)g.KD * g.KH * g.KW * CC);
  for (int kd = 0; kd < g.KD; kd++)
    for (int kh = 0; kh < g.KH; kh++)
      for (int kw = 0; kw < g.KW; kw++) {
        const float* s = w + ((((size_t)(g.KD - 1 - kd) * g.KH + (g.KH - 1 - kh)) * g.KW) + (g.KW - 1 - kw)) * CC;
        float* d = wf + (((size_t)kd * g.KH + kh) * g.KW + kw) * CC;
        for (int ci = 0; ci < g.Ci; ci++)
          for (int co = 0; co < g.Co; co++) d[(size_t)co * g.Ci + ci] = s[(size_t)ci * g.Co + co];
      }
  // Stride 1: no zeros between the dy values, so a kernel on the unpadded dy may take it.
  if (g.SD == 1 && g.SH == 1 && g.SW == 1 && convImpl().forwardDirect(dy, b, wf, nullptr, ACT_NONE, dx)) return;
  float* dyp = scratch(0, (size_t)g.N * PD * PH * PW * g.Co + kSlack);
  padInput(dy, g.N, g.OD, g.OH, g.OW, g.Co, g.SD, g.SH, g.SW, b.padF, b.padT, b.padL, dyp, PD, PH, PW);
  convImpl().forward(dyp, PD, PH, PW, b, wf, nullptr, ACT_NONE, dx);
}

void conv3dBackpropFilter(const float* x, const float* dy, const ConvGeom& g, float* dw) {
  if (convImpl().filterDirect(x, g, dy, dw)) return;
  const int PD = (g.OD - 1) * g.SD + g.KD, PH = (g.OH - 1) * g.SH + g.KH, PW = (g.OW - 1) * g.SW + g.KW;
  float* xp = scratch(0, (size_t)g.N * PD * PH * PW * g.Ci + kSlack);
  padInput(x, g.N, g.D, g.H, g.W, g.Ci, 1, 1, 1, g.padF, g.padT, g.padL, xp, PD, PH, PW);
  convImpl().filter(xp, PD, PH, PW, g, dy, dw);
}

int numThreads() { return omp_get_max_threads(); }
void setNumThreads(int n) { omp_set_num_threads(n > 0 ? n : 1); }

}  // namespace tmri
