// f32 kernels for aarch64 NEON (ASIMD is baseline on aarch64: no extra compile flags).
// Instructions: ld1 (vld1q_f32), fmla (vfmaq_f32), faddp (vpaddq_f32) to reduce.
// Accumulates: four rows at a time, one 4-lane float accumulator per row, lanes summed at the end.
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
  const size_t dv = d & ~size_t(3);
  const size_t r = d - dv;
  const float32x4_t qt = r ? load_tail(q + dv, r) : vdupq_n_f32(0.f);
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* r0 = rows + j * d;
    const float* r1 = r0 + d;
    const float* r2 = r1 + d;
    const float* r3 = r2 + d;
    float32x4_t a0 = vdupq_n_f32(0.f), a1 = vdupq_n_f32(0.f), a2 = vdupq_n_f32(0.f), a3 = vdupq_n_f32(0.f);
    for (size_t i = 0; i < dv; i += 4) {
      const float32x4_t qv = vld1q_f32(q + i);
      a0 = vfmaq_f32(a0, qv, vld1q_f32(r0 + i));
      a1 = vfmaq_f32(a1, qv, vld1q_f32(r1 + i));
      a2 = vfmaq_f32(a2, qv, vld1q_f32(r2 + i));
      a3 = vfmaq_f32(a3, qv, vld1q_f32(r3 + i));
    }
    if (r) {
      a0 = vfmaq_f32(a0, qt, load_tail(r0 + dv, r));
      a1 = vfmaq_f32(a1, qt, load_tail(r1 + dv, r));
      a2 = vfmaq_f32(a2, qt, load_tail(r2 + dv, r));
      a3 = vfmaq_f32(a3, qt, load_tail(r3 + dv, r));
    }
    vst1q_f32(out + j, vpaddq_f32(vpaddq_f32(a0, a1), vpaddq_f32(a2, a3)));
  }
  for (; j < n; ++j) {
    const float* r0 = rows + j * d;
    float32x4_t a0 = vdupq_n_f32(0.f);
    for (size_t i = 0; i < dv; i += 4) a0 = vfmaq_f32(a0, vld1q_f32(q + i), vld1q_f32(r0 + i));
    if (r) a0 = vfmaq_f32(a0, qt, load_tail(r0 + dv, r));
    out[j] = vaddvq_f32(a0);
  }
}

void dot_batch_f32_neon(const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                        float* out) {
  for (size_t i = 0; i < nq; ++i) dot_many_f32_neon(queries + i * d, rows, n, d, out + i * n);
}

}  // namespace faceedge::kernels
