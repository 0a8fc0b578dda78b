// Scene cuts from colour histograms: 8 levels per BGR channel (512 bins) over every 4th pixel
// of every 4th row, normalised to sum 1; the distance between consecutive frames is 1 minus
// their histogram intersection. A histogram ignores where things are, so a pan or a moving
// person barely changes it, while a cut to another shot replaces most of it at once.
#include "faceedge/scene_cut.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "faceedge/error.h"
#include "vision/image_check.h"

namespace faceedge {

SceneCutDetector::SceneCutDetector(float threshold) : threshold_(threshold) {
  if (!(threshold > 0.f && threshold <= 1.f)) {
    throw Error(ErrorCode::kInvalidArgument,
                "scene cut threshold must be in (0, 1], got " + std::to_string(threshold));
  }
}

bool SceneCutDetector::observe(const ImageView& frame) {
  check_image_view(frame, "scene cut");
  constexpr int kStep = 4;
  float hist[512] = {};
  int samples = 0;
  for (int y = 0; y < frame.height; y += kStep) {
    const uint8_t* row = frame.data + y * frame.stride;
    for (int x = 0; x < frame.width; x += kStep) {
      const uint8_t* px = row + 3 * x;
      hist[(px[0] >> 5) * 64 + (px[1] >> 5) * 8 + (px[2] >> 5)] += 1.f;
      ++samples;
    }
  }
  for (float& h : hist) h /= static_cast<float>(samples);
  bool cut = false;
  if (have_previous_) {
    float inter = 0.f;
    for (int i = 0; i < 512; ++i) inter += std::min(hist[i], previous_[i]);
    last_distance_ = std::max(0.f, 1.f - inter);
    cut = last_distance_ > threshold_;
  } else {
    last_distance_ = 0.f;
  }
  std::copy(hist, hist + 512, previous_);
  have_previous_ = true;
  return cut;
}

}  // namespace faceedge
