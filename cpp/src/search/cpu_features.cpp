// Which SIMD instruction sets this CPU and OS let us use, found once at first call.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "faceedge/simd.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace faceedge {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// XCR0 tells which register states the OS saves on context switch; CPUID alone is not enough.
unsigned long long read_xcr0() {
  unsigned int eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

std::vector<SimdLevel> probe() {
  std::vector<SimdLevel> levels{SimdLevel::kSerial};
  unsigned int a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return levels;
  const bool sse41 = c & bit_SSE4_1;
  const bool fma = c & bit_FMA;
  const bool f16c = c & bit_F16C;
  const bool osxsave = c & bit_OSXSAVE;
  if (sse41) levels.push_back(SimdLevel::kSse);
  if (!osxsave) return levels;
  const unsigned long long xcr0 = read_xcr0();
  const bool ymm_saved = (xcr0 & 0x6) == 0x6;
  const bool zmm_saved = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return levels;
  const bool avx2 = b & bit_AVX2;
  if (avx2 && fma && f16c && ymm_saved) levels.push_back(SimdLevel::kAvx2);
  const bool avx512 = (b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_AVX512DQ) && (b & bit_AVX512VL);
  if (avx512 && zmm_saved && avx2 && fma) levels.push_back(SimdLevel::kAvx512);
  return levels;
}
#elif defined(__aarch64__)
std::vector<SimdLevel> probe() { return {SimdLevel::kSerial, SimdLevel::kNeon}; }
#else
std::vector<SimdLevel> probe() { return {SimdLevel::kSerial}; }
#endif

const std::vector<SimdLevel>& levels() {
  static const std::vector<SimdLevel> cached = probe();
  return cached;
}

}  // namespace

std::vector<SimdLevel> available_simd_levels() { return levels(); }

std::string simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kSerial: return "serial";
    case SimdLevel::kSse: return "sse";
    case SimdLevel::kAvx2: return "avx2";
    case SimdLevel::kAvx512: return "avx512";
    case SimdLevel::kNeon: return "neon";
  }
  return "unknown";
}

SimdLevel detected_simd_level() {
  // FACEEDGE_SIMD caps the level (for tests and for comparing kernels); it never raises it.
  static const SimdLevel chosen = [] {
    const std::vector<SimdLevel>& have = levels();
    SimdLevel best = have.back();
    if (const char* forced = std::getenv("FACEEDGE_SIMD")) {
      for (SimdLevel l : have) {
        if (simd_level_name(l) == forced) return l;
      }
    }
    return best;
  }();
  return chosen;
}

}  // namespace faceedge
