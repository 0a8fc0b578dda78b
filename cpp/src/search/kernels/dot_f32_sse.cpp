// f32 kernels for SSE4.1 (compiled with -msse4.1).
// Instructions: movups loads, mulps + addps (no FMA at this level), haddps (SSE3) to reduce.
// Accumulates: one row after the other, front to back (one ascending stream for the hardware
// prefetcher; see dot_f32_avx512.cpp), two 4-lane accumulators per row; four rows' sums are
// reduced together.
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
  const size_t d8 = d & ~size_t(7);
  const size_t dv = d & ~size_t(3);
  const size_t r = d - dv;
  const __m128 qt = r ? load_tail(q + dv, r) : _mm_setzero_ps();
  // One row front to back, two accumulators; the tail through a zeroed buffer.
  auto row_dot = [&](const float* row) {
    __m128 a = _mm_setzero_ps(), b = _mm_setzero_ps();
    for (size_t i = 0; i < d8; i += 8) {
      a = _mm_add_ps(a, _mm_mul_ps(_mm_loadu_ps(q + i), _mm_loadu_ps(row + i)));
      b = _mm_add_ps(b, _mm_mul_ps(_mm_loadu_ps(q + i + 4), _mm_loadu_ps(row + i + 4)));
    }
    if (d8 != dv) a = _mm_add_ps(a, _mm_mul_ps(_mm_loadu_ps(q + d8), _mm_loadu_ps(row + d8)));
    if (r) b = _mm_add_ps(b, _mm_mul_ps(qt, load_tail(row + dv, r)));
    return _mm_add_ps(a, b);
  };
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = rows + j * d;
    const __m128 a0 = row_dot(r0), a1 = row_dot(r0 + d), a2 = row_dot(r0 + 2 * d), a3 = row_dot(r0 + 3 * d);
    // [a0 a1 a2 a3] -> [sum a0, sum a1, sum a2, sum a3]
    _mm_storeu_ps(out + j, _mm_hadd_ps(_mm_hadd_ps(a0, a1), _mm_hadd_ps(a2, a3)));
  }
  for (; j < n; ++j) out[j] = hsum(row_dot(rows + j * d));
}

void dot_batch_f32_sse(const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                       float* out) {
  for (size_t i = 0; i < nq; ++i) dot_many_f32_sse(queries + i * d, rows, n, d, out + i * n);
}

float sum_f32_sse(const float* x, size_t n) {
  __m128 a = _mm_setzero_ps(), b = _mm_setzero_ps(), c = _mm_setzero_ps(), e = _mm_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a = _mm_add_ps(a, _mm_loadu_ps(x + i));
    b = _mm_add_ps(b, _mm_loadu_ps(x + i + 4));
    c = _mm_add_ps(c, _mm_loadu_ps(x + i + 8));
    e = _mm_add_ps(e, _mm_loadu_ps(x + i + 12));
  }
  for (; i + 4 <= n; i += 4) a = _mm_add_ps(a, _mm_loadu_ps(x + i));
  if (i < n) b = _mm_add_ps(b, load_tail(x + i, n - i));
  return hsum(_mm_add_ps(_mm_add_ps(a, b), _mm_add_ps(c, e)));
}

}  // namespace faceedge::kernels
