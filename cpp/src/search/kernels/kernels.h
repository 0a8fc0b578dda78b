#pragma once
// Every inner-product kernel, named <op>_<dtype>_<isa>. Each ISA's kernels live in their own
// files with their own compile flags (CMakeLists.txt); only dispatch.cpp calls them, and only at a
// level the CPU has. Shapes, shared by all:
//   dot_many_*  one query (d) x n rows (n x d, contiguous)          -> out[n]
//   dot_batch_* nq queries (nq x d) x n rows (n x d), out row-major -> out[nq x n]
//   dot_tiles_i8 nq queries (nq x d) x ntiles tiles of 16 rows     -> out[nq x 16*ntiles]
//   sum_f32     the sum of n floats, read once front to back: not used by the search, it is the
//               read-bandwidth yardstick benchmarks put the f32 scan against (same bytes, same
//               access order, no multiply).
// int8 rows are stored in tiles ("tile16"): for each group of four dims g, the four bytes of
// each of 16 rows sit together, tile[g*64 + r*4 + b] = row r, dim 4g+b; d is a multiple of 4
// (callers pad with zeros; put_tile_row does it). One 64-byte load then holds 16 rows' next four
// dims, so a dot instruction against a broadcast of four query bytes advances 16 dot products at
// once and no horizontal sums are needed at the end.
// i8 kernels are exact for every int8 input (including -128) while the true sum fits in int32,
// i.e. d <= 131072.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace faceedge::kernels {

#define FACEEDGE_DECLARE_KERNELS(isa)                                                          \
  void dot_many_f32_##isa(const float* q, const float* rows, size_t n, size_t d, float* out);  \
  void dot_batch_f32_##isa(const float* queries, size_t nq, const float* rows, size_t n,       \
                           size_t d, float* out);                                              \
  void dot_tiles_i8_##isa(const int8_t* queries, size_t nq, const int8_t* tiles,              \
                          size_t ntiles, size_t d, int32_t* out);                      \
  float sum_f32_##isa(const float* x, size_t n);

FACEEDGE_DECLARE_KERNELS(serial)
#if defined(__x86_64__) || defined(__i386__)
FACEEDGE_DECLARE_KERNELS(sse)
FACEEDGE_DECLARE_KERNELS(avx2)
FACEEDGE_DECLARE_KERNELS(avx512)
// VNNI only changes the int8 kernels.
void dot_tiles_i8_avx512vnni(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                             size_t d, int32_t* out);
#endif
#if defined(__aarch64__)
FACEEDGE_DECLARE_KERNELS(neon)
// dotprod (sdot) only changes the int8 kernels.
void dot_tiles_i8_neondotprod(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                              size_t d, int32_t* out);
#endif

#undef FACEEDGE_DECLARE_KERNELS

constexpr size_t kTileRows = 16;
constexpr size_t kTileGroup = 4;  // dims per group

// Row r of a tiled store (tiles of d_padded dims, d_padded % 4 == 0) <- the d bytes of `row`,
// zeros past d. Reads: the inverse.
inline void put_tile_row(int8_t* tiles, size_t r, size_t d_padded, const int8_t* row, size_t d) {
  int8_t* tile = tiles + (r / kTileRows) * kTileRows * d_padded + (r % kTileRows) * kTileGroup;
  for (size_t g = 0; g < d_padded / kTileGroup; ++g) {
    int8_t* dst = tile + g * kTileRows * kTileGroup;
    const size_t k = g * kTileGroup;
    if (k + kTileGroup <= d) {
      std::memcpy(dst, row + k, kTileGroup);
    } else {
      for (size_t b = 0; b < kTileGroup; ++b) dst[b] = k + b < d ? row[k + b] : int8_t{0};
    }
  }
}
inline void get_tile_row(const int8_t* tiles, size_t r, size_t d_padded, int8_t* row) {
  const int8_t* tile = tiles + (r / kTileRows) * kTileRows * d_padded + (r % kTileRows) * kTileGroup;
  for (size_t g = 0; g < d_padded / kTileGroup; ++g) {
    std::memcpy(row + g * kTileGroup, tile + g * kTileRows * kTileGroup, kTileGroup);
  }
}

}  // namespace faceedge::kernels
