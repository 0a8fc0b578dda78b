// int8 kernel for aarch64 NEON with the dotprod extension (compiled with
// -march=armv8.2-a+dotprod; chosen only when getauxval(AT_HWCAP) has HWCAP_ASIMDDP).
// Layout: tile16 (kernels.h): one 64-byte group is the next four dims of 16 rows.
// Instructions: ld1r repeats four query bytes across a vector, sdot (vdotq_s32) multiplies 16
// signed byte pairs and adds each group of four into an int32 lane: with the tile layout each lane
// is one row, so four sdot advance 16 rows by four dims and no reduction is needed at the end.
// Accumulates: up to 4 queries x one tile, four int32x4 accumulators per query; exact while the
// true sum fits in int32 (d <= 131072).
// Tails: none inside (d % 4 == 0, whole tiles); leftover queries one at a time.
#include <arm_neon.h>

#include <cstring>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

template <int NQ>
inline void block(const int8_t* const* q, const int8_t* tile, size_t d, int32_t* const* out) {
  int32x4_t acc[NQ][4];
  for (int a = 0; a < NQ; ++a)
    for (int c = 0; c < 4; ++c) acc[a][c] = vdupq_n_s32(0);
  for (size_t g = 0; g < d / kTileGroup; ++g) {
    int8x16_t rv[4];
    for (int c = 0; c < 4; ++c) rv[c] = vld1q_s8(tile + g * 64 + c * 16);
    for (int a = 0; a < NQ; ++a) {
      int32_t v;
      std::memcpy(&v, q[a] + g * kTileGroup, sizeof v);
      const int8x16_t qp = vreinterpretq_s8_s32(vdupq_n_s32(v));
      for (int c = 0; c < 4; ++c) acc[a][c] = vdotq_s32(acc[a][c], rv[c], qp);
    }
  }
  for (int a = 0; a < NQ; ++a)
    for (int c = 0; c < 4; ++c) vst1q_s32(out[a] + 4 * c, acc[a][c]);
}

}  // namespace

void dot_tiles_i8_neondotprod(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                              size_t d, int32_t* out) {
  const size_t row_stride = ntiles * kTileRows;
  size_t qi = 0;
  for (; qi + 4 <= nq; qi += 4) {
    for (size_t t = 0; t < ntiles; ++t) {
      const int8_t* q[4];
      int32_t* o[4];
      for (int a = 0; a < 4; ++a) {
        q[a] = queries + (qi + a) * d;
        o[a] = out + (qi + a) * row_stride + t * kTileRows;
      }
      block<4>(q, tiles + t * kTileRows * d, d, o);
    }
  }
  for (; qi < nq; ++qi) {
    for (size_t t = 0; t < ntiles; ++t) {
      const int8_t* q[1] = {queries + qi * d};
      int32_t* o[1] = {out + qi * row_stride + t * kTileRows};
      block<1>(q, tiles + t * kTileRows * d, d, o);
    }
  }
}

}  // namespace faceedge::kernels
