// Stride-1 2D convolutions with few output channels (Co <= 8), e.g. the
// 3-filter edge CNN: the NHWC kernels of conv_impl.inc vectorise over output
// channels and waste most lanes here. These kernels copy the input into
// zero-padded channel planes and vectorise along W (24 output pixels x up to
// 4 output channels in 12 AVX2 registers). The input gradient is the same
// forward pass over dy with the flipped, transposed filter; the filter
// gradient accumulates KW x 4 channel dot products along W. Compiled for
// AVX2+FMA: callers check the CPU first (ops2d.cc). The entry points return
// false for geometries they do not handle (the caller then uses conv3d).
#include <omp.h>

#include <cstring>
#include <vector>

#include "kernels.h"
#include "ops2d.h"

#pragma GCC target("avx2,fma")

namespace tmri {
namespace avx2 {

namespace {

typedef float v8 __attribute__((vector_size(32)));
inline v8 ld(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void st(float* p, v8 v) { std::memcpy(p, &v, sizeof(v)); }
inline v8 bc(float s) { return v8{s, s, s, s, s, s, s, s}; }
inline float hsum(v8 v) { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }

constexpr int kTile = 24;  // output pixels per register tile (3 vectors)

// Planes of x [N,H,W,C] as [N][C][PH][RS], element (h, w) at (h + pt, w + pl),
// zero elsewhere. RS >= round_up(OW, kTile) + KW - 1 so that whole tiles read in bounds.
struct Planes {
  const float* p;
  int PH, RS;
};

Planes toPlanes(const float* x, int N, int H, int W, int C, int pt, int pl, int PH, int RS, int slot) {
  const size_t plane = (size_t)PH * RS;
  float* xp = scratch(slot, (size_t)N * C * plane + 64);
  const long rows = (long)N * PH;
#pragma omp parallel for schedule(static) if ((size_t)rows * RS * C > 65536)
  for (long r = 0; r < rows; r++) {
    const int n = r / PH, ph = r % PH, h = ph - pt;
    for (int c = 0; c < C; c++) {
      float* d = xp + ((size_t)n * C + c) * plane + (size_t)ph * RS;
      std::memset(d, 0, sizeof(float) * RS);
      if (h < 0 || h >= H) continue;
      const float* s = x + (((size_t)n * H + h) * W) * C + c;
      const int w1 = W < RS - pl ? W : RS - pl;
      for (int w = 0; w < w1; w++) d[pl + w] = s[(size_t)w * C];
    }
  }
  std::memset(xp + (size_t)N * C * plane, 0, sizeof(float) * 64);
  return {xp, PH, RS};
}

inline float act1(float v, int act) {
  if (act == ACT_RELU) return v > 0.f ? v : 0.f;
  return v;
}

// One row of output, channels [co0, co0 + CB): wt is [Co][Ci][KH][KW].
template <int CB>
void fwdRow(const Planes& xp, int n, int oh, int Ci, int Co, int KH, int KW, int OW, const float* wt,
            int co0, const float* bias, int act, float* orow) {
  const size_t plane = (size_t)xp.PH * xp.RS;
  const size_t K = (size_t)Ci * KH * KW;
  float tmp[CB][kTile];
  for (int ow = 0; ow < OW; ow += kTile) {
    v8 acc[CB][3];
    for (int j = 0; j < CB; j++) acc[j][0] = acc[j][1] = acc[j][2] = bc(bias ? bias[co0 + j] : 0.f);
    for (int ci = 0; ci < Ci; ci++) {
      const float* xc = xp.p + ((size_t)n * Ci + ci) * plane + (size_t)oh * xp.RS + ow;
      for (int kh = 0; kh < KH; kh++) {
        const float* xr = xc + (size_t)kh * xp.RS;
        const float* wk = wt + (size_t)co0 * K + ((size_t)ci * KH + kh) * KW;
        for (int kw = 0; kw < KW; kw++) {
          const v8 x0 = ld(xr + kw), x1 = ld(xr + kw + 8), x2 = ld(xr + kw + 16);
#pragma GCC unroll 4
          for (int j = 0; j < CB; j++) {
            const v8 wv = bc(wk[(size_t)j * K + kw]);
            acc[j][0] += x0 * wv;
            acc[j][1] += x1 * wv;
            acc[j][2] += x2 * wv;
          }
        }
      }
    }
    for (int j = 0; j < CB; j++) {
      st(tmp[j], acc[j][0]);
      st(tmp[j] + 8, acc[j][1]);
      st(tmp[j] + 16, acc[j][2]);
    }
    const int nb = OW - ow < kTile ? OW - ow : kTile;
    float* o = orow + (size_t)ow * Co + co0;
    for (int i = 0; i < nb; i++)
      for (int j = 0; j < CB; j++) o[(size_t)i * Co + j] = act1(tmp[j][i], act);
  }
}

// out [N,OH,OW,Co] = stride-1 correlation of x [N,H,W,Ci] (pads pt, pl) with wt [Co][Ci][KH][KW].
void forwardPlanar(const float* x, int N, int H, int W, int Ci, int Co, int KH, int KW, int OH, int OW,
                   int pt, int pl, const float* wt, const float* bias, int act, float* out) {
  const int RS = (OW + kTile - 1) / kTile * kTile + KW - 1;
  const Planes xp = toPlanes(x, N, H, W, Ci, pt, pl, OH + KH - 1, RS, 6);
  const long rows = (long)N * OH;
#pragma omp parallel for schedule(static) if ((double)rows * OW * Ci * KH * KW * Co > 2e5)
  for (long r = 0; r < rows; r++) {
    const int n = r / OH, oh = r % OH;
    float* orow = out + (size_t)r * OW * Co;
    for (int co0 = 0; co0 < Co; co0 += 4) {
      switch (Co - co0 < 4 ? Co - co0 : 4) {
        case 1: fwdRow<1>(xp, n, oh, Ci, Co, KH, KW, OW, wt, co0, bias, act, orow); break;
        case 2: fwdRow<2>(xp, n, oh, Ci, Co, KH, KW, OW, wt, co0, bias, act, orow); break;
        case 3: fwdRow<3>(xp, n, oh, Ci, Co, KH, KW, OW, wt, co0, bias, act, orow); break;
        default: fwdRow<4>(xp, n, oh, Ci, Co, KH, KW, OW, wt, co0, bias, act, orow); break;
      }
    }
  }
}

bool applies(const ConvGeom& g) {
  return g.D == 1 && g.KD == 1 && g.OD == 1 && g.SD == 1 && g.SH == 1 && g.SW == 1 && g.Co <= 8 &&
         g.Ci <= 64 && g.OW >= 1 && g.OH >= 1;
}

// dw partial sums over rows [r0, r1) for channels [co0, co0 + CB) and all kw (KWT == KW) or one kw.
template <int CB, int KWT>
void filRows(const Planes& xp, const float* dyp, int OWr, int Ci, int KH, int OH, long r0, long r1, int kw0,
             int Co, int co0, double* pw /* [Ci][KH][KW][Co] */, int KW) {
  const size_t plane = (size_t)xp.PH * xp.RS;
  for (int ci = 0; ci < Ci; ci++)
    for (int kh = 0; kh < KH; kh++) {
      v8 acc[KWT][CB];
      for (int k = 0; k < KWT; k++)
        for (int j = 0; j < CB; j++) acc[k][j] = bc(0.f);
      for (long r = r0; r < r1; r++) {
        const int n = r / OH, oh = r % OH;
        const float* xr = xp.p + ((size_t)n * Ci + ci) * plane + (size_t)(oh + kh) * xp.RS + kw0;
        const float* dr = dyp + (size_t)(r - r0) * Co * OWr + (size_t)co0 * OWr;
        for (int ow = 0; ow < OWr; ow += 8) {
          v8 d[CB];
          for (int j = 0; j < CB; j++) d[j] = ld(dr + (size_t)j * OWr + ow);
#pragma GCC unroll 3
          for (int k = 0; k < KWT; k++) {
            const v8 xv = ld(xr + ow + k);
            for (int j = 0; j < CB; j++) acc[k][j] += xv * d[j];
          }
        }
      }
      for (int k = 0; k < KWT; k++)
        for (int j = 0; j < CB; j++) pw[(((size_t)ci * KH + kh) * KW + kw0 + k) * Co + co0 + j] += hsum(acc[k][j]);
    }
}

template <int CB>
void filBlock(const Planes& xp, const float* dyp, int OWr, int Ci, int KH, int KW, int OH, long r0, long r1,
              int Co, int co0, double* pw) {
  if (KW == 3) {
    filRows<CB, 3>(xp, dyp, OWr, Ci, KH, OH, r0, r1, 0, Co, co0, pw, KW);
  } else {
    for (int kw = 0; kw < KW; kw++) filRows<CB, 1>(xp, dyp, OWr, Ci, KH, OH, r0, r1, kw, Co, co0, pw, KW);
  }
}

}  // namespace

bool conv2dSmallForward(const float* x, const float* w, const ConvGeom& g, const float* bias, int act,
                        float* out) {
  if (!applies(g) || (act != ACT_NONE && act != ACT_RELU)) return false;
  // wt [Co][Ci][KH][KW] from w [KH][KW][Ci][Co].
  std::vector<float> wt((size_t)g.Co * g.Ci * g.KH * g.KW);
  for (int kh = 0; kh < g.KH; kh++)
    for (int kw = 0; kw < g.KW; kw++)
      for (int ci = 0; ci < g.Ci; ci++)
        for (int co = 0; co < g.Co; co++)
          wt[(((size_t)co * g.Ci + ci) * g.KH + kh) * g.KW + kw] = w[(((size_t)kh * g.KW + kw) * g.Ci + ci) * g.Co + co];
  forwardPlanar(x, g.N, g.H, g.W, g.Ci, g.Co, g.KH, g.KW, g.OH, g.OW, g.padT, g.padL, wt.data(), bias, act, out);
  return true;
}

bool conv2dSmallBackpropInput(const float* dy, const float* w, const ConvGeom& g, float* dx) {
  // dx is the forward pass over dy with Ci and Co swapped (so the "output" has Ci <= 8 channels).
  if (g.D != 1 || g.KD != 1 || g.SH != 1 || g.SW != 1 || g.Ci > 8 || g.Co > 64) return false;
  // wt [Ci][Co][KH][KW] with the taps flipped: wt[ci][co][kh][kw] = w[KH-1-kh][KW-1-kw][ci][co].
  std::vector<float> wt((size_t)g.Co * g.Ci * g.KH * g.KW);
  for (int kh = 0; kh < g.KH; kh++)
    for (int kw = 0; kw < g.KW; kw++)
      for (int ci = 0; ci < g.Ci; ci++)
        for (int co = 0; co < g.Co; co++)
          wt[(((size_t)ci * g.Co + co) * g.KH + kh) * g.KW + kw] =
              w[(((size_t)(g.KH - 1 - kh) * g.KW + (g.KW - 1 - kw)) * g.Ci + ci) * g.Co + co];
  forwardPlanar(dy, g.N, g.OH, g.OW, g.Co, g.Ci, g.KH, g.KW, g.H, g.W, g.KH - 1 - g.padT, g.KW - 1 - g.padL,
                wt.data(), nullptr, ACT_NONE, dx);
  return true;
}

bool conv2dSmallBackpropFilter(const float* x, const float* dy, const ConvGeom& g, float* dw) {
  if (!applies(g)) return false;
  const int OWr = (g.OW + 7) / 8 * 8;
  const int RS = OWr + g.KW - 1 + 8;
  const Planes xp = toPlanes(x, g.N, g.H, g.W, g.Ci, g.padT, g.padL, g.OH + g.KH - 1, RS, 6);
  const long rows = (long)g.N * g.OH;
  const size_t part = (size_t)g.Ci * g.KH * g.KW * g.Co;
  constexpr long kChunk = 8;  // rows per chunk: dy planes of a chunk stay in L1/L2
  // Fixed blocks of rows (at most 16, at most one per chunk), handed to the
  // threads as they come free, each into its own partial sum, added in block
  // order: the same dw on any number of threads (as the 3D filter gradients).
  const bool par = (double)rows * g.OW * part > 2e5;
  const long chunks = (rows + kChunk - 1) / kChunk;
  const int T = par ? numThreads() : 1, NBLK = par ? (int)(chunks < 16 ? chunks : 16) : 1;
  std::vector<double> pw((size_t)NBLK * part, 0.0);
#pragma omp parallel num_threads(T)
  {
    std::vector<float> dyp((size_t)kChunk * g.Co * OWr, 0.f);  // planar, zero tail columns
#pragma omp for schedule(dynamic, 1)
    for (int blk = 0; blk < NBLK; blk++) {
    const long r0 = rows * blk / NBLK, r1 = rows * (blk + 1) / NBLK;
    double* mine = pw.data() + (size_t)blk * part;
    for (long c0 = r0; c0 < r1; c0 += kChunk) {
      const long c1 = c0 + kChunk < r1 ? c0 + kChunk : r1;
      for (long r = c0; r < c1; r++) {
        const float* s = dy + (size_t)r * g.OW * g.Co;
        float* d = dyp.data() + (size_t)(r - c0) * g.Co * OWr;
        for (int ow = 0; ow < g.OW; ow++)
          for (int co = 0; co < g.Co; co++) d[(size_t)co * OWr + ow] = s[(size_t)ow * g.Co + co];
      }
      for (int co0 = 0; co0 < g.Co; co0 += 4) {
        switch (g.Co - co0 < 4 ? g.Co - co0 : 4) {
          case 1: filBlock<1>(xp, dyp.data(), OWr, g.Ci, g.KH, g.KW, g.OH, c0, c1, g.Co, co0, mine); break;
          case 2: filBlock<2>(xp, dyp.data(), OWr, g.Ci, g.KH, g.KW, g.OH, c0, c1, g.Co, co0, mine); break;
          case 3: filBlock<3>(xp, dyp.data(), OWr, g.Ci, g.KH, g.KW, g.OH, c0, c1, g.Co, co0, mine); break;
          default: filBlock<4>(xp, dyp.data(), OWr, g.Ci, g.KH, g.KW, g.OH, c0, c1, g.Co, co0, mine); break;
        }
      }
    }
    }
  }
  // pw is [Ci][KH][KW][Co]; dw is [KH][KW][Ci][Co].
  for (int ci = 0; ci < g.Ci; ci++)
    for (int kh = 0; kh < g.KH; kh++)
      for (int kw = 0; kw < g.KW; kw++)
        for (int co = 0; co < g.Co; co++) {
          double s = 0;
          const size_t i = (((size_t)ci * g.KH + kh) * g.KW + kw) * g.Co + co;
          for (int t = 0; t < NBLK; t++) s += pw[(size_t)t * part + i];
          dw[(((size_t)kh * g.KW + kw) * g.Ci + ci) * g.Co + co] = (float)s;
        }
  return true;
}

}  // namespace avx2
}  // namespace tmri
