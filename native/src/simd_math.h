// Inline AVX2 + FMA math shared by eltwise_avx2.cc and the AVX2 build of the
// convolutions (conv_avx2.cc). Include only after `#pragma GCC target("avx2,fma")`.
// exp and expm1 use a range reduction x = n ln2 + r, |r| <= ln2/2, and a
// degree-7 Taylor polynomial of expm1(r) (truncation < 6e-9):
// expm1(x) = 2^n expm1(r) + 2^n - 1, accurate to a few ulp, also near 0 where
// exp(x) - 1 would cancel. NaN propagates.
#pragma once
#include <immintrin.h>

#include "kernels.h"

namespace tmri {
namespace avx2 {
namespace {

// expm1(r) for |r| <= 0.35, and the scale 2^n, of x clamped to [-87, 88].
inline __m256 expm1Parts(__m256 x, __m256* scale) {
  // Operand order keeps NaN (min/max return their second operand on NaN).
  x = _mm256_min_ps(_mm256_set1_ps(88.f), _mm256_max_ps(_mm256_set1_ps(-87.f), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
  __m256 p = _mm256_set1_ps(1.f / 5040.f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 720.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r);
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  *scale = _mm256_castsi256_ps(e);
  return p;
}

inline __m256 expm1v(__m256 x) {
  __m256 s;
  const __m256 p = expm1Parts(x, &s);
  return _mm256_fmadd_ps(s, p, _mm256_sub_ps(s, _mm256_set1_ps(1.f)));
}

inline __m256 expv(__m256 x) {
  __m256 s;
  const __m256 p = expm1Parts(x, &s);
  return _mm256_fmadd_ps(s, p, s);
}

inline __m256 eluv(__m256 v) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 e = expm1v(_mm256_min_ps(zero, v));
  return _mm256_blendv_ps(e, v, _mm256_cmp_ps(v, zero, _CMP_GE_OQ));
}

inline __m256 sigmoidv(__m256 v) {
  const __m256 one = _mm256_set1_ps(1.f);
  return _mm256_div_ps(one, _mm256_add_ps(one, expv(_mm256_sub_ps(_mm256_setzero_ps(), v))));
}

// The activations of the fused epilogues (Act codes of kernels.h).
inline __m256 actv(__m256 v, int act) {
  if (act == ACT_ELU) return eluv(v);
  if (act == ACT_RELU) return _mm256_max_ps(_mm256_setzero_ps(), v);
  if (act == ACT_SIGMOID) return sigmoidv(v);
  return v;
}

}  // namespace
}  // namespace avx2
}  // namespace tmri
