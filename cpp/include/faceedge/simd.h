#pragma once
#include <string>
#include <vector>

namespace faceedge {

enum class SimdLevel : int { kSerial = 0, kSse = 1, kAvx2 = 2, kAvx512 = 3, kNeon = 10 };

// Detected once (CPUID + XGETBV on x86, hwcaps on aarch64); FACEEDGE_SIMD overrides it.
SimdLevel detected_simd_level();
std::vector<SimdLevel> available_simd_levels();
std::string simd_level_name(SimdLevel level);

}  // namespace faceedge
