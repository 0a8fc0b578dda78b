// int8 kernel for the avx512 bundle (F/BW/DQ/VL, no VNNI; compiled with -mavx512f -mavx512bw
// -mavx512dq -mavx512vl).
// Layout: tile16 (kernels.h): one 64-byte group is the next four dims of 16 rows.
// Instructions: vpmovsxbw zmm (BW) sign-extends 32 row bytes (8 rows x 4 dims) to int16,
// vpbroadcastq repeats the four query values (widened to int16 once per call) in every 64-bit
// lane, vpmaddwd multiplies and adds adjacent pairs into int32 (exact for every int8 including
// -128: |product| <= 2^14), vpaddd. Each accumulator lane pair (2i, 2i+1) holds row i's two
// partial sums; at the end vpsrlq + vpaddd add the pair and vpmovqd narrows to 8 row sums.
// Accumulates: register block of up to 4 queries x 2 tiles, two zmm per (query, tile); exact while
// the true sum fits in int32 (d <= 131072).
// Tails: none inside (d % 4 == 0, whole tiles); leftover queries and tiles take smaller blocks.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the unused merge source, which its own
// -Wuninitialized flags at every inlined use (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <cstring>
#include <vector>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

inline __m512i pattern(const int16_t* q4) {
  int64_t v;
  std::memcpy(&v, q4, sizeof v);
  return _mm512_set1_epi64(v);
}

inline __m256i row_sums(__m512i acc) {
  return _mm512_cvtepi64_epi32(_mm512_add_epi32(acc, _mm512_srli_epi64(acc, 32)));
}

template <int NQ, int NT>
inline void block(const int16_t* const* q, const int8_t* tiles, size_t d, int32_t* const* out) {
  const size_t tile_bytes = kTileRows * d;
  __m512i lo[NQ][NT], hi[NQ][NT];
  for (int a = 0; a < NQ; ++a)
    for (int t = 0; t < NT; ++t) lo[a][t] = hi[a][t] = _mm512_setzero_si512();
  for (size_t g = 0; g < d / kTileGroup; ++g) {
    __m512i rl[NT], rh[NT];
    for (int t = 0; t < NT; ++t) {
      const int8_t* p = tiles + t * tile_bytes + g * 64;
      rl[t] = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
      rh[t] = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)));
    }
    for (int a = 0; a < NQ; ++a) {
      const __m512i qp = pattern(q[a] + g * kTileGroup);
      for (int t = 0; t < NT; ++t) {
        lo[a][t] = _mm512_add_epi32(lo[a][t], _mm512_madd_epi16(rl[t], qp));
        hi[a][t] = _mm512_add_epi32(hi[a][t], _mm512_madd_epi16(rh[t], qp));
      }
    }
  }
  for (int a = 0; a < NQ; ++a) {
    for (int t = 0; t < NT; ++t) {
      int32_t* o = out[a] + t * kTileRows;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), row_sums(lo[a][t]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 8), row_sums(hi[a][t]));
    }
  }
}

template <int NQ>
void query_block(const int16_t* wide, size_t qi, const int8_t* tiles, size_t ntiles, size_t d,
                 int32_t* out) {
  const int16_t* q[NQ];
  int32_t* o[NQ];
  size_t t = 0;
  for (; t < ntiles; t += (t + 2 <= ntiles ? 2 : 1)) {
    for (int a = 0; a < NQ; ++a) {
      q[a] = wide + (qi + a) * d;
      o[a] = out + (qi + a) * ntiles * kTileRows + t * kTileRows;
    }
    if (t + 2 <= ntiles) {
      block<NQ, 2>(q, tiles + t * kTileRows * d, d, o);
    } else {
      block<NQ, 1>(q, tiles + t * kTileRows * d, d, o);
    }
  }
}

}  // namespace

void dot_tiles_i8_avx512(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                         size_t d, int32_t* out) {
  std::vector<int16_t> wide(queries, queries + nq * d);
  size_t qi = 0;
  for (; qi + 4 <= nq; qi += 4) query_block<4>(wide.data(), qi, tiles, ntiles, d, out);
  switch (nq - qi) {
    case 3: query_block<3>(wide.data(), qi, tiles, ntiles, d, out); break;
    case 2: query_block<2>(wide.data(), qi, tiles, ntiles, d, out); break;
    case 1: query_block<1>(wide.data(), qi, tiles, ntiles, d, out); break;
    default: break;
  }
}

}  // namespace faceedge::kernels
