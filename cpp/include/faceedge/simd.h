#pragma once
#include <string>
#include <vector>

namespace faceedge {

// Ordered within one architecture: a level implies every lower level of the same family.
// x86: serial < sse (SSE4.1) < avx2 (AVX2+FMA+F16C) < avx512 (F/BW/DQ/VL) < avx512vnni (+VNNI).
// aarch64: serial < neon (ASIMD) < neondotprod (+ASIMDDP: sdot/udot).
enum class SimdLevel : int {
  kSerial = 0,
  kSse = 1,
  kAvx2 = 2,
  kAvx512 = 3,
  kAvx512Vnni = 4,
  kNeon = 10,
  kNeonDotprod = 11,
};

// Detected once (CPUID + XGETBV on x86, hwcaps on aarch64); FACEEDGE_SIMD caps it.
SimdLevel detected_simd_level();
std::vector<SimdLevel> available_simd_levels();
std::string simd_level_name(SimdLevel level);
// "avx2" -> kAvx2. Error(kInvalidArgument) for a name that is not one of available_simd_levels().
SimdLevel available_simd_level_from_name(const std::string& name);

// The level new kernel tables (and so new galleries) use: detected_simd_level(), unless
// set_simd_level_override chose another available level. For tests and benchmarks.
SimdLevel active_simd_level();
void set_simd_level_override(SimdLevel level);  // Error(kInvalidArgument) if not available
void clear_simd_level_override();

}  // namespace faceedge
