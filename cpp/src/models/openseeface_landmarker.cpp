// OpenSeeFace 66-point landmarks, shared/models/README.md 7 (the decode is upstream's
// `logit_arr` + argmax rule, re-derived there and checked on three photos).
//
//   * crop: the face box rounded to whole pixels, widened by int(0.1 w) left and right and
//     int(0.125 h) above and below, clamped to the image (at least one pixel), read in place and
//     stretched (aspect not kept) to 224x224 with cv2.resize's pixel-centre bilinear sampling.
//   * input: RGB planes, (x/255 - mean) / std with ImageNet's mean and std; one batch per call.
//   * decode, per point k: m = argmax of heatmap k (row-major over the 28x28 grid), confidence =
//     heat_k[m]; L(p) = ln(p / (1 - p)) / 16 with p clipped to [1e-7, 1 - 1e-7];
//     y = y1 + crop_h / 224 * (223 * row / 27 + 223 * L(offV_k[m])), x likewise with col, offH.
#include "models/openseeface_landmarker.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "faceedge/error.h"
#include "models/session_checks.h"
#include "vision/image_check.h"
#include "vision/letterbox.h"

namespace faceedge {
namespace {

const char* const kInput = "input";
const char* const kOutput = "output";
constexpr size_t kMaxDynamicBatch = 16;  // bounds the buffers (16 x 600 KB in, 16 x 600 KB out)

struct Crop {
  int left = 0, top = 0, right = 0, bottom = 0;  // [left, right) x [top, bottom)
};

void check_box(const Box& box) {
  const bool finite = std::isfinite(box.x) && std::isfinite(box.y) && std::isfinite(box.width) &&
                      std::isfinite(box.height);
  if (!finite || !(box.width > 0.f) || !(box.height > 0.f)) {
    throw Error(ErrorCode::kInvalidArgument,
                "landmarks: box [" + std::to_string(box.x) + ", " + std::to_string(box.y) + ", " +
                    std::to_string(box.width) + ", " + std::to_string(box.height) +
                    "] must be finite with width and height > 0");
  }
}

int clamp_int(double v, int lo, int hi) {
  return static_cast<int>(std::min<double>(hi, std::max<double>(lo, v)));
}

Crop crop_of(const ImageView& image, const Box& box) {
  // Upstream widens by int() of the margins of an integer box: truncation, as in Python.
  const double x = std::round(box.x), y = std::round(box.y);
  const double w = std::round(box.width), h = std::round(box.height);
  const double mx = std::trunc(0.1 * w), my = std::trunc(0.125 * h);
  Crop c;
  c.left = clamp_int(x - mx, 0, image.width - 1);
  c.top = clamp_int(y - my, 0, image.height - 1);
  c.right = clamp_int(x + w + mx, c.left + 1, image.width);
  c.bottom = clamp_int(y + h + my, c.top + 1, image.height);
  return c;
}

float logit16(float p) {
  const float q = std::min(1.f - 1e-7f, std::max(1e-7f, p));
  return std::log(q / (1.f - q)) / 16.f;
}

}  // namespace

OpenSeeFaceLandmarker::OpenSeeFaceLandmarker(const std::string& model_path,
                                             const SessionSettings& settings)
    : session_(model_path, settings) {
  const ort::TensorSpec& input = expect_input(session_, kInput);
  expect_float_tensor(session_, input, 4);
  const auto& in = input.shape;
  if ((in[0] != 1 && in[0] != -1) || in[1] != 3 || in[2] <= 0 || in[2] != in[3]) {
    throw Error(ErrorCode::kModelInvalid, model_path + ": expected input " + kInput +
                                              " of shape [N,3,S,S] (OpenSeeFace landmarks)");
  }
  input_size_ = static_cast<int>(in[2]);
  max_batch_ = in[0] == -1 ? kMaxDynamicBatch : 1;
  const ort::TensorSpec& output = expect_output(session_, kOutput);
  expect_float_tensor(session_, output, 4);
  const auto& out = output.shape;
  if (out[1] <= 0 || out[1] % 3 != 0 || out[2] <= 1 || out[2] != out[3]) {
    throw Error(ErrorCode::kModelInvalid,
                model_path + ": expected output " + kOutput +
                    " of shape [N,3P,G,G] (P heatmaps, P vertical and P horizontal offsets)");
  }
  points_ = static_cast<int>(out[1] / 3);
  grid_ = static_cast<int>(out[2]);
}

void OpenSeeFaceLandmarker::locate(const ImageView& image, const std::vector<Box>& boxes,
                                   float* xy, float* confidence) const {
  check_image_view(image, "landmarks");
  for (const Box& box : boxes) check_box(box);
  PixelNormalization imagenet;
  imagenet.order = ChannelOrder::kRgb;
  imagenet.scale = 1.f / 255.f;
  imagenet.mean = {0.485f, 0.456f, 0.406f};
  imagenet.std = {0.229f, 0.224f, 0.225f};
  const size_t per_face = 3 * static_cast<size_t>(input_size_) * input_size_;
  const size_t cells = static_cast<size_t>(grid_) * grid_;
  const size_t out_per_face = 3 * static_cast<size_t>(points_) * cells;
  const float last = static_cast<float>(input_size_ - 1);  // 223 for 224
  std::vector<float> tensor;
  std::vector<Crop> crops;
  for (size_t first = 0; first < boxes.size(); first += max_batch_) {
    const size_t count = std::min(max_batch_, boxes.size() - first);
    tensor.resize(per_face * count);
    crops.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const Crop c = crop_of(image, boxes[first + i]);
      crops[i] = c;
      ImageView patch;
      patch.data = image.data + c.top * image.stride + 3 * c.left;
      patch.width = c.right - c.left;
      patch.height = c.bottom - c.top;
      patch.stride = image.stride;
      resize_to_planar(patch, input_size_, input_size_, imagenet, tensor.data() + i * per_face);
    }
    const ort::InputTensor input{kInput, ort::ElementType::kFloat, tensor.data(),
                                 {static_cast<int64_t>(count), 3, input_size_, input_size_}};
    const std::vector<ort::OutputTensor> outputs = session_.run({input}, {kOutput});
    const float* maps = output_values(session_, outputs, kOutput, count * out_per_face);
    for (size_t i = 0; i < count; ++i) {
      const float* face = maps + i * out_per_face;
      const Crop& c = crops[i];
      const float sx = static_cast<float>(c.right - c.left) / input_size_;
      const float sy = static_cast<float>(c.bottom - c.top) / input_size_;
      for (int k = 0; k < points_; ++k) {
        const float* heat = face + static_cast<size_t>(k) * cells;
        const float* off_v = face + static_cast<size_t>(points_ + k) * cells;
        const float* off_h = face + static_cast<size_t>(2 * points_ + k) * cells;
        const size_t m = static_cast<size_t>(std::max_element(heat, heat + cells) - heat);
        const float row = static_cast<float>(m / grid_), col = static_cast<float>(m % grid_);
        const float step = last / static_cast<float>(grid_ - 1);
        const float y = c.top + sy * (step * row + last * logit16(off_v[m]));
        const float x = c.left + sx * (step * col + last * logit16(off_h[m]));
        if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(heat[m])) {
          throw Error(ErrorCode::kInferenceFailed,
                      session_.model_path() + ": landmark output is not finite");
        }
        const size_t at = (first + i) * points_ + k;
        xy[2 * at] = x;
        xy[2 * at + 1] = y;
        confidence[at] = heat[m];
      }
    }
  }
}

}  // namespace faceedge
