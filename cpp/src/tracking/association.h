#pragma once
// Which detection continues which track: gates, then greedy matching by overlap.
#include <utility>
#include <vector>

#include "faceedge/tracker.h"

namespace faceedge {

// Mean distance between two faces' 5 landmarks, each placed in its own box's unit square.
float landmark_shift(const Box& box_a, const Landmarks5& a, const Box& box_b,
                     const Landmarks5& b);

// (track index, detection index) pairs: every pair passing the settings' gates, taken greedily
// by descending IoU so each track and each detection is used at most once. `eligible` flags
// the tracks that may match (an uncovered track may not).
std::vector<std::pair<size_t, size_t>> associate(const std::vector<Track>& tracks,
                                                 const std::vector<bool>& eligible,
                                                 const std::vector<Face>& detections,
                                                 const TrackerSettings& settings);

// Detections to keep: those not overlapping a higher-scored one by more than `max_iou`.
std::vector<bool> unique_detections(const std::vector<Face>& detections, float max_iou);

}  // namespace faceedge
