// f32 kernels for aarch64 NEON (ASIMD is baseline on aarch64: no extra compile flags).
// Instructions: ld1 (vld1q_f32), fmla (vfmaq_f32), faddp (vpaddq_f32) to reduce.
// Accumulates: one row after the other, front to back (one ascending stream for the hardware
// prefetcher; see dot_f32_avx512.cpp), two 4-lane accumulators per row; four rows' sums are
// reduced together.
// Tails: the last d % 4 elements are copied into a zeroed 4-float buffer and go through the same
// fmla; rows left over from the groups of four one at a time.
// Batch: one query after another over the same rows (the gallery hands over blocks sized for L2).
#include <arm_neon.h>

#include <cstring>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

inline float32x4_t load_tail(const float* p, size_t r) {
  float buf[4] = {0.f, 0.f, 0.f, 0.f};
  std::memcpy(buf, p, r * sizeof(float));
  return vld1q_f32(buf);
}

}  // namespace

void dot_many_f32_neon(const float* q, const float* rows, size_t n, size_t d, float* out) {
  const size_t d8 = d & ~size_t(7);
  const size_t dv = d & ~size_t(3);
  const size_t r = d - dv;
  const float32x4_t qt = r ? load_tail(q + dv, r) : vdupq_n_f32(0.f);
  // One row front to back, two accumulators; the tail through a zeroed buffer.
  auto row_dot = [&](const float* row) {
    float32x4_t a = vdupq_n_f32(0.f), b = vdupq_n_f32(0.f);
    for (size_t i = 0; i < d8; i += 8) {
      a = vfmaq_f32(a, vld1q_f32(q + i), vld1q_f32(row + i));
      b = vfmaq_f32(b, vld1q_f32(q + i + 4), vld1q_f32(row + i + 4));
    }
    if (d8 != dv) a = vfmaq_f32(a, vld1q_f32(q + d8), vld1q_f32(row + d8));
    if (r) b = vfmaq_f32(b, qt, load_tail(row + dv, r));
    return vaddq_f32(a, b);
  };
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = rows + j * d;
    const float32x4_t a0 = row_dot(r0), a1 = row_dot(r0 + d), a2 = row_dot(r0 + 2 * d),
                      a3 = row_dot(r0 + 3 * d);
    vst1q_f32(out + j, vpaddq_f32(vpaddq_f32(a0, a1), vpaddq_f32(a2, a3)));
  }
  for (; j < n; ++j) out[j] = vaddvq_f32(row_dot(rows + j * d));
}

void dot_batch_f32_neon(const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                        float* out) {
  for (size_t i = 0; i < nq; ++i) dot_many_f32_neon(queries + i * d, rows, n, d, out + i * n);
}

float sum_f32_neon(const float* x, size_t n) {
  float32x4_t a = vdupq_n_f32(0.f), b = vdupq_n_f32(0.f), c = vdupq_n_f32(0.f), e = vdupq_n_f32(0.f);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a = vaddq_f32(a, vld1q_f32(x + i));
    b = vaddq_f32(b, vld1q_f32(x + i + 4));
    c = vaddq_f32(c, vld1q_f32(x + i + 8));
    e = vaddq_f32(e, vld1q_f32(x + i + 12));
  }
  for (; i + 4 <= n; i += 4) a = vaddq_f32(a, vld1q_f32(x + i));
  if (i < n) b = vaddq_f32(b, load_tail(x + i, n - i));
  return vaddvq_f32(vaddq_f32(vaddq_f32(a, b), vaddq_f32(c, e)));
}

}  // namespace faceedge::kernels
