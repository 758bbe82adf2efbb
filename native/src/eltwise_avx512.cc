// AVX-512 (F, BW, DQ, VL) versions of memory-bound kernels (see simd.h), used
// on the avx512 path. The pragma comes after the standard headers so that
// their inline functions stay baseline code.
#include <immintrin.h>

#include <cstring>

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

}  // namespace avx512
}  // namespace tmri
