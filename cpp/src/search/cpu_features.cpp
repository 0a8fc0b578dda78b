// Which SIMD instruction sets this CPU and OS let us use, found once at first call.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "faceedge/error.h"
#include "faceedge/simd.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
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
  if (!sse41) return levels;
  levels.push_back(SimdLevel::kSse);
  if (!osxsave) return levels;
  const unsigned long long xcr0 = read_xcr0();
  const bool ymm_saved = (xcr0 & 0x6) == 0x6;
  const bool zmm_saved = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return levels;
  const bool avx2 = b & bit_AVX2;
  if (!(avx2 && fma && f16c && ymm_saved)) return levels;
  levels.push_back(SimdLevel::kAvx2);
  const bool avx512 = (b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_AVX512DQ) && (b & bit_AVX512VL);
  if (!(avx512 && zmm_saved)) return levels;
  levels.push_back(SimdLevel::kAvx512);
  const bool vnni = c & (1u << 11);  // CPUID.(7,0):ECX.AVX512_VNNI
  if (vnni) levels.push_back(SimdLevel::kAvx512Vnni);
  return levels;
}
#elif defined(__aarch64__)
std::vector<SimdLevel> probe() {
  std::vector<SimdLevel> levels{SimdLevel::kSerial, SimdLevel::kNeon};  // ASIMD is baseline
#if defined(__linux__)
  if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) levels.push_back(SimdLevel::kNeonDotprod);
#endif
  return levels;
}
#else
std::vector<SimdLevel> probe() { return {SimdLevel::kSerial}; }
#endif

const std::vector<SimdLevel>& levels() {
  static const std::vector<SimdLevel> cached = probe();
  return cached;
}

constexpr int kNoOverride = -1;
std::atomic<int> g_override{kNoOverride};

bool is_available(SimdLevel level) {
  const auto& have = levels();
  return std::find(have.begin(), have.end(), level) != have.end();
}

}  // namespace

std::vector<SimdLevel> available_simd_levels() { return levels(); }

std::string simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kSerial: return "serial";
    case SimdLevel::kSse: return "sse";
    case SimdLevel::kAvx2: return "avx2";
    case SimdLevel::kAvx512: return "avx512";
    case SimdLevel::kAvx512Vnni: return "avx512vnni";
    case SimdLevel::kNeon: return "neon";
    case SimdLevel::kNeonDotprod: return "neondotprod";
  }
  return "unknown";
}

SimdLevel available_simd_level_from_name(const std::string& name) {
  std::string known;
  for (SimdLevel l : levels()) {
    if (simd_level_name(l) == name) return l;
    known += (known.empty() ? "" : ", ") + simd_level_name(l);
  }
  throw Error(ErrorCode::kInvalidArgument,
              "SIMD level '" + name + "' is not available on this CPU (available: " + known + ")");
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

SimdLevel active_simd_level() {
  const int o = g_override.load(std::memory_order_acquire);
  return o == kNoOverride ? detected_simd_level() : static_cast<SimdLevel>(o);
}

void set_simd_level_override(SimdLevel level) {
  if (!is_available(level)) {
    throw Error(ErrorCode::kInvalidArgument,
                "SIMD level '" + simd_level_name(level) + "' is not available on this CPU");
  }
  g_override.store(static_cast<int>(level), std::memory_order_release);
}

void clear_simd_level_override() { g_override.store(kNoOverride, std::memory_order_release); }

}  // namespace faceedge
