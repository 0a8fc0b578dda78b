// Association by overlap, as SORT does, with two extra gates a face allows: the box size may
// change only so much in one step, and the landmarks must sit in the box as they did. Greedy
// matching by IoU is enough here: faces at a gate rarely overlap, and when they do the better
// overlap is the right one far more often than an optimal assignment would change.
#include "tracking/association.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "vision/nms.h"  // box_iou

namespace faceedge {

float landmark_shift(const Box& box_a, const Landmarks5& a, const Box& box_b,
                     const Landmarks5& b) {
  float sum = 0.f;
  for (size_t k = 0; k < a.size(); ++k) {
    const float ax = (a[k].x - box_a.x) / std::max(1e-3f, box_a.width);
    const float ay = (a[k].y - box_a.y) / std::max(1e-3f, box_a.height);
    const float bx = (b[k].x - box_b.x) / std::max(1e-3f, box_b.width);
    const float by = (b[k].y - box_b.y) / std::max(1e-3f, box_b.height);
    sum += std::hypot(ax - bx, ay - by);
  }
  return sum / static_cast<float>(a.size());
}

std::vector<std::pair<size_t, size_t>> associate(const std::vector<Track>& tracks,
                                                 const std::vector<bool>& eligible,
                                                 const std::vector<Face>& detections,
                                                 const TrackerSettings& settings) {
  std::vector<std::tuple<float, size_t, size_t>> candidates;
  for (size_t t = 0; t < tracks.size(); ++t) {
    if (!eligible[t]) continue;
    const Track& track = tracks[t];
    const float size_t_ = std::sqrt(track.box.area());
    for (size_t d = 0; d < detections.size(); ++d) {
      const Face& det = detections[d];
      const float iou = box_iou(track.box, det.box);
      if (iou < settings.min_iou) continue;
      const float size_d = std::sqrt(det.box.area());
      if (size_t_ <= 0.f || std::fabs(size_d / size_t_ - 1.f) > settings.max_size_change) continue;
      if (landmark_shift(track.box, track.landmarks, det.box, det.landmarks) >
          settings.max_landmark_shift) {
        continue;
      }
      candidates.emplace_back(iou, t, d);
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<bool> track_used(tracks.size(), false), det_used(detections.size(), false);
  std::vector<std::pair<size_t, size_t>> pairs;
  for (const auto& [iou, t, d] : candidates) {
    if (track_used[t] || det_used[d]) continue;
    track_used[t] = det_used[d] = true;
    pairs.emplace_back(t, d);
  }
  return pairs;
}

std::vector<bool> unique_detections(const std::vector<Face>& detections, float max_iou) {
  std::vector<size_t> order(detections.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return detections[a].score > detections[b].score;
  });
  std::vector<bool> keep(detections.size(), false);
  std::vector<size_t> kept;
  for (size_t i : order) {
    bool duplicate = false;
    for (size_t k : kept) {
      if (box_iou(detections[i].box, detections[k].box) > max_iou) {
        duplicate = true;
        break;
      }
    }
    if (!duplicate) {
      keep[i] = true;
      kept.push_back(i);
    }
  }
  return keep;
}

}  // namespace faceedge
