#include "models/yunet_detector.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "faceedge/error.h"
#include "models/quantized_weights.h"
#include "models/session_checks.h"
#include "vision/image_check.h"
#include "vision/letterbox.h"
#include "vision/nms.h"

namespace faceedge {
namespace {

constexpr int kStrides[3] = {8, 16, 32};
constexpr int kPadMultiple = 32;      // the largest stride: input sides must divide by it
constexpr int kMaxDynamicSide = 640;  // long-side cap for dynamic inputs (faces ~10..300 px)
constexpr size_t kTopK = 5000;        // candidates kept before NMS, as OpenCV's FaceDetectorYN

const char* const kOutputKinds[4] = {"cls", "obj", "bbox", "kps"};

std::string output_name(const char* kind, int stride) {
  return std::string(kind) + "_" + std::to_string(stride);
}

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

float clamp01(float v) { return std::min(1.f, std::max(0.f, v)); }

// Raw candidates before NMS, in original-image pixels.
struct Candidates {
  std::vector<Box> boxes;
  std::vector<float> scores;
  std::vector<Landmarks5> landmarks;
};

// One stride's outputs for a rows x cols grid: score = sqrt(cls * obj), centre = (cell + d) * s
// (no +0.5), size = exp(log size) * s, landmark k = (cell + offset_k) * s; then / scale.
void decode_stride(const ort::Session& session, const std::vector<ort::OutputTensor>& outputs,
                   int stride, int rows, int cols, float scale, float threshold, Candidates& out) {
  const size_t n = static_cast<size_t>(rows) * cols;
  const float* cls = output_values(session, outputs, output_name("cls", stride), n);
  const float* obj = output_values(session, outputs, output_name("obj", stride), n);
  const float* bbox = output_values(session, outputs, output_name("bbox", stride), n * 4);
  const float* kps = output_values(session, outputs, output_name("kps", stride), n * 10);
  const float s = static_cast<float>(stride);

  for (int row = 0; row < rows; ++row) {
    for (int col = 0; col < cols; ++col) {
      const size_t i = static_cast<size_t>(row) * cols + col;
      const float score = std::sqrt(clamp01(cls[i]) * clamp01(obj[i]));
      if (!(score >= threshold)) continue;
      const float* b = bbox + 4 * i;
      const float cx = (col + b[0]) * s, cy = (row + b[1]) * s;
      const float w = std::exp(b[2]) * s, h = std::exp(b[3]) * s;
      out.boxes.push_back({(cx - w / 2) / scale, (cy - h / 2) / scale, w / scale, h / scale});
      out.scores.push_back(score);
      const float* p = kps + 10 * i;
      Landmarks5 lm;
      for (int k = 0; k < 5; ++k) {
        lm[k] = {(col + p[2 * k]) * s / scale, (row + p[2 * k + 1]) * s / scale};
      }
      out.landmarks.push_back(lm);
    }
  }
}

}  // namespace

// The int8bq YuNet files need their weights folded to run at fp32 speed; the fp32 files are
// unaffected (see quantized_weights.h).
YuNetDetector::YuNetDetector(const std::string& model_path, const SessionSettings& settings)
    : session_(model_path, fold_weight_dequantization(settings)) {
  if (session_.inputs().size() != 1) {
    throw Error(ErrorCode::kModelInvalid,
                model_path + ": expected one input (YuNet), the model has " +
                    std::to_string(session_.inputs().size()));
  }
  const ort::TensorSpec& input = session_.inputs().front();
  expect_float_tensor(session_, input, 4);
  input_name_ = input.name;
  const int64_t channels = input.shape[1], height = input.shape[2], width = input.shape[3];
  if (channels != 3 && channels != -1) {
    throw Error(ErrorCode::kModelInvalid,
                model_path + ": expected 3 input channels (BGR), got " + std::to_string(channels));
  }
  const bool fixed = height > 0 && width > 0;
  const bool dynamic = height <= 0 && width <= 0;
  if (!(dynamic || (fixed && height % kPadMultiple == 0 && width % kPadMultiple == 0))) {
    throw Error(ErrorCode::kModelInvalid,
                model_path + ": expected a dynamic input size or a fixed one divisible by 32, " +
                    "got " + std::to_string(height) + "x" + std::to_string(width));
  }
  fixed_height_ = height > 0 ? static_cast<int>(height) : 0;
  fixed_width_ = width > 0 ? static_cast<int>(width) : 0;
  for (int stride : kStrides) {
    for (const char* kind : kOutputKinds) {
      output_names_.push_back(expect_output(session_, output_name(kind, stride)).name);
    }
  }
}

YuNetDetector::InputPlan YuNetDetector::plan_input(int image_width, int image_height) const {
  InputPlan plan;
  if (fixed_width_ > 0) {
    plan.width = fixed_width_;
    plan.height = fixed_height_;
    plan.scale = std::min(static_cast<float>(fixed_width_) / image_width,
                          static_cast<float>(fixed_height_) / image_height);
    return plan;
  }
  const int long_side = std::max(image_width, image_height);
  plan.scale = long_side > kMaxDynamicSide ? static_cast<float>(kMaxDynamicSide) / long_side : 1.f;
  const auto scaled = [&plan](int length) {
    return std::max(1, static_cast<int>(std::lround(length * static_cast<double>(plan.scale))));
  };
  plan.width = round_up(scaled(image_width), kPadMultiple);
  plan.height = round_up(scaled(image_height), kPadMultiple);
  return plan;
}

std::vector<Face> YuNetDetector::detect(const ImageView& image, float score_threshold,
                                        float nms_iou) const {
  check_image_view(image, "YuNet detect");
  const InputPlan plan = plan_input(image.width, image.height);
  std::vector<float> tensor(static_cast<size_t>(plan.width) * plan.height * 3);
  const PixelNormalization raw_bgr;  // YuNet takes BGR 0..255 as is
  letterbox_to_planar(image, plan.scale, plan.width, plan.height, raw_bgr, tensor.data());

  const ort::InputTensor input{input_name_, ort::ElementType::kFloat, tensor.data(),
                               {1, 3, plan.height, plan.width}};
  const std::vector<ort::OutputTensor> outputs = session_.run({input}, output_names_);

  Candidates candidates;
  for (int stride : kStrides) {
    decode_stride(session_, outputs, stride, plan.height / stride, plan.width / stride, plan.scale,
                  score_threshold, candidates);
  }
  std::vector<Face> faces;
  for (size_t i : nms(candidates.boxes, candidates.scores, nms_iou, kTopK)) {
    Face face;
    face.box = candidates.boxes[i];
    face.score = candidates.scores[i];
    face.landmarks = candidates.landmarks[i];
    faces.push_back(face);
  }
  return faces;
}

}  // namespace faceedge
