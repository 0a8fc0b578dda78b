// Bilinear affine warp of a BGR image, arithmetic matched to cv::warpAffine(INTER_LINEAR,
// BORDER_CONSTANT, 0) as OpenCV 4.11+ computes it: the matrix is inverted in double, every
// destination pixel (x, y) maps back to an unquantised source position, and its four
// neighbours are blended with float weights; a neighbour outside the image counts as 0.
// (OpenCV before 4.11 rounded source positions to 1/32 pixel; crops then differ by up to a
// few grey levels on sharp edges.) The embedders were calibrated on OpenCV crops, so staying
// within a grey level of them matters more than speed.
#include <cmath>
#include <cstdint>
#include <string>

#include "faceedge/align.h"
#include "faceedge/error.h"
#include "vision/image_check.h"

namespace faceedge {
namespace {

// source = [a b c; d e f] * [x y 1]^T
struct InverseAffine {
  double a, b, c, d, e, f;
};

InverseAffine invert(const Affine2x3& m) {
  for (float v : m) {
    if (!std::isfinite(v)) {
      throw Error(ErrorCode::kInvalidArgument, "warp_affine: matrix is not finite");
    }
  }
  const double det = static_cast<double>(m[0]) * m[4] - static_cast<double>(m[1]) * m[3];
  if (!(std::abs(det) > 1e-12)) {
    throw Error(ErrorCode::kInvalidArgument, "warp_affine: matrix is singular");
  }
  const double a = m[4] / det, b = -m[1] / det;
  const double d = -m[3] / det, e = m[0] / det;
  return {a, b, -a * m[2] - b * m[5], d, e, -d * m[2] - e * m[5]};
}

// Blends the 2x2 neighbourhood at (x0, y0) into `out` (3 bytes); outside taps contribute 0.
void sample_bilinear(const ImageView& image, int x0, int y0, float wx, float wy, uint8_t* out) {
  const float weights[4] = {(1.f - wx) * (1.f - wy), wx * (1.f - wy), (1.f - wx) * wy, wx * wy};
  float acc[3] = {0.f, 0.f, 0.f};
  for (int k = 0; k < 4; ++k) {
    const int x = x0 + (k & 1);
    const int y = y0 + (k >> 1);
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
    const uint8_t* p = image.data + y * image.stride + 3 * x;
    for (int ch = 0; ch < 3; ++ch) acc[ch] += p[ch] * weights[k];
  }
  for (int ch = 0; ch < 3; ++ch) {
    const float v = acc[ch] + 0.5f;
    out[ch] = static_cast<uint8_t>(v >= 255.f ? 255 : static_cast<int>(v));
  }
}

}  // namespace

AlignedFace warp_affine_bgr(const ImageView& image, const Affine2x3& m, int size) {
  check_image_view(image, "warp_affine");
  if (size <= 0) {
    throw Error(ErrorCode::kInvalidArgument, "warp_affine: output size must be > 0, got " +
                                                 std::to_string(size));
  }
  const InverseAffine inv = invert(m);
  AlignedFace face;
  face.bgr.assign(static_cast<size_t>(size) * size * 3, 0);

  for (int y = 0; y < size; ++y) {
    uint8_t* row = face.bgr.data() + static_cast<size_t>(y) * size * 3;
    for (int x = 0; x < size; ++x) {
      const double sx = inv.a * x + inv.b * y + inv.c;
      const double sy = inv.d * x + inv.e * y + inv.f;
      // Fully outside (every tap out of the image): stays 0. Also keeps the ints in range.
      if (!(sx > -1.0 && sy > -1.0 && sx < image.width && sy < image.height)) continue;
      const double fx = std::floor(sx), fy = std::floor(sy);
      sample_bilinear(image, static_cast<int>(fx), static_cast<int>(fy),
                      static_cast<float>(sx - fx), static_cast<float>(sy - fy), row + 3 * x);
    }
  }
  return face;
}

AlignedFace align_face(const ImageView& image, const Landmarks5& landmarks) {
  return warp_affine_bgr(image, estimate_similarity(landmarks, kArcFaceTemplate112),
                         AlignedFace::kSize);
}

}  // namespace faceedge
