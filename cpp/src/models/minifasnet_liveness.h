#pragma once
#include <string>
#include <vector>

#include "faceedge/liveness_model.h"
#include "faceedge/runtime.h"
#include "ort/session.h"

namespace faceedge {

// MiniFASNet (minivision-ai Silent-Face-Anti-Spoofing, exported to ONNX with a dynamic batch):
// input "input" [N,3,H,W] float32, BGR, raw 0..255 (no normalisation at all); output "logits"
// [N,3], softmax index 1 = live, 0 and 2 = two spoof kinds. H and W (80x80 for the shipped
// files) are read from the file. Each face is cropped by minifasnet_crop_rect at this member's
// scale and stretched to H x W. Stateless after construction: score() is thread-safe.
class MiniFASNetLiveness final : public LivenessModel {
 public:
  MiniFASNetLiveness(const std::string& model_path, const SessionSettings& settings,
                     float crop_scale);

  int classes() const override { return kClasses; }
  int live_class() const override { return kLiveClass; }
  void score(const ImageView& image, const std::vector<Box>& boxes, float* out) const override;
  std::vector<std::string> providers() const override { return session_.providers(); }

  float crop_scale() const { return crop_scale_; }
  int input_width() const { return input_width_; }
  int input_height() const { return input_height_; }

 private:
  static constexpr int kClasses = 3;
  static constexpr int kLiveClass = 1;

  ort::Session session_;
  float crop_scale_ = 1.f;
  int input_width_ = 0;
  int input_height_ = 0;
  size_t max_batch_ = 1;  // 1 when the file's batch dimension is fixed
};

// The patch a MiniFASNet member sees: rows top..bottom and columns left..right, inclusive.
struct CropRect {
  int left = 0;
  int top = 0;
  int right = 0;
  int bottom = 0;
};

// shared/models/README.md 6.2, exactly as the upstream generate_patches.py computes it (in
// double, as Python does): scale clamped to min((H-1)/h, (W-1)/w, scale), the box enlarged by
// it about its centre, shifted back inside [0, W-1] x [0, H-1], truncated to int. The box must
// be finite with width and height > 0, and scale finite and > 0 (else Error(kInvalidArgument)).
CropRect minifasnet_crop_rect(const Box& box, int image_width, int image_height, double scale);

// The crop at `scale` stretched to out_width x out_height, bilinear (cv2.resize's default),
// written as 3 planes of raw BGR 0..255 floats: exactly one face's slice of the network input.
void minifasnet_crop_to_planar(const ImageView& image, const Box& box, double scale, int out_width,
                               int out_height, float* out);

}  // namespace faceedge
