// int8 kernel for SSE4.1 (compiled with -msse4.1).
// Layout: tile16 (kernels.h): one 64-byte group is the next four dims of 16 rows.
// Instructions: pmovsxbw (SSE4.1) sign-extends 8 row bytes (2 rows x 4 dims) to int16, the four
// query values (widened to int16 once per call) repeated twice, pmaddwd multiplies and adds
// adjacent pairs into int32 (exact: |product| <= 2^14), paddd; at the end phaddd (SSSE3) adds
// each row's two partial sums.
// Accumulates: one query x one tile, eight xmm accumulators (two rows each); exact while the true
// sum fits in int32 (d <= 131072).
// Tails: none inside (d % 4 == 0, whole tiles).
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {

void dot_tiles_i8_sse(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                      size_t d, int32_t* out) {
  std::vector<int16_t> wide(queries, queries + nq * d);
  for (size_t qi = 0; qi < nq; ++qi) {
    const int16_t* q = wide.data() + qi * d;
    for (size_t t = 0; t < ntiles; ++t) {
      const int8_t* tile = tiles + t * kTileRows * d;
      __m128i acc[8];
      for (int c = 0; c < 8; ++c) acc[c] = _mm_setzero_si128();
      for (size_t g = 0; g < d / kTileGroup; ++g) {
        int64_t v;
        std::memcpy(&v, q + g * kTileGroup, sizeof v);
        const __m128i qp = _mm_set1_epi64x(v);
        for (int c = 0; c < 8; ++c) {
          const __m128i rv = _mm_cvtepi8_epi16(
              _mm_loadl_epi64(reinterpret_cast<const __m128i*>(tile + g * 64 + c * 8)));
          acc[c] = _mm_add_epi32(acc[c], _mm_madd_epi16(rv, qp));
        }
      }
      int32_t* o = out + qi * ntiles * kTileRows + t * kTileRows;
      for (int c = 0; c < 8; c += 2) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 2 * c), _mm_hadd_epi32(acc[c], acc[c + 1]));
      }
    }
  }
}

}  // namespace faceedge::kernels
