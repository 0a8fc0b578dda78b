// MiniFASNet silent (single-image) liveness, one member of a fused set (engine/liveness.cpp).
//
// The crop and the input are what the upstream repo trained and tested with; both were checked
// against its published sample results (shared/models/README.md 6 and 9.3):
//   * crop: the face box enlarged by the member's scale about its centre (the scale shrinks so
//     the patch fits the image), shifted back inside the image, truncated to int, inclusive
//     rows/columns, then stretched (aspect not kept) to the network's H x W with bilinear
//     sampling in cv2.resize's pixel-centre convention. The patch is read in place: an
//     ImageView into the frame, so nothing is copied before the resize.
//   * input: BGR, raw 0..255 floats, NCHW; the faces of one call form one batch.
//   * output: logits [N,3] -> softmax per face (index 1 = live).
// The fusion over members (sum / count) is the caller's: faceedge::Liveness.
#include "models/minifasnet_liveness.h"

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
const char* const kOutput = "logits";
constexpr size_t kMaxDynamicBatch = 32;  // bounds the input buffer (32 x 76.8 KB at 80x80)

std::string box_text(const Box& b) {
  return "[" + std::to_string(b.x) + ", " + std::to_string(b.y) + ", " + std::to_string(b.width) +
         ", " + std::to_string(b.height) + "]";
}

void check_box(const Box& box, const char* where) {
  const bool finite = std::isfinite(box.x) && std::isfinite(box.y) && std::isfinite(box.width) &&
                      std::isfinite(box.height);
  if (!finite || !(box.width > 0.f) || !(box.height > 0.f)) {
    throw Error(ErrorCode::kInvalidArgument, std::string(where) + ": box " + box_text(box) +
                                                 " must be finite with width and height > 0");
  }
}

void check_scale(double scale, const std::string& where) {
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    throw Error(ErrorCode::kInvalidArgument,
                where + ": crop scale must be a finite number > 0, got " + std::to_string(scale));
  }
}

// Softmax of N logits into `out`, in double for a stable sum.
template <int N>
void softmax(const float* logits, float* out, const std::string& model_path) {
  double top = logits[0];
  for (int c = 1; c < N; ++c) top = std::max<double>(top, logits[c]);
  double e[N], sum = 0.0;
  for (int c = 0; c < N; ++c) sum += e[c] = std::exp(logits[c] - top);
  if (!std::isfinite(top) || !(sum > 0.0) || !std::isfinite(sum)) {
    throw Error(ErrorCode::kInferenceFailed, model_path + ": logits are not finite");
  }
  for (int c = 0; c < N; ++c) out[c] = static_cast<float>(e[c] / sum);
}

}  // namespace

CropRect minifasnet_crop_rect(const Box& box, int image_width, int image_height, double scale) {
  check_box(box, "liveness crop");
  check_scale(scale, "liveness crop");
  if (image_width <= 0 || image_height <= 0) {
    throw Error(ErrorCode::kImageFormat, "liveness crop: image size " +
                                             std::to_string(image_width) + "x" +
                                             std::to_string(image_height) + " is empty");
  }
  const double x = box.x, y = box.y, w = box.width, h = box.height;
  const double max_x = image_width - 1.0, max_y = image_height - 1.0;
  // 1. The scale shrinks so the enlarged box is no bigger than the image.
  const double s = std::min({max_y / h, max_x / w, scale});
  // 2. Enlarge about the centre.
  const double new_w = w * s, new_h = h * s;
  const double cx = w / 2 + x, cy = h / 2 + y;
  double l = cx - new_w / 2, t = cy - new_h / 2, r = cx + new_w / 2, b = cy + new_h / 2;
  // 3. Shift back inside, keeping the size (upstream's order of tests).
  if (l < 0) {
    r -= l;
    l = 0;
  }
  if (t < 0) {
    b -= t;
    t = 0;
  }
  if (r > max_x) {
    l -= r - max_x;
    r = max_x;
  }
  if (b > max_y) {
    t -= b - max_y;
    b = max_y;
  }
  // 4. Truncate (Python's int(): towards zero). The clamp changes nothing for boxes that
  // overlap the image; it only keeps absurd ones (far outside, where rounding in step 3 loses
  // the size) from indexing outside the frame.
  const auto to_index = [](double v, double max_v) {
    return static_cast<int>(std::min(max_v, std::max(0.0, std::trunc(v))));
  };
  CropRect rect;
  rect.left = to_index(l, max_x);
  rect.top = to_index(t, max_y);
  rect.right = std::max(rect.left, to_index(r, max_x));
  rect.bottom = std::max(rect.top, to_index(b, max_y));
  return rect;
}

