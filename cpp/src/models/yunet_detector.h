#pragma once
#include <string>
#include <vector>

#include "faceedge/detector.h"
#include "faceedge/runtime.h"
#include "ort/session.h"

namespace faceedge {

// YuNet (libfacedetection / opencv_zoo), anchor-free, 3 strides, 5 landmarks.
// A file with a fixed input size (the 640x640 one) is letterboxed into it; a file with dynamic
// H and W runs at the image size (long side capped at 640, padded to multiples of 32).
// Stateless after construction: detect() may run on many threads at once.
class YuNetDetector final : public Detector {
 public:
  YuNetDetector(const std::string& model_path, const SessionSettings& settings);

  std::vector<Face> detect(const ImageView& image, float score_threshold,
                           float nms_iou) const override;
  std::vector<std::string> providers() const override { return session_.providers(); }

 private:
  // The network input for one image: padded size and the resize factor applied to the image.
  struct InputPlan {
    int width = 0;
    int height = 0;
    float scale = 1.f;
  };
  InputPlan plan_input(int image_width, int image_height) const;

  ort::Session session_;
  std::string input_name_;
  std::vector<std::string> output_names_;  // the 12 outputs, by name
  int fixed_width_ = 0;   // 0 when the model's W is dynamic
  int fixed_height_ = 0;  // 0 when the model's H is dynamic
};

}  // namespace faceedge
