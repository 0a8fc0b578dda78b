// The reference int8 kernel: plain C++, no intrinsics, compiled with -fno-tree-vectorize.
// Layout: tile16 (kernels.h). For each query and each row of each tile, the products of the d
// dims are widened to int32 and summed in one int32 in dim order 0..d-1 (exact).
// Tails: none; d is a multiple of 4 and tiles are whole (padding rows are scored like the others).
#include "search/kernels/kernels.h"

namespace faceedge::kernels {

void dot_tiles_i8_serial(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                         size_t d, int32_t* out) {
  const size_t groups = d / kTileGroup;
  for (size_t qi = 0; qi < nq; ++qi) {
    const int8_t* q = queries + qi * d;
    for (size_t t = 0; t < ntiles; ++t) {
      const int8_t* tile = tiles + t * kTileRows * d;
      for (size_t r = 0; r < kTileRows; ++r) {
        int32_t sum = 0;
        for (size_t g = 0; g < groups; ++g) {
          for (size_t b = 0; b < kTileGroup; ++b) {
            sum += static_cast<int32_t>(q[g * kTileGroup + b]) *
                   static_cast<int32_t>(tile[g * kTileRows * kTileGroup + r * kTileGroup + b]);
          }
        }
        out[qi * ntiles * kTileRows + t * kTileRows + r] = sum;
      }
    }
  }
}

}  // namespace faceedge::kernels
