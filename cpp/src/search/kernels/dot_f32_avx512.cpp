// f32 kernels for the avx512 bundle (F/BW/DQ/VL; compiled with -mavx512f -mavx512bw -mavx512dq
// -mavx512vl).
// Instructions: vmovups zmm and masked zero-filling loads (vmovups zmm{k}{z}), vfmadd231ps zmm,
// vextractf32x8 (DQ) then vhaddps ymm to reduce.
// Accumulates: dot_many reads one row after the other, front to back, with two 16-lane
// accumulators per row, and reduces four rows' sums together. Reading four rows side by side
// (one accumulator each, the loads hopping between four streams 4*d bytes apart) measured 2.5x
// slower out of DRAM on AMD Zen 4: the hardware prefetcher follows one ascending stream, not four
// interleaved ones, so a single query ran at a third of the memory's speed.
// dot_batch is register-blocked: 4 queries x 4 rows = 16 zmm accumulators, so each 64-byte load
// of a row feeds four FMAs (a plain query-after-query loop needs one load per FMA and is bound by
// L1/L2 bandwidth, not by the FMA units). Lanes are summed once per dot product at the end.
// Tails: the last d % 16 elements use a masked load (masked-off lanes read as zero and cannot
// fault); rows left over from the groups of four, and queries left over from the groups of four,
// take the narrower paths.
// Prefetch: dot_many relies on the hardware prefetcher, which its single ascending stream keeps
// fed (software prefetch 1-16 KiB ahead, to L1 or L2, measured no better or worse). dot_batch
// prefetches the rows just past its own n: the gallery's next block, fetched while this one is
// still being reused by the later query groups (~7% on 1M x 128, batch 32).
// sum_f32 (the benchmarks' read-bandwidth yardstick) reads like dot_many: 128-byte steps, two
// accumulators, the masked tail.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the unused merge source, which its own
// -Wuninitialized flags at every inlined use (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

inline __mmask16 tail_mask(size_t r) { return static_cast<__mmask16>((1u << r) - 1u); }

inline __m256 halve(__m512 a) {
  return _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
}

inline float hsum(__m512 a) {
  const __m256 h = halve(a);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_hadd_ps(s, s);
  s = _mm_hadd_ps(s, s);
  return _mm_cvtss_f32(s);
}

// {sum a0, sum a1, sum a2, sum a3}
inline __m128 reduce4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  const __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(halve(a0), halve(a1)),
                                  _mm256_hadd_ps(halve(a2), halve(a3)));
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

// One dot product over d floats, left in 16 lanes. The row is read front to back in 128-byte
// steps (two accumulators, so consecutive FMAs do not wait on each other), then one more whole
// step and the masked tail.
struct Row {
  explicit Row(size_t d) : d32(d & ~size_t(31)), d16(d & ~size_t(15)), m(tail_mask(d - d16)) {}
  __m512 dot(const float* q, const float* r) const {
    __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
    for (size_t i = 0; i < d32; i += 32) {
      a = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(r + i), a);
      b = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), _mm512_loadu_ps(r + i + 16), b);
    }
    if (d32 != d16) a = _mm512_fmadd_ps(_mm512_loadu_ps(q + d32), _mm512_loadu_ps(r + d32), a);
    if (m) b = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + d16), _mm512_maskz_loadu_ps(m, r + d16), b);
    return _mm512_add_ps(a, b);
  }
  size_t d32, d16;
  __mmask16 m;
};

}  // namespace

void dot_many_f32_avx512(const float* q, const float* rows, size_t n, size_t d, float* out) {
  const Row shape(d);
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = rows + j * d;
    // Each row is finished before the next begins: the four sums are only reduced together.
    const __m512 a0 = shape.dot(q, r0);
    const __m512 a1 = shape.dot(q, r0 + d);
    const __m512 a2 = shape.dot(q, r0 + 2 * d);
    const __m512 a3 = shape.dot(q, r0 + 3 * d);
    _mm_storeu_ps(out + j, reduce4(a0, a1, a2, a3));
  }
  for (; j < n; ++j) out[j] = hsum(shape.dot(q, rows + j * d));
}

