// AVX-512 (F, BW, DQ, VL) versions of memory-bound kernels (see simd.h), used
// on the avx512 path. The pragma comes after the standard headers so that
// their inline functions stay baseline code.
#include <immintrin.h>

#include <cstring>

#include "kernels.h"

#include "simd.h"

#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_ps() as the merge operand
// of unmasked operations, which -Wmaybe-uninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace tmri {
namespace avx512 {

// The activation gradients of avx2's Vec (eltwise_avx2.cc) with 16 lanes.
struct Vec {
  using T = __m512;
  static constexpr int L = 16;
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T zero() { return _mm512_setzero_ps(); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T elu(T d, T v) {
    return _mm512_mask_mov_ps(_mm512_mul_ps(d, _mm512_add_ps(v, _mm512_set1_ps(1.f))), _mm512_cmp_ps_mask(v, zero(), _CMP_GE_OQ), d);
  }
  static T relu(T d, T v) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, zero(), _CMP_GT_OQ), d); }
  static T sigmoid(T d, T v) { return _mm512_mul_ps(_mm512_mul_ps(d, v), _mm512_sub_ps(_mm512_set1_ps(1.f), v)); }
};
#include "gradsum.inc"


namespace {
// Swaps the 256-bit halves.
inline __m512 swapHalves(__m512 v) { return _mm512_shuffle_f32x4(v, v, 0x4E); }
}  // namespace

// NaN cells never win (max(v, m) keeps m for a NaN v), as in tfjs and on the
// other paths; a window of NaN only gives -inf.
void maxPool222(const float* x, const ConvGeom& g, long t0, long t1, float* out) {
  const int C = g.Ci;
  const float* line[4];
  const __m512 ninf = _mm512_set1_ps(-__builtin_inff());
  for (long t = t0; t < t1; t++) {
    windowLines222(x, g, t, line);
    float* o = out + (size_t)t * g.OW * C;
    if (C == 8) {
      // One vector holds the window's two w cells (lo, hi) of a line.
      int ow = 0;
      for (; ow + 2 <= g.OW; ow += 2) {
        const size_t w0 = (size_t)16 * ow;
        __m512 a = ninf, b = ninf;
        for (int l = 0; l < 4; l++) {
          a = _mm512_max_ps(_mm512_loadu_ps(line[l] + w0), a);
          b = _mm512_max_ps(_mm512_loadu_ps(line[l] + w0 + 16), b);
        }
        const __m512 m = _mm512_max_ps(_mm512_shuffle_f32x4(a, b, 0xEE), _mm512_shuffle_f32x4(a, b, 0x44));
        _mm512_storeu_ps(o + (size_t)ow * 8, m);
      }
      if (ow < g.OW) {
        const size_t w0 = (size_t)16 * ow;
        __m512 a = ninf;
        for (int l = 0; l < 4; l++) a = _mm512_max_ps(_mm512_loadu_ps(line[l] + w0), a);
        const __m256 m = _mm256_max_ps(_mm512_extractf32x8_ps(a, 1), _mm512_castps512_ps256(a));
        _mm256_storeu_ps(o + (size_t)ow * 8, m);
      }
      continue;
    }
    for (int ow = 0; ow < g.OW; ow++) {
      const size_t w0 = (size_t)2 * ow * C;
      for (int c = 0; c < C; c += 16) {
        __m512 m = ninf;
        for (int l = 0; l < 4; l++) {
          m = _mm512_max_ps(_mm512_loadu_ps(line[l] + w0 + c), m);
          m = _mm512_max_ps(_mm512_loadu_ps(line[l] + w0 + C + c), m);
        }
        _mm512_storeu_ps(o + (size_t)ow * C + c, m);
      }
    }
  }
}

