#pragma once
#include <string>
#include <vector>

#include "faceedge/types.h"

namespace faceedge {

// One face-attribute classifier (gender, emotion, ...): face boxes on a frame in, one softmax
// vector per face out. The model crops around each box itself (its crop rule belongs to how it
// was trained); the meaning of each class index is the manifest's `labels`.
class AttributeModel {
 public:
  virtual ~AttributeModel() = default;
  virtual int classes() const = 0;  // length of each probability vector
  // Writes boxes.size() * classes() probabilities to `out`, face by face; all faces go through
  // the network together (in chunks if there are very many). Thread-safe.
  virtual void predict(const ImageView& image, const std::vector<Box>& boxes,
                       float* out) const = 0;
  virtual std::vector<std::string> providers() const = 0;
};

}  // namespace faceedge
