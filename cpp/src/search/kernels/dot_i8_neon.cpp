// int8 kernel for aarch64 NEON without dotprod (ASIMD baseline: no extra compile flags).
// Layout: tile16 (kernels.h): one 64-byte group is the next four dims of 16 rows.
// Instructions: ld1r repeats four query bytes across a vector, smull / smull2 (vmull_s8,
// vmull_high_s8) multiply 2 rows x 4 dims into int16 (exact: |product| <= 2^14, so -128 is fine),
// sadalp (vpadalq_s16) adds adjacent products into int32 partial sums (two per row), addp
// (vpaddq_s32) at the end gives one sum per row.
// Accumulates: one query x one tile, eight int32x4 accumulators (two rows each); exact while the
// true sum fits in int32 (d <= 131072).
// Tails: none inside (d % 4 == 0, whole tiles).
#include <arm_neon.h>

#include <cstring>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {

void dot_tiles_i8_neon(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                       size_t d, int32_t* out) {
  for (size_t qi = 0; qi < nq; ++qi) {
    const int8_t* q = queries + qi * d;
    for (size_t t = 0; t < ntiles; ++t) {
      const int8_t* tile = tiles + t * kTileRows * d;
      int32x4_t acc[8];
      for (int c = 0; c < 8; ++c) acc[c] = vdupq_n_s32(0);
      for (size_t g = 0; g < d / kTileGroup; ++g) {
        int32_t v;
        std::memcpy(&v, q + g * kTileGroup, sizeof v);
        const int8x16_t qp = vreinterpretq_s8_s32(vdupq_n_s32(v));
        for (int c = 0; c < 4; ++c) {
          const int8x16_t rv = vld1q_s8(tile + g * 64 + c * 16);  // rows 4c .. 4c+3
          acc[2 * c] = vpadalq_s16(acc[2 * c], vmull_s8(vget_low_s8(rv), vget_low_s8(qp)));
          acc[2 * c + 1] = vpadalq_s16(acc[2 * c + 1], vmull_high_s8(rv, qp));
        }
      }
      int32_t* o = out + qi * ntiles * kTileRows + t * kTileRows;
      for (int c = 0; c < 4; ++c) vst1q_s32(o + 4 * c, vpaddq_s32(acc[2 * c], acc[2 * c + 1]));
    }
  }
}

}  // namespace faceedge::kernels
