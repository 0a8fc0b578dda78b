// mini-XCEPTION face attributes (emotion, gender), shared/models/README.md 8 and 9.4.
//
//   * crop: the face box widened by margin * w left and right and margin * h above and below,
//     rounded to whole pixels and clamped to the image (at least one pixel), read in place (an
//     ImageView into the frame), stretched (aspect not kept) to the network's W x H with
//     bilinear sampling in cv2.resize's pixel-centre convention (vision/letterbox).
//   * input: grey luma 0.299R + 0.587G + 0.114B of the resized BGR planes (resizing and the
//     luma are both linear, so the order only moves rounding), x/255*2-1, NHWC with one
//     channel; the faces of one call form one batch.
//   * output: "predictions" [N,C], already softmax; copied as is.
#include "models/mini_xception_attribute.h"

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
const char* const kOutput = "predictions";
constexpr size_t kMaxDynamicBatch = 64;  // bounds the input buffer (64 x 16 KB at 64x64)

void check_box(const Box& box) {
  const bool finite = std::isfinite(box.x) && std::isfinite(box.y) && std::isfinite(box.width) &&
                      std::isfinite(box.height);
  if (!finite || !(box.width > 0.f) || !(box.height > 0.f)) {
    throw Error(ErrorCode::kInvalidArgument,
                "attribute: box [" + std::to_string(box.x) + ", " + std::to_string(box.y) + ", " +
                    std::to_string(box.width) + ", " + std::to_string(box.height) +
                    "] must be finite with width and height > 0");
  }
}

void check_margin(float margin, const std::string& where) {
  if (!(margin >= 0.f) || !std::isfinite(margin)) {
    throw Error(ErrorCode::kInvalidArgument,
                where + ": crop margin must be a finite number >= 0, got " +
                    std::to_string(margin));
  }
}

// [begin, end) of one axis: the widened span rounded, clamped to [0, size), never empty.
void span(double start, double length, double margin, int size, int* begin, int* end) {
  const double lo = std::round(start - margin * length);
  const double hi = std::round(start + length + margin * length);
  const double last = size - 1.0;
  *begin = static_cast<int>(std::min(last, std::max(0.0, lo)));
  *end = static_cast<int>(std::min<double>(size, std::max<double>(*begin + 1.0, hi)));
}

}  // namespace

void mini_xception_crop_gray(const ImageView& image, const Box& box, float margin, int out_width,
                             int out_height, float* out) {
  check_image_view(image, "attribute crop");
  check_box(box);
  check_margin(margin, "attribute crop");
  int left = 0, right = 0, top = 0, bottom = 0;
  span(box.x, box.width, margin, image.width, &left, &right);
  span(box.y, box.height, margin, image.height, &top, &bottom);
  ImageView patch;
  patch.data = image.data + top * image.stride + 3 * left;
  patch.width = right - left;
  patch.height = bottom - top;
  patch.stride = image.stride;
  const size_t plane = static_cast<size_t>(out_width) * out_height;
  std::vector<float> bgr(3 * plane);
  const PixelNormalization raw_bgr;  // BGR, 0..255 as is
  resize_to_planar(patch, out_width, out_height, raw_bgr, bgr.data());
  const float* b = bgr.data();
  const float* g = b + plane;
  const float* r = g + plane;
  for (size_t i = 0; i < plane; ++i) {
    const float grey = 0.114f * b[i] + 0.587f * g[i] + 0.299f * r[i];
    out[i] = grey / 255.f * 2.f - 1.f;
  }
}

MiniXceptionAttribute::MiniXceptionAttribute(const std::string& model_path,
                                             const SessionSettings& settings, float margin)
    : session_(model_path, settings), margin_(margin) {
  check_margin(margin, model_path);
  if (session_.inputs().size() != 1) {
    throw Error(ErrorCode::kModelInvalid, model_path + ": expected only the input " + kInput +
                                              " (mini-XCEPTION), the model declares " +
                                              std::to_string(session_.inputs().size()));
  }
  const ort::TensorSpec& input = expect_input(session_, kInput);
  expect_float_tensor(session_, input, 4);
  const auto& in = input.shape;
  if ((in[0] != 1 && in[0] != -1) || in[1] <= 0 || in[2] <= 0 || (in[3] != 1 && in[3] != -1)) {
    throw Error(ErrorCode::kModelInvalid,
                model_path + ": expected input " + kInput +
                    " of shape [N,H,W,1] (NHWC grey) with N 1 or dynamic and a fixed H and W");
  }
  input_height_ = static_cast<int>(in[1]);
  input_width_ = static_cast<int>(in[2]);
  max_batch_ = in[0] == -1 ? kMaxDynamicBatch : 1;

  const ort::TensorSpec& output = expect_output(session_, kOutput);
  expect_float_tensor(session_, output, 2);
  if (output.shape[1] <= 0) {
    throw Error(ErrorCode::kModelInvalid, model_path + ": expected output " + kOutput +
                                              " of shape [N,C] with a fixed C");
  }
  classes_ = static_cast<int>(output.shape[1]);
}

void MiniXceptionAttribute::predict(const ImageView& image, const std::vector<Box>& boxes,
                                    float* out) const {
  check_image_view(image, "attribute");
  for (const Box& box : boxes) check_box(box);
  const size_t per_face = static_cast<size_t>(input_width_) * input_height_;
  std::vector<float> tensor;
  for (size_t first = 0; first < boxes.size(); first += max_batch_) {
    const size_t count = std::min(max_batch_, boxes.size() - first);
    tensor.resize(per_face * count);
    for (size_t i = 0; i < count; ++i) {
      mini_xception_crop_gray(image, boxes[first + i], margin_, input_width_, input_height_,
                              tensor.data() + i * per_face);
    }
    const ort::InputTensor input{kInput, ort::ElementType::kFloat, tensor.data(),
                                 {static_cast<int64_t>(count), input_height_, input_width_, 1}};
    const std::vector<ort::OutputTensor> outputs = session_.run({input}, {kOutput});
    const size_t values = count * static_cast<size_t>(classes_);
    const float* probs = output_values(session_, outputs, kOutput, values);
    for (size_t k = 0; k < values; ++k) {
      if (!std::isfinite(probs[k])) {
        throw Error(ErrorCode::kInferenceFailed,
                    session_.model_path() + ": predictions are not finite");
      }
    }
    std::copy(probs, probs + values, out + first * classes_);
  }
}

}  // namespace faceedge