// The gradient goes to the last cell (d, h, w order) equal to the window's
// maximum over its non-NaN cells (none when all are NaN), as avx2's running
// >= comparison; every other cell gets 0. One pass writes every cell.
void maxPool222Grad(const float* dy, const float* x, const ConvGeom& g, long t0, long t1, float* dx) {
  const int C = g.Ci;
  const float* line[4];
  const float* dline[4];
  const __m512 ninf = _mm512_set1_ps(-__builtin_inff());
  for (long t = t0; t < t1; t++) {
    windowLines222(x, g, t, line);
    windowLines222(dx, g, t, dline);
    const float* d = dy + (size_t)t * g.OW * C;
    if (C == 8) {
      for (int ow = 0; ow < g.OW; ow++) {
        const size_t w0 = (size_t)16 * ow;
        __m512 v[4], m = ninf;
        for (int l = 0; l < 4; l++) {
          v[l] = _mm512_loadu_ps(line[l] + w0);
          m = _mm512_max_ps(v[l], m);
        }
        m = _mm512_max_ps(swapHalves(m), m);
        const __m512 gv = _mm512_broadcast_f32x8(_mm256_loadu_ps(d + (size_t)ow * 8));
        // Cell j = 2 l + w: from j = 7 down, the first equal cell of each channel takes it.
        unsigned taken = 0;
        for (int l = 3; l >= 0; l--) {
          const unsigned e = _mm512_cmp_ps_mask(v[l], m, _CMP_EQ_OQ);
          const unsigned hi = (e >> 8) & ~taken;
          taken |= hi;
          const unsigned lo = e & 0xffu & ~taken;
          taken |= lo;
          _mm512_storeu_ps(const_cast<float*>(dline[l]) + w0, _mm512_maskz_mov_ps((__mmask16)(lo | hi << 8), gv));
        }
      }
      continue;
    }
    for (int ow = 0; ow < g.OW; ow++) {
      const size_t w0 = (size_t)2 * ow * C;
      for (int c = 0; c < C; c += 16) {
        __m512 v[8], m = ninf;
        for (int j = 0; j < 8; j++) {
          v[j] = _mm512_loadu_ps(line[j >> 1] + w0 + (j & 1) * C + c);
          m = _mm512_max_ps(v[j], m);
        }
        const __m512 gv = _mm512_loadu_ps(d + (size_t)ow * C + c);
        __mmask16 taken = 0;
        for (int j = 7; j >= 0; j--) {
          const __mmask16 e = _mm512_cmp_ps_mask(v[j], m, _CMP_EQ_OQ) & ~taken;
          taken |= e;
          _mm512_storeu_ps(const_cast<float*>(dline[j >> 1]) + w0 + (j & 1) * C + c, _mm512_maskz_mov_ps(e, gv));
        }
      }
    }
  }
}

// Nearest 2x2x2 upsampling (C % 16 == 0, or 8): rows of 8 channels as one
// 16-lane vector per w cell (its two copies along w; the gradient adds the halves).
static bool upsampleRow8(const float* xr, float* const* o, int W, int C) {
  if (C != 8) return false;
  for (int w = 0; w < W; w++) {
    const __m512 v = _mm512_broadcast_f32x8(_mm256_loadu_ps(xr + (size_t)w * 8));
    for (int k = 0; k < 4; k++) _mm512_storeu_ps(o[k] + (size_t)16 * w, v);
  }
  return true;
}
static bool upsampleGradRow8(const float* const* q, float* xr, int W, int C) {
  if (C != 8) return false;
  for (int w = 0; w < W; w++) {
    const size_t o = (size_t)16 * w;
    const __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps(q[0] + o), _mm512_loadu_ps(q[1] + o)),
                                   _mm512_add_ps(_mm512_loadu_ps(q[2] + o), _mm512_loadu_ps(q[3] + o)));
    _mm256_storeu_ps(xr + (size_t)w * 8, _mm256_add_ps(_mm512_castps512_ps256(t), _mm512_extractf32x8_ps(t, 1)));
  }
  return true;
}
#include "upsample222.inc"

}  // namespace avx512
}  // namespace tmri
