// Illumination: the mean luma of the face box, in [0, 255] (Baidu's definition: "the lighting of
// the face region, 0..255"; its recommended minimum is 40).
//
// How: Y = 0.299 R + 0.587 G + 0.114 B (BT.601, see quality.h) averaged over the pixels whose
// centre (i + 0.5, j + 0.5) lies inside the box clipped to the image. The sum is kept in
// integers (weights out of 1000), so the figure is exact and independent of summation order.
// A box that covers no pixel centre (entirely outside the image, or thinner than a pixel
// between two centres) reads 0: no light was seen on the face.
//
// What it is not: a contrast or exposure-quality figure. A face against a bright window reads
// its own (dark) luma; that is the point, as the background is outside the box.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "quality/quality.h"

namespace faceedge::quality {
namespace {

// The first index whose pixel centre (i + 0.5) is >= edge, clamped to [0, length].
int first_centre_at_or_after(float edge, int length) {
  const double i = std::ceil(static_cast<double>(edge) - 0.5);
  return static_cast<int>(std::min<double>(length, std::max(0.0, i)));
}

}  // namespace

float illumination(const ImageView& image, const Box& box) {
  const int x0 = first_centre_at_or_after(box.x, image.width);
  const int x1 = first_centre_at_or_after(box.x + box.width, image.width);
  const int y0 = first_centre_at_or_after(box.y, image.height);
  const int y1 = first_centre_at_or_after(box.y + box.height, image.height);
  if (x1 <= x0 || y1 <= y0) return 0.f;
  uint64_t sum = 0;
  for (int y = y0; y < y1; ++y) {
    const uint8_t* p = image.data + y * image.stride + 3 * x0;
    for (int x = x0; x < x1; ++x, p += 3) {
      sum += static_cast<uint32_t>(kLumaB * p[0] + kLumaG * p[1] + kLumaR * p[2]);
    }
  }
  const double count = static_cast<double>(x1 - x0) * (y1 - y0);
  return static_cast<float>(static_cast<double>(sum) / (count * kLumaDivisor));
}

}  // namespace faceedge::quality
