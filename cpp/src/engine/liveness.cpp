#include "faceedge/liveness.h"

#include <algorithm>
#include <string>

#include "faceedge/error.h"
#include "models/model_factory.h"
#include "vision/image_check.h"

namespace faceedge {

Liveness::Liveness(const LivenessConfig& config) {
  if (config.members.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "liveness: at least one member model is needed");
  }
  for (const LivenessMember& m : config.members) {
    members_.push_back(make_liveness_model(m.model, config.session, m.crop_scale));
    const LivenessModel& first = *members_.front();
    const LivenessModel& added = *members_.back();
    if (added.classes() != first.classes() || added.live_class() != first.live_class()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "liveness: " + m.model.path + " has " + std::to_string(added.classes()) +
                      " classes (live = " + std::to_string(added.live_class()) + "), " +
                      config.members.front().model.path + " has " +
                      std::to_string(first.classes()) + " (live = " +
                      std::to_string(first.live_class()) + "): they cannot be fused");
    }
  }
}

Liveness::~Liveness() = default;

int Liveness::classes() const { return members_.front()->classes(); }

int Liveness::live_class() const { return members_.front()->live_class(); }

std::vector<float> Liveness::score(const ImageView& image, const std::vector<Box>& boxes) const {
  check_image_view(image, "liveness");
  const size_t width = static_cast<size_t>(classes());
  std::vector<float> sum(boxes.size() * width, 0.f);
  if (boxes.empty()) return sum;
  std::vector<float> member(sum.size());
  for (const auto& model : members_) {
    model->score(image, boxes, member.data());
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += member[i];
  }
  const float count = static_cast<float>(members_.size());
  for (float& v : sum) v /= count;
  return sum;
}

std::vector<std::string> Liveness::providers() const {
  std::vector<std::string> names;
  for (const auto& model : members_) {
    for (const std::string& name : model->providers()) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

}  // namespace faceedge
