#pragma once
// One table of kernel pointers per SIMD level, each slot filled with the best kernel at or below
// that level (NumKong's find function). Tables are built once; a Gallery keeps the one that was
// active when it was made (usearch), so changing the level later never changes a live gallery.
#include <cstddef>
#include <cstdint>

#include "faceedge/simd.h"

namespace faceedge::kernels {

using DotManyF32 = void (*)(const float* q, const float* rows, size_t n, size_t d, float* out);
using DotBatchF32 = void (*)(const float* queries, size_t nq, const float* rows, size_t n,
                             size_t d, float* out);
using SumF32 = float (*)(const float* x, size_t n);
using DotTilesI8 = void (*)(const int8_t* queries, size_t nq, const int8_t* tiles, size_t ntiles,
                            size_t d, int32_t* out);

struct KernelTable {
  SimdLevel level = SimdLevel::kSerial;        // the level asked for
  DotManyF32 dot_many_f32 = nullptr;
  DotBatchF32 dot_batch_f32 = nullptr;
  SumF32 sum_f32 = nullptr;                    // the read-bandwidth yardstick (benchmarks)
  SimdLevel f32_level = SimdLevel::kSerial;    // the level of the f32 kernels chosen
  DotTilesI8 dot_tiles_i8 = nullptr;               // tile16 layout, see kernels/kernels.h
  SimdLevel i8_level = SimdLevel::kSerial;     // the level of the i8 kernels chosen
};

// The table for `level`, which must be one of available_simd_levels() (Error otherwise).
const KernelTable& kernel_table(SimdLevel level);
// The table for active_simd_level(): the detected level unless a test or benchmark overrode it.
const KernelTable& active_kernel_table();

}  // namespace faceedge::kernels