void dot_batch_f32_avx512(const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                          float* out) {
  const size_t dv = d & ~size_t(15);
  const __mmask16 m = tail_mask(d - dv);
  const size_t groups = nq / 4;
  const size_t next_block = n * d;
  size_t qi = 0;
  for (; qi + 4 <= nq; qi += 4) {
    const float* q[4];
    for (int a = 0; a < 4; ++a) q[a] = queries + (qi + a) * d;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const float* r[4];
      for (int b = 0; b < 4; ++b) r[b] = rows + (j + b) * d;
      // While this block sits in cache for the later query groups, bring in the next one (the
      // rows just past these n, which the caller's next call reads): each query group fetches
      // its share of the 4-row steps, so the DRAM traffic overlaps the compute.
      const bool ahead = ((j >> 2) % groups) == (qi >> 2);
      __m512 acc[4][4];
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_setzero_ps();
      for (size_t i = 0; i < dv; i += 16) {
        __m512 rv[4];
        for (int b = 0; b < 4; ++b) rv[b] = _mm512_loadu_ps(r[b] + i);
        if (ahead) {
          for (int b = 0; b < 4; ++b) _mm_prefetch(reinterpret_cast<const char*>(r[b] + i + next_block), _MM_HINT_T0);
        }
        for (int a = 0; a < 4; ++a) {
          const __m512 qv = _mm512_loadu_ps(q[a] + i);
          for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_fmadd_ps(qv, rv[b], acc[a][b]);
        }
      }
      if (m) {
        __m512 rv[4];
        for (int b = 0; b < 4; ++b) rv[b] = _mm512_maskz_loadu_ps(m, r[b] + dv);
        for (int a = 0; a < 4; ++a) {
          const __m512 qv = _mm512_maskz_loadu_ps(m, q[a] + dv);
          for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_fmadd_ps(qv, rv[b], acc[a][b]);
        }
      }
      for (int a = 0; a < 4; ++a) {
        _mm_storeu_ps(out + (qi + a) * n + j, reduce4(acc[a][0], acc[a][1], acc[a][2], acc[a][3]));
      }
    }
    for (; j < n; ++j) {  // one row, four queries
      const float* r0 = rows + j * d;
      __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
      for (size_t i = 0; i < dv; i += 16) {
        const __m512 rv = _mm512_loadu_ps(r0 + i);
        for (int a = 0; a < 4; ++a) acc[a] = _mm512_fmadd_ps(_mm512_loadu_ps(q[a] + i), rv, acc[a]);
      }
      if (m) {
        const __m512 rv = _mm512_maskz_loadu_ps(m, r0 + dv);
        for (int a = 0; a < 4; ++a) acc[a] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q[a] + dv), rv, acc[a]);
      }
      alignas(16) float s[4];
      _mm_store_ps(s, reduce4(acc[0], acc[1], acc[2], acc[3]));
      for (int a = 0; a < 4; ++a) out[(qi + a) * n + j] = s[a];
    }
  }
  for (; qi < nq; ++qi) dot_many_f32_avx512(queries + qi * d, rows, n, d, out + qi * n);
}

float sum_f32_avx512(const float* x, size_t n) {
  // Two accumulators in 128-byte steps, like Row::dot's loop (four measured a few % slower).
  __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = _mm512_add_ps(a, _mm512_loadu_ps(x + i));
    b = _mm512_add_ps(b, _mm512_loadu_ps(x + i + 16));
  }
  if (i + 16 <= n) {
    a = _mm512_add_ps(a, _mm512_loadu_ps(x + i));
    i += 16;
  }
  if (i < n) b = _mm512_add_ps(b, _mm512_maskz_loadu_ps(tail_mask(n - i), x + i));
  return hsum(_mm512_add_ps(a, b));
}

}  // namespace faceedge::kernels
