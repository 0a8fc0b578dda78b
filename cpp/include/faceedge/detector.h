#pragma once
#include <memory>
#include <string>
#include <vector>

#include "faceedge/runtime.h"
#include "faceedge/types.h"

namespace faceedge {

// A face detector: finds boxes, scores and 5 landmarks in original-image pixels. Sorting,
// max_face_num and pose are applied by the Engine, not here.
class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::vector<Face> detect(const ImageView& image, float score_threshold,
                                   float nms_iou) const = 0;
  virtual std::vector<std::string> providers() const = 0;  // providers the session really got
};

}  // namespace faceedge
