// int8 kernel for avx512vnni (the avx512 bundle plus AVX512_VNNI; compiled with -mavx512f
// -mavx512bw -mavx512dq -mavx512vl -mavx512vnni; chosen only when CPUID reports VNNI).
// Layout: tile16 (kernels.h): one 64-byte load is the next four dims of 16 rows.
// Instructions: vpdpbusd zmm multiplies 64 unsigned x signed byte pairs and adds each group of
// four products into an int32 lane without saturation, vpbroadcastd puts four query bytes in every
// lane, vpxord flips the row bytes' sign bits, vpsubd applies the correction. No shuffles at all.
// Signed x signed from unsigned x signed: a row byte r becomes u = r ^ 0x80 = r + 128 (as uint8),
// so sum(u*q) = sum(r*q) + 128*sum(q); sum(q) is computed once per query and subtracted at the end.
// Exact for every int8 input (including -128) while the true sum fits in int32 (d <= 131072): the
// int32 lanes may wrap midway, and two's complement wrap-around cancels exactly.
// Accumulates: register block of up to 4 queries x 4 tiles (64 rows) = 16 zmm accumulators; each
// flipped row load feeds up to four vpdpbusd, each query broadcast four. Lane i of an accumulator
// is row i of its tile, so a finished block is 16 plain stores.
// Tails: none inside (d % 4 == 0, whole tiles); leftover queries and tiles take smaller blocks.
// Streaming: the first query block prefetches 4 KiB ahead (the rows come from memory then; later
// query blocks of the same call find them in cache).
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as the unused merge source, which its own
// -Wuninitialized flags at every inlined use (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <cstring>

#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

constexpr size_t kPrefetchBytes = 4096;

// 128 * sum(q), in wrap-around (unsigned) arithmetic, like the vector lanes.
inline int32_t bias_correction(const int8_t* q, size_t d) {
  uint32_t s = 0;
  for (size_t i = 0; i < d; ++i) s += static_cast<uint32_t>(static_cast<int32_t>(q[i]));
  return static_cast<int32_t>(s * 128u);
}

inline __m512i broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(v);
}

template <int NQ, int NT>
inline void block(const int8_t* const* q, const int32_t* correction, const int8_t* tiles,
                  size_t d, int32_t* const* out, bool prefetch) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const size_t tile_bytes = kTileRows * d;
  __m512i acc[NQ][NT];
  for (int a = 0; a < NQ; ++a)
    for (int t = 0; t < NT; ++t) acc[a][t] = _mm512_setzero_si512();
  const size_t groups = d / kTileGroup;
  for (size_t g = 0; g < groups; ++g) {
    __m512i rv[NT];
    for (int t = 0; t < NT; ++t) {
      const int8_t* p = tiles + t * tile_bytes + g * 64;
      if (prefetch) _mm_prefetch(reinterpret_cast<const char*>(p) + kPrefetchBytes, _MM_HINT_T0);
      rv[t] = _mm512_xor_si512(_mm512_loadu_si512(p), flip);
    }
    for (int a = 0; a < NQ; ++a) {
      const __m512i qb = broadcast4(q[a] + g * kTileGroup);
      for (int t = 0; t < NT; ++t) acc[a][t] = _mm512_dpbusd_epi32(acc[a][t], rv[t], qb);
    }
  }
  for (int a = 0; a < NQ; ++a) {
    const __m512i c = _mm512_set1_epi32(correction[a]);
    for (int t = 0; t < NT; ++t) {
      _mm512_storeu_si512(out[a] + t * kTileRows, _mm512_sub_epi32(acc[a][t], c));
    }
  }
}

template <int NQ>
void query_block(const int8_t* queries, size_t qi, const int32_t* correction, const int8_t* tiles,
                 size_t ntiles, size_t d, int32_t* out, bool prefetch) {
  const int8_t* q[NQ];
  int32_t* o[NQ];
  const size_t row_stride = ntiles * kTileRows;
  size_t t = 0;
  for (; t + 4 <= ntiles; t += 4) {
    for (int a = 0; a < NQ; ++a) {
      q[a] = queries + (qi + a) * d;
      o[a] = out + (qi + a) * row_stride + t * kTileRows;
    }
    block<NQ, 4>(q, correction + qi, tiles + t * kTileRows * d, d, o, prefetch);
  }
  for (; t < ntiles; ++t) {
    for (int a = 0; a < NQ; ++a) {
      q[a] = queries + (qi + a) * d;
      o[a] = out + (qi + a) * row_stride + t * kTileRows;
    }
    block<NQ, 1>(q, correction + qi, tiles + t * kTileRows * d, d, o, prefetch);
  }
}

}  // namespace

void dot_tiles_i8_avx512vnni(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                             size_t d, int32_t* out) {
  constexpr size_t kStackQueries = 64;
  int32_t stack[kStackQueries];
  int32_t* correction = stack;
  int32_t* heap = nullptr;
  if (nq > kStackQueries) correction = heap = new int32_t[nq];
  for (size_t i = 0; i < nq; ++i) correction[i] = bias_correction(queries + i * d, d);
  size_t qi = 0;
  for (; qi + 4 <= nq; qi += 4) query_block<4>(queries, qi, correction, tiles, ntiles, d, out, qi == 0);
  const bool first = qi == 0;
  switch (nq - qi) {
    case 3: query_block<3>(queries, qi, correction, tiles, ntiles, d, out, first); break;
    case 2: query_block<2>(queries, qi, correction, tiles, ntiles, d, out, first); break;
    case 1: query_block<1>(queries, qi, correction, tiles, ntiles, d, out, first); break;
    default: break;
  }
  delete[] heap;
}

}  // namespace faceedge::kernels
