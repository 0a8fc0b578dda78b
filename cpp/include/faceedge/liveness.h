#pragma once
#include <memory>
#include <string>
#include <vector>

#include "faceedge/liveness_model.h"
#include "faceedge/model_spec.h"
#include "faceedge/runtime.h"
#include "faceedge/types.h"

namespace faceedge {

// One member of a fused liveness set: a model file and the crop scale it was trained with
// (MiniFASNet: 2.7 for V2, 4.0 for V1SE; see shared/models/README.md 6.2).
struct LivenessMember {
  ModelSpec model;
  float crop_scale = 1.f;
};

struct LivenessConfig {
  std::vector<LivenessMember> members;
  SessionSettings session;
};

// A fused set of liveness models: each member scores every face, the probability vectors are
// added and divided by the member count (shared/models/README.md 6.3; the verdict is the argmax
// and its confidence that entry). Immutable after construction: score() may run on many threads.
class Liveness {
 public:
  // Error(kInvalidArgument) for no members, a bad scale, or members whose class layouts differ.
  explicit Liveness(const LivenessConfig& config);
  ~Liveness();

  // boxes.size() rows of classes() floats, row-major. No boxes: empty.
  std::vector<float> score(const ImageView& image, const std::vector<Box>& boxes) const;
  int classes() const;
  int live_class() const;
  size_t member_count() const { return members_.size(); }
  std::vector<std::string> providers() const;

 private:
  std::vector<std::unique_ptr<LivenessModel>> members_;
};

}  // namespace faceedge
