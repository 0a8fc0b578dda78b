#pragma once
#include <string>
#include <vector>

#include "faceedge/landmark_model.h"
#include "faceedge/runtime.h"
#include "ort/session.h"

namespace faceedge {

// OpenSeeFace landmark model 0 (emilianavt/OpenSeeFace lm_model0_opt.onnx, BSD-2): 66 points
// close to iBUG-68 (shared/models/README.md 7). Input "input" [N,3,224,224] float32 NCHW RGB,
// (x/255 - ImageNet mean) / ImageNet std; output "output" [N,198,28,28]: 66 heatmaps, then 66
// vertical and 66 horizontal offset maps. The crop is the face box widened by int(0.1 w) left
// and right and int(0.125 h) above and below, clamped, stretched to 224x224 bilinear.
// Stateless after construction: locate() is thread-safe.
class OpenSeeFaceLandmarker final : public LandmarkModel {
 public:
  OpenSeeFaceLandmarker(const std::string& model_path, const SessionSettings& settings);

  int points() const override { return points_; }
  void locate(const ImageView& image, const std::vector<Box>& boxes, float* xy,
              float* confidence) const override;
  std::vector<std::string> providers() const override { return session_.providers(); }

 private:
  ort::Session session_;
  int input_size_ = 224;
  int grid_ = 28;
  int points_ = 66;
  size_t max_batch_ = 1;
};

}  // namespace faceedge
