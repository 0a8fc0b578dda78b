#pragma once
// The measures behind faceedge::face_quality, one file each. Each takes a validated box (finite,
// width and height > 0) in original-image pixels; completeness also reads the landmarks.
#include <cstdint>

#include "faceedge/quality.h"
#include "faceedge/types.h"

namespace faceedge::quality {

// ITU-R BT.601 luma, as Baidu defines illumination: Y = 0.299 R + 0.587 G + 0.114 B, on 0..255.
// Integer weights out of 1000, so the illumination sum stays exact.
constexpr int kLumaR = 299;
constexpr int kLumaG = 587;
constexpr int kLumaB = 114;
constexpr int kLumaDivisor = 1000;

inline float luma(const uint8_t* bgr) {
  return (kLumaB * bgr[0] + kLumaG * bgr[1] + kLumaR * bgr[2]) * (1.f / kLumaDivisor);
}

float blur(const ImageView& image, const Box& box);          // blur.cpp
float illumination(const ImageView& image, const Box& box);  // illumination.cpp
int completeness(const ImageView& image, const Box& box,     // completeness.cpp
                 const Landmarks5& landmarks);

}  // namespace faceedge::quality
