#pragma once
#include <string>
#include <vector>

#include "faceedge/attribute_model.h"
#include "faceedge/runtime.h"
#include "ort/session.h"

namespace faceedge {

// mini-XCEPTION (oarriaga/face_classification, converted to ONNX): emotion (FER2013, 7 classes)
// and gender (IMDB-WIKI, 2 classes). Input "input" [N,H,W,1] float32 NHWC grayscale (OpenCV's
// BGR-to-grey luma), values x/255*2-1; output "predictions" [N,C], already softmax. H, W and C
// (64, 64, 7 or 2 for the shipped files) are read from the file. Each face's crop is its box
// widened on every side by `margin` times its width (left/right) and height (top/bottom),
// clamped to the image, stretched to W x H bilinear (shared/models/README.md 8 and 9.4:
// margin 0 for emotion, 0.1 for gender). Stateless after construction: predict() is thread-safe.
class MiniXceptionAttribute final : public AttributeModel {
 public:
  MiniXceptionAttribute(const std::string& model_path, const SessionSettings& settings,
                        float margin);

  int classes() const override { return classes_; }
  void predict(const ImageView& image, const std::vector<Box>& boxes, float* out) const override;
  std::vector<std::string> providers() const override { return session_.providers(); }

  float margin() const { return margin_; }
  int input_width() const { return input_width_; }
  int input_height() const { return input_height_; }

 private:
  ort::Session session_;
  float margin_ = 0.f;
  int input_width_ = 0;
  int input_height_ = 0;
  int classes_ = 0;
  size_t max_batch_ = 1;  // 1 when the file's batch dimension is fixed
};

// One face's network input: the crop (box widened by `margin`, clamped to the image) stretched
// to out_width x out_height bilinear, as grey luma 0.299R + 0.587G + 0.114B mapped to
// x/255*2-1; out_width * out_height floats, row-major (the NHWC slice of one face).
void mini_xception_crop_gray(const ImageView& image, const Box& box, float margin, int out_width,
                             int out_height, float* out);

}  // namespace faceedge
