// AVX2 + FMA kernels for the element-wise ops (see simd.h; exp/expm1 in simd_math.h).
#include <immintrin.h>

#include <cstring>

#include "simd.h"

#pragma GCC target("avx2,fma")

#include "simd_math.h"

namespace tmri {
namespace avx2 {

namespace {

// Loads/stores the first k < 8 floats.
inline __m256i tailMask(size_t k) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), idx);
}

template <typename F>
inline void unaryLoop(const float* x, float* out, size_t n, F f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tailMask(n - i);
    _mm256_maskstore_ps(out + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

}  // namespace

void elu(const float* x, float* out, size_t n) { unaryLoop(x, out, n, eluv); }

void sigmoid(const float* x, float* out, size_t n) { unaryLoop(x, out, n, sigmoidv); }

// The activation gradients as in actGrad: ELU d * (v >= 0 ? 1 : v + 1), ReLU
// v > 0 ? d : 0, sigmoid (d * v) * (1 - v); NaN v gives NaN (ELU, sigmoid) or 0 (ReLU).
struct Vec {
  using T = __m256;
  static constexpr int L = 8;
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T zero() { return _mm256_setzero_ps(); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T elu(T d, T v) {
    const T one = _mm256_set1_ps(1.f);
    return _mm256_blendv_ps(_mm256_mul_ps(d, _mm256_add_ps(v, one)), d, _mm256_cmp_ps(v, zero(), _CMP_GE_OQ));
  }
  static T relu(T d, T v) { return _mm256_and_ps(d, _mm256_cmp_ps(v, zero(), _CMP_GT_OQ)); }
  static T sigmoid(T d, T v) { return _mm256_mul_ps(_mm256_mul_ps(d, v), _mm256_sub_ps(_mm256_set1_ps(1.f), v)); }
};
#include "gradsum.inc"

void biasAct(float* y, size_t rows, int C, const float* bias, int act) {
  const __m256 zero = _mm256_setzero_ps();
  auto f = [&](__m256 v) { return actv(v, act); };
  if (C % 8 == 0 && C <= 64) {
    __m256 b[8];
    for (int k = 0; k < C / 8; k++) b[k] = bias ? _mm256_loadu_ps(bias + 8 * k) : zero;
    for (size_t r = 0; r < rows; r++) {
      float* p = y + r * C;
      for (int k = 0; k < C / 8; k++) _mm256_storeu_ps(p + 8 * k, f(_mm256_add_ps(_mm256_loadu_ps(p + 8 * k), b[k])));
    }
    return;
  }
  if (bias == nullptr) {
    unaryLoop(y, y, rows * (size_t)C, f);
    return;
  }
  for (size_t r = 0; r < rows; r++) {
    float* p = y + r * C;
    int c = 0;
    for (; c + 8 <= C; c += 8) _mm256_storeu_ps(p + c, f(_mm256_add_ps(_mm256_loadu_ps(p + c), _mm256_loadu_ps(bias + c))));
    if (c < C) {
      const __m256i m = tailMask(C - c);
      _mm256_maskstore_ps(p + c, m, f(_mm256_add_ps(_mm256_maskload_ps(p + c, m), _mm256_maskload_ps(bias + c, m))));
    }
  }
}

void maxPoolGradWindow(const float* x, float* dx, const size_t* off, int npos, const float* dy, int C) {
  const __m256 zero = _mm256_setzero_ps();
  for (int c = 0; c < C; c += 8) {
    __m256 best = _mm256_set1_ps(-__builtin_inff());
    __m256 where = _mm256_set1_ps(-1.f);
    for (int j = 0; j < npos; j++) {
      const __m256 v = _mm256_loadu_ps(x + off[j] + c);
      const __m256 ge = _mm256_cmp_ps(v, best, _CMP_GE_OQ);
      best = _mm256_blendv_ps(best, v, ge);
      where = _mm256_blendv_ps(where, _mm256_set1_ps((float)j), ge);
    }
    const __m256 g = _mm256_loadu_ps(dy + c);
    for (int j = 0; j < npos; j++) {
      const __m256 hit = _mm256_cmp_ps(where, _mm256_set1_ps((float)j), _CMP_EQ_OQ);
      _mm256_storeu_ps(dx + off[j] + c, _mm256_blendv_ps(zero, g, hit));
    }
  }
}

void maxPool222(const float* x, const ConvGeom& g, long t0, long t1, float* out) {
  const int C = g.Ci;
  const float* line[4];
  for (long t = t0; t < t1; t++) {
    windowLines222(x, g, t, line);
    float* o = out + (size_t)t * g.OW * C;
    for (int ow = 0; ow < g.OW; ow++) {
      const size_t w0 = (size_t)2 * ow * C;
      for (int c = 0; c < C; c += 8) {
        // max(v, m) keeps m for a NaN v: NaN cells never win, as in tfjs (-inf when all are NaN).
        __m256 m = _mm256_set1_ps(-__builtin_inff());
        for (int l = 0; l < 4; l++) {
          m = _mm256_max_ps(_mm256_loadu_ps(line[l] + w0 + c), m);
          m = _mm256_max_ps(_mm256_loadu_ps(line[l] + w0 + C + c), m);
        }
        _mm256_storeu_ps(o + (size_t)ow * C + c, m);
      }
    }
  }
}

void maxPool222Grad(const float* dy, const float* x, const ConvGeom& g, long t0, long t1, float* dx) {
  const int C = g.Ci;
  const float* line[4];
  const float* dline[4];
  const __m256 zero = _mm256_setzero_ps();
  for (long t = t0; t < t1; t++) {
    windowLines222(x, g, t, line);
    windowLines222(dx, g, t, dline);
    const float* d = dy + (size_t)t * g.OW * C;
    for (int ow = 0; ow < g.OW; ow++) {
      const size_t w0 = (size_t)2 * ow * C;
      for (int c = 0; c < C; c += 8) {
        // Last maximum in (d, h, w) order, as tfjs: >= moves the winner forward.
        __m256 best = _mm256_set1_ps(-__builtin_inff()), where = _mm256_set1_ps(-1.f);
        for (int j = 0; j < 8; j++) {
          const __m256 v = _mm256_loadu_ps(line[j >> 1] + w0 + (j & 1) * C + c);
          const __m256 ge = _mm256_cmp_ps(v, best, _CMP_GE_OQ);
          best = _mm256_blendv_ps(best, v, ge);
          where = _mm256_blendv_ps(where, _mm256_set1_ps((float)j), ge);
        }
        const __m256 gv = _mm256_loadu_ps(d + (size_t)ow * C + c);
        for (int j = 0; j < 8; j++) {
          const __m256 hit = _mm256_cmp_ps(where, _mm256_set1_ps((float)j), _CMP_EQ_OQ);
          _mm256_storeu_ps(const_cast<float*>(dline[j >> 1]) + w0 + (j & 1) * C + c, _mm256_blendv_ps(zero, gv, hit));
        }
      }
    }
  }
}


// Nearest 2x2x2 upsampling (C % 8 == 0): no special rows on this path.
static bool upsampleRow8(const float*, float* const*, int, int) { return false; }
static bool upsampleGradRow8(const float* const*, float*, int, int) { return false; }
#include "upsample222.inc"

}  // namespace avx2
}  // namespace tmri
