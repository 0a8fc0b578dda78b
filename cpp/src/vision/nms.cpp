#include "vision/nms.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "faceedge/error.h"

namespace faceedge {

float box_iou(const Box& a, const Box& b) {
  const float left = std::max(a.x, b.x);
  const float top = std::max(a.y, b.y);
  const float right = std::min(a.x + a.width, b.x + b.width);
  const float bottom = std::min(a.y + a.height, b.y + b.height);
  const float inter = std::max(0.f, right - left) * std::max(0.f, bottom - top);
  const float uni = a.area() + b.area() - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

std::vector<size_t> nms(const std::vector<Box>& boxes, const std::vector<float>& scores,
                        float iou_threshold, size_t top_k) {
  if (boxes.size() != scores.size()) {
    throw Error(ErrorCode::kInternal, "nms: " + std::to_string(boxes.size()) + " boxes but " +
                                          std::to_string(scores.size()) + " scores");
  }
  std::vector<size_t> order(boxes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&scores](size_t i, size_t j) { return scores[i] > scores[j]; });
  if (top_k > 0 && order.size() > top_k) order.resize(top_k);

  std::vector<size_t> kept;
  for (size_t candidate : order) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](size_t k) {
      return box_iou(boxes[candidate], boxes[k]) > iou_threshold;
    });
    if (!overlaps) kept.push_back(candidate);
  }
  return kept;
}

}  // namespace faceedge
