// Kernel tables, filled best-first with fallback. Each op lists its kernels from the best ISA to
// the serial reference; a level's table takes, per op, the first kernel whose ISA is at or below
// that level and available on this CPU. Adding an ISA is one line per op here.
#include "search/dispatch.h"

#include <algorithm>
#include <array>
#include <vector>

#include "faceedge/error.h"
#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

struct F32Kernels {
  SimdLevel level;
  DotManyF32 many;
  DotBatchF32 batch;
  SumF32 sum;
};
struct I8Kernels {
  SimdLevel level;
  DotTilesI8 tiles;
};

// Best first. Levels of one architecture are ordered, so "at or below" is a comparison.
const F32Kernels kF32[] = {
#if defined(__x86_64__) || defined(__i386__)
    {SimdLevel::kAvx512, dot_many_f32_avx512, dot_batch_f32_avx512, sum_f32_avx512},
    {SimdLevel::kAvx2, dot_many_f32_avx2, dot_batch_f32_avx2, sum_f32_avx2},
    {SimdLevel::kSse, dot_many_f32_sse, dot_batch_f32_sse, sum_f32_sse},
#endif
#if defined(__aarch64__)
    {SimdLevel::kNeon, dot_many_f32_neon, dot_batch_f32_neon, sum_f32_neon},
#endif
    {SimdLevel::kSerial, dot_many_f32_serial, dot_batch_f32_serial, sum_f32_serial},
};

const I8Kernels kI8[] = {
#if defined(__x86_64__) || defined(__i386__)
    {SimdLevel::kAvx512Vnni, dot_tiles_i8_avx512vnni},
    {SimdLevel::kAvx512, dot_tiles_i8_avx512},
    {SimdLevel::kAvx2, dot_tiles_i8_avx2},
    {SimdLevel::kSse, dot_tiles_i8_sse},
#endif
#if defined(__aarch64__)
    {SimdLevel::kNeonDotprod, dot_tiles_i8_neondotprod},
    {SimdLevel::kNeon, dot_tiles_i8_neon},
#endif
    {SimdLevel::kSerial, dot_tiles_i8_serial},
};

bool available(SimdLevel level) {
  const std::vector<SimdLevel> have = available_simd_levels();
  return std::find(have.begin(), have.end(), level) != have.end();
}

template <typename Entry, size_t N>
const Entry& best(const Entry (&list)[N], SimdLevel level) {
  for (const Entry& e : list) {
    if (static_cast<int>(e.level) <= static_cast<int>(level) && available(e.level)) return e;
  }
  return list[N - 1];  // serial, always there
}

KernelTable make_table(SimdLevel level) {
  KernelTable t;
  t.level = level;
  const F32Kernels& f = best(kF32, level);
  t.dot_many_f32 = f.many;
  t.dot_batch_f32 = f.batch;
  t.sum_f32 = f.sum;
  t.f32_level = f.level;
  const I8Kernels& i = best(kI8, level);
  t.dot_tiles_i8 = i.tiles;
  t.i8_level = i.level;
  return t;
}

constexpr size_t kMaxLevels = 16;

struct Tables {
  std::array<KernelTable, kMaxLevels> by_slot;
  std::array<SimdLevel, kMaxLevels> levels;
  size_t count = 0;
};

const Tables& tables() {
  static const Tables cached = [] {
    Tables t;
    for (SimdLevel l : available_simd_levels()) {
      if (t.count == kMaxLevels) break;
      t.levels[t.count] = l;
      t.by_slot[t.count] = make_table(l);
      ++t.count;
    }
    return t;
  }();
  return cached;
}

}  // namespace

const KernelTable& kernel_table(SimdLevel level) {
  const Tables& t = tables();
  for (size_t i = 0; i < t.count; ++i) {
    if (t.levels[i] == level) return t.by_slot[i];
  }
  throw Error(ErrorCode::kInvalidArgument,
              "no kernels for SIMD level '" + simd_level_name(level) + "' on this CPU");
}

const KernelTable& active_kernel_table() { return kernel_table(active_simd_level()); }

}  // namespace faceedge::kernels