void minifasnet_crop_to_planar(const ImageView& image, const Box& box, double scale, int out_width,
                               int out_height, float* out) {
  check_image_view(image, "liveness crop");
  const CropRect rect = minifasnet_crop_rect(box, image.width, image.height, scale);
  ImageView patch;
  patch.data = image.data + rect.top * image.stride + 3 * rect.left;
  patch.width = rect.right - rect.left + 1;
  patch.height = rect.bottom - rect.top + 1;
  patch.stride = image.stride;
  const PixelNormalization raw_bgr;  // BGR, 0..255 as is
  resize_to_planar(patch, out_width, out_height, raw_bgr, out);
}

MiniFASNetLiveness::MiniFASNetLiveness(const std::string& model_path,
                                       const SessionSettings& settings, float crop_scale)
    : session_(model_path, settings), crop_scale_(crop_scale) {
  check_scale(crop_scale, model_path);
  if (session_.inputs().size() != 1) {
    throw Error(ErrorCode::kModelInvalid, model_path + ": expected only the input " + kInput +
                                              " (MiniFASNet), the model declares " +
                                              std::to_string(session_.inputs().size()));
  }
  const ort::TensorSpec& input = expect_input(session_, kInput);
  expect_float_tensor(session_, input, 4);
  const auto& in = input.shape;
  if ((in[0] != 1 && in[0] != -1) || (in[1] != 3 && in[1] != -1) || in[2] <= 0 || in[3] <= 0) {
    throw Error(ErrorCode::kModelInvalid,
                model_path + ": expected input " + kInput +
                    " of shape [N,3,H,W] with N 1 or dynamic and a fixed H and W");
  }
  input_height_ = static_cast<int>(in[2]);
  input_width_ = static_cast<int>(in[3]);
  max_batch_ = in[0] == -1 ? kMaxDynamicBatch : 1;

  const ort::TensorSpec& output = expect_output(session_, kOutput);
  expect_float_tensor(session_, output, 2);
  if (output.shape[1] != kClasses) {
    throw Error(ErrorCode::kModelInvalid, model_path + ": expected output " + kOutput +
                                              " of shape [N," + std::to_string(kClasses) +
                                              "], got " + std::to_string(output.shape[1]) +
                                              " classes");
  }
}

void MiniFASNetLiveness::score(const ImageView& image, const std::vector<Box>& boxes,
                               float* out) const {
  check_image_view(image, "liveness");
  for (const Box& box : boxes) check_box(box, "liveness");
  const size_t per_face = static_cast<size_t>(3) * input_width_ * input_height_;
  std::vector<float> tensor;
  for (size_t first = 0; first < boxes.size(); first += max_batch_) {
    const size_t count = std::min(max_batch_, boxes.size() - first);
    tensor.resize(per_face * count);
    for (size_t i = 0; i < count; ++i) {
      minifasnet_crop_to_planar(image, boxes[first + i], crop_scale_, input_width_,
                                input_height_, tensor.data() + i * per_face);
    }
    const ort::InputTensor input{kInput, ort::ElementType::kFloat, tensor.data(),
                                 {static_cast<int64_t>(count), 3, input_height_, input_width_}};
    const std::vector<ort::OutputTensor> outputs = session_.run({input}, {kOutput});
    const float* logits = output_values(session_, outputs, kOutput, count * kClasses);
    for (size_t i = 0; i < count; ++i) {
      softmax<kClasses>(logits + i * kClasses, out + (first + i) * kClasses,
                        session_.model_path());
    }
  }
}

}  // namespace faceedge
