// f32 kernels for the avx2 bundle (AVX2 + FMA + F16C; compiled with -mavx2 -mfma -mf16c).
// Instructions: vmovups / vmaskmovps loads, vfmadd231ps, vhaddps + vextractf128 to reduce.
// Accumulates: one row after the other, front to back (one ascending stream for the hardware
// prefetcher; see dot_f32_avx512.cpp), two 8-lane accumulators per row; four rows' sums are
// reduced together.
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

// One dot product over d floats, left in 8 lanes: the row read front to back in 64-byte steps
// with two accumulators, then one more whole step and the masked tail.
struct Row {
  explicit Row(size_t d) : d16(d & ~size_t(15)), d8(d & ~size_t(7)), m(tail_mask(d - d8)), tail(d != d8) {}
  __m256 dot(const float* q, const float* r) const {
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    for (size_t i = 0; i < d16; i += 16) {
      a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(r + i), a);
      b = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(r + i + 8), b);
    }
    if (d16 != d8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d16), _mm256_loadu_ps(r + d16), a);
    if (tail) b = _mm256_fmadd_ps(_mm256_maskload_ps(q + d8, m), _mm256_maskload_ps(r + d8, m), b);
    return _mm256_add_ps(a, b);
  }
  size_t d16, d8;
  __m256i m;
  bool tail;
};

}  // namespace

void dot_many_f32_avx2(const float* q, const float* rows, size_t n, size_t d, float* out) {
  const Row shape(d);
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = rows + j * d;
    const __m256 a0 = shape.dot(q, r0);
    const __m256 a1 = shape.dot(q, r0 + d);
    const __m256 a2 = shape.dot(q, r0 + 2 * d);
    const __m256 a3 = shape.dot(q, r0 + 3 * d);
    _mm_storeu_ps(out + j, reduce4(a0, a1, a2, a3));
  }
  for (; j < n; ++j) out[j] = hsum(shape.dot(q, rows + j * d));
}

void dot_batch_f32_avx2(const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                        float* out) {
  for (size_t i = 0; i < nq; ++i) dot_many_f32_avx2(queries + i * d, rows, n, d, out + i * n);
}

float sum_f32_avx2(const float* x, size_t n) {
  __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps(), c = _mm256_setzero_ps(), e = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = _mm256_add_ps(a, _mm256_loadu_ps(x + i));
    b = _mm256_add_ps(b, _mm256_loadu_ps(x + i + 8));
    c = _mm256_add_ps(c, _mm256_loadu_ps(x + i + 16));
    e = _mm256_add_ps(e, _mm256_loadu_ps(x + i + 24));
  }
  for (; i + 8 <= n; i += 8) a = _mm256_add_ps(a, _mm256_loadu_ps(x + i));
  if (i < n) b = _mm256_add_ps(b, _mm256_maskload_ps(x + i, tail_mask(n - i)));
  return hsum(_mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, e)));
}

}  // namespace faceedge::kernels
