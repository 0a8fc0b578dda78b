#pragma once
#include <string>
#include <vector>

#include "faceedge/types.h"

namespace faceedge {

// A dense face-landmark model (e.g. OpenSeeFace's 66 points): face boxes on a frame in, for each
// face `points()` image coordinates and a per-point confidence out. The model crops around each
// box itself (its crop rule belongs to how it was trained).
class LandmarkModel {
 public:
  virtual ~LandmarkModel() = default;
  virtual int points() const = 0;  // landmarks per face
  // Writes boxes.size() * points() (x, y) pairs to `xy` and boxes.size() * points() confidences
  // (0..1) to `confidence`, face by face; all faces go through the network together (in chunks
  // if there are very many). Thread-safe.
  virtual void locate(const ImageView& image, const std::vector<Box>& boxes, float* xy,
                      float* confidence) const = 0;
  virtual std::vector<std::string> providers() const = 0;
};

}  // namespace faceedge
