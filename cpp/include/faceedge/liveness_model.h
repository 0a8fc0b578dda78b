#pragma once
#include <string>
#include <vector>

#include "faceedge/types.h"

namespace faceedge {

// One image-liveness model: face boxes on a frame in, one probability vector per face out.
// The model crops around each box itself (its crop rule belongs to how it was trained).
class LivenessModel {
 public:
  virtual ~LivenessModel() = default;
  virtual int classes() const = 0;     // length of each probability vector
  virtual int live_class() const = 0;  // the index that means "a live face"
  // Writes boxes.size() * classes() softmax probabilities to `out`, face by face. All faces go
  // through the network together (in chunks if there are very many).
  virtual void score(const ImageView& image, const std::vector<Box>& boxes, float* out) const = 0;
  virtual std::vector<std::string> providers() const = 0;
};

}  // namespace faceedge
