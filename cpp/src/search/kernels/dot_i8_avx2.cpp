// int8 kernel for the avx2 bundle (compiled with -mavx2 -mfma -mf16c).
// Layout: tile16 (kernels.h): one 64-byte group is the next four dims of 16 rows.
// Instructions: vpmovsxbw ymm sign-extends 16 row bytes (4 rows x 4 dims) to int16, vpbroadcastq
// repeats the four query values (widened to int16 once per call), vpmaddwd multiplies and adds
// adjacent pairs into int32 (exact for every int8 including -128, unlike the vpmaddubsw trick,
// which needs |a| as uint8 and saturates int16 pair sums), vpaddd; at the end vphaddd adds each
// row's two partial sums and vpermq puts the rows in order.
// Accumulates: up to 2 queries x 1 tile, four ymm per (query, tile) (rows 0-3, 4-7, 8-11,
// 12-15); exact while the true sum fits in int32 (d <= 131072).
// Tails: none inside (d % 4 == 0, whole tiles); a leftover query takes a smaller block.
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

inline __m256i pattern(const int16_t* q4) {
  int64_t v;
  std::memcpy(&v, q4, sizeof v);
  return _mm256_set1_epi64x(v);
}

// acc0: rows 0-3, acc1: rows 4-7, each row as two partial sums -> rows 0-7 in order.
inline __m256i eight_rows(__m256i acc0, __m256i acc1) {
  return _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc0, acc1), 0xD8);
}

template <int NQ>
inline void block(const int16_t* const* q, const int8_t* tile, size_t d, int32_t* const* out) {
  __m256i acc[NQ][4];
  for (int a = 0; a < NQ; ++a)
    for (int c = 0; c < 4; ++c) acc[a][c] = _mm256_setzero_si256();
  for (size_t g = 0; g < d / kTileGroup; ++g) {
    __m256i qp[NQ];
    for (int a = 0; a < NQ; ++a) qp[a] = pattern(q[a] + g * kTileGroup);
    for (int c = 0; c < 4; ++c) {
      const __m256i rv = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(tile + g * 64 + c * 16)));
      for (int a = 0; a < NQ; ++a) acc[a][c] = _mm256_add_epi32(acc[a][c], _mm256_madd_epi16(rv, qp[a]));
    }
  }
  for (int a = 0; a < NQ; ++a) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[a]), eight_rows(acc[a][0], acc[a][1]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[a] + 8), eight_rows(acc[a][2], acc[a][3]));
  }
}

}  // namespace

void dot_tiles_i8_avx2(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                       size_t d, int32_t* out) {
  std::vector<int16_t> wide(queries, queries + nq * d);
  const size_t row_stride = ntiles * kTileRows;
  for (size_t qi = 0; qi < nq; qi += 2) {
    for (size_t t = 0; t < ntiles; ++t) {
      const int8_t* tile = tiles + t * kTileRows * d;
      if (qi + 2 <= nq) {
        const int16_t* q[2] = {wide.data() + qi * d, wide.data() + (qi + 1) * d};
        int32_t* o[2] = {out + qi * row_stride + t * kTileRows, out + (qi + 1) * row_stride + t * kTileRows};
        block<2>(q, tile, d, o);
      } else {
        const int16_t* q[1] = {wide.data() + qi * d};
        int32_t* o[1] = {out + qi * row_stride + t * kTileRows};
        block<1>(q, tile, d, o);
      }
    }
  }
}

}  // namespace faceedge::kernels
