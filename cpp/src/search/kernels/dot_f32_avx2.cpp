// f32 kernels for the avx2 bundle (AVX2 + FMA + F16C; compiled with -mavx2 -mfma -mf16c).
// Instructions: vmovups / vmaskmovps loads, vfmadd231ps, vhaddps + vextractf128 to reduce.
// Accumulates: four rows at a time, one 8-lane float accumulator per row, lanes summed at the end.
// Tails: the last d % 8 elements use vmaskmovps, which reads only the unmasked lanes (no fault
// past the end) and gives zeros elsewhere; rows left over from the groups of four one at a time.
// Batch: one query after another over the same rows (the gallery hands over blocks sized for L2).
#include <immintrin.h>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

alignas(64) const int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// Lanes [0, r) set.
inline __m256i tail_mask(size_t r) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - r));
}

// {sum a0, sum a1, sum a2, sum a3}
inline __m128 reduce4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

inline float hsum(__m256 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_hadd_ps(s, s);
  s = _mm_hadd_ps(s, s);
  return _mm_cvtss_f32(s);
}

}  // namespace

void dot_many_f32_avx2(const float* q, const float* rows, size_t n, size_t d, float* out) {
  const size_t dv = d & ~size_t(7);
  const size_t r = d - dv;
  const __m256i m = tail_mask(r);
  const __m256 qt = _mm256_maskload_ps(q + dv, m);
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = rows + j * d;
    const float* r1 = r0 + d;
    const float* r2 = r1 + d;
    const float* r3 = r2 + d;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
           a3 = _mm256_setzero_ps();
    for (size_t i = 0; i < dv; i += 8) {
      const __m256 qv = _mm256_loadu_ps(q + i);
      a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(r0 + i), a0);
      a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(r1 + i), a1);
      a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(r2 + i), a2);
      a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(r3 + i), a3);
    }
    if (r) {
      a0 = _mm256_fmadd_ps(qt, _mm256_maskload_ps(r0 + dv, m), a0);
      a1 = _mm256_fmadd_ps(qt, _mm256_maskload_ps(r1 + dv, m), a1);
      a2 = _mm256_fmadd_ps(qt, _mm256_maskload_ps(r2 + dv, m), a2);
      a3 = _mm256_fmadd_ps(qt, _mm256_maskload_ps(r3 + dv, m), a3);
    }
    _mm_storeu_ps(out + j, reduce4(a0, a1, a2, a3));
  }
  for (; j < n; ++j) {
    const float* r0 = rows + j * d;
    __m256 a0 = _mm256_setzero_ps();
    for (size_t i = 0; i < dv; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(r0 + i), a0);
    if (r) a0 = _mm256_fmadd_ps(qt, _mm256_maskload_ps(r0 + dv, m), a0);
    out[j] = hsum(a0);
  }
}

void dot_batch_f32_avx2(const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                        float* out) {
  for (size_t i = 0; i < nq; ++i) dot_many_f32_avx2(queries + i * d, rows, n, d, out + i * n);
}

}  // namespace faceedge::kernels
