#pragma once
#include <cstddef>
#include <vector>

#include "faceedge/types.h"

namespace faceedge {

// Intersection over union of two boxes; 0 when either is empty.
float box_iou(const Box& a, const Box& b);

// Greedy non-maximum suppression. Visits the boxes from the highest score down (ties keep
// input order) and keeps a box unless its IoU with an already kept box exceeds `iou_threshold`.
// Only the `top_k` best-scoring boxes are considered when top_k > 0 (OpenCV's NMSBoxes top_k).
// Returns the indices of the kept boxes, best first.
std::vector<size_t> nms(const std::vector<Box>& boxes, const std::vector<float>& scores,
                        float iou_threshold, size_t top_k = 0);

}  // namespace faceedge
