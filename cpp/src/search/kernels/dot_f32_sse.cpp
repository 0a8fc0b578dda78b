// f32 kernels for SSE4.1 (compiled with -msse4.1).
// Instructions: movups loads, mulps + addps (no FMA at this level), haddps (SSE3) to reduce.
// Accumulates: four rows at a time, one 4-lane float accumulator per row, lanes summed at the end.
// Tails: the last d % 4 elements are copied into a zeroed 4-float buffer and go through the same
// multiply-add (zeros add nothing); rows left over from the groups of four run one at a time.
// Batch: one query after another over the same rows (the gallery hands over blocks sized for L2).
#include <immintrin.h>

#include <cstring>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

inline __m128 load_tail(const float* p, size_t r) {
  alignas(16) float buf[4] = {0.f, 0.f, 0.f, 0.f};
  std::memcpy(buf, p, r * sizeof(float));
  return _mm_load_ps(buf);
}

inline float hsum(__m128 a) {
  a = _mm_hadd_ps(a, a);
  a = _mm_hadd_ps(a, a);
  return _mm_cvtss_f32(a);
}

}  // namespace

void dot_many_f32_sse(const float* q, const float* rows, size_t n, size_t d, float* out) {
  const size_t dv = d & ~size_t(3);
  const size_t r = d - dv;
  const __m128 qt = r ? load_tail(q + dv, r) : _mm_setzero_ps();
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = rows + j * d;
    const float* r1 = r0 + d;
    const float* r2 = r1 + d;
    const float* r3 = r2 + d;
    __m128 a0 = _mm_setzero_ps(), a1 = _mm_setzero_ps(), a2 = _mm_setzero_ps(), a3 = _mm_setzero_ps();
    for (size_t i = 0; i < dv; i += 4) {
      const __m128 qv = _mm_loadu_ps(q + i);
      a0 = _mm_add_ps(a0, _mm_mul_ps(qv, _mm_loadu_ps(r0 + i)));
      a1 = _mm_add_ps(a1, _mm_mul_ps(qv, _mm_loadu_ps(r1 + i)));
      a2 = _mm_add_ps(a2, _mm_mul_ps(qv, _mm_loadu_ps(r2 + i)));
      a3 = _mm_add_ps(a3, _mm_mul_ps(qv, _mm_loadu_ps(r3 + i)));
    }
    if (r) {
      a0 = _mm_add_ps(a0, _mm_mul_ps(qt, load_tail(r0 + dv, r)));
      a1 = _mm_add_ps(a1, _mm_mul_ps(qt, load_tail(r1 + dv, r)));
      a2 = _mm_add_ps(a2, _mm_mul_ps(qt, load_tail(r2 + dv, r)));
      a3 = _mm_add_ps(a3, _mm_mul_ps(qt, load_tail(r3 + dv, r)));
    }
    // [a0 a1 a2 a3] -> [sum a0, sum a1, sum a2, sum a3]
    _mm_storeu_ps(out + j, _mm_hadd_ps(_mm_hadd_ps(a0, a1), _mm_hadd_ps(a2, a3)));
  }
  for (; j < n; ++j) {
    const float* r0 = rows + j * d;
    __m128 a0 = _mm_setzero_ps();
    for (size_t i = 0; i < dv; i += 4) a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(q + i), _mm_loadu_ps(r0 + i)));
    if (r) a0 = _mm_add_ps(a0, _mm_mul_ps(qt, load_tail(r0 + dv, r)));
    out[j] = hsum(a0);
  }
}

void dot_batch_f32_sse(const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                       float* out) {
  for (size_t i = 0; i < nq; ++i) dot_many_f32_sse(queries + i * d, rows, n, d, out + i * n);
}

}  // namespace faceedge::kernels
