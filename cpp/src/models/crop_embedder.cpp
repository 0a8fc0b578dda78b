#include "models/crop_embedder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "faceedge/error.h"
#include "models/session_checks.h"

namespace faceedge {
namespace {

constexpr int kCrop = AlignedFace::kSize;
constexpr size_t kMaxDynamicBatch = 32;  // bounds the input buffer when the batch is dynamic

void l2_normalize(float* row, int dim, const std::string& model_path) {
  double sum = 0.0;
  for (int i = 0; i < dim; ++i) sum += static_cast<double>(row[i]) * row[i];
  const double norm = std::sqrt(sum);
  if (!(norm > 0.0) || !std::isfinite(norm)) {
    throw Error(ErrorCode::kInferenceFailed,
                model_path + ": embedding has norm " + std::to_string(norm) + ", cannot normalise");
  }
  for (int i = 0; i < dim; ++i) row[i] = static_cast<float>(row[i] / norm);
}

}  // namespace

CropEmbedder::CropEmbedder(const std::string& model_path, const SessionSettings& settings,
                           const CropEmbedderSpec& spec)
    : session_(model_path, settings), spec_(spec) {
  const ort::TensorSpec& input = expect_input(session_, spec_.input);
  expect_float_tensor(session_, input, 4);
  const auto& in = input.shape;
  const bool geometry_ok = (in[1] == 3 || in[1] == -1) && (in[2] == kCrop || in[2] == -1) &&
                           (in[3] == kCrop || in[3] == -1);
  if (!geometry_ok || (in[0] != 1 && in[0] != -1)) {
    throw Error(ErrorCode::kModelInvalid, model_path + ": expected input " + spec_.input +
                                              " of shape [N,3,112,112]");
  }
  if (session_.inputs().size() != 1) {
    throw Error(ErrorCode::kModelInvalid, model_path + ": expected only the input " + spec_.input +
                                              ", the model declares " +
                                              std::to_string(session_.inputs().size()));
  }
  max_batch_ = in[0] == -1 ? kMaxDynamicBatch : 1;

  const ort::TensorSpec& output = expect_output(session_, spec_.output);
  expect_float_tensor(session_, output, 2);
  if (output.shape[1] <= 0) {
    throw Error(ErrorCode::kModelInvalid,
                model_path + ": expected output " + spec_.output + " with a fixed embedding size");
  }
  dim_ = static_cast<int>(output.shape[1]);
}

void CropEmbedder::embed(const std::vector<AlignedFace>& faces, float* out) const {
  const size_t crop_bytes = static_cast<size_t>(kCrop) * kCrop * 3;
  for (size_t i = 0; i < faces.size(); ++i) {
    if (faces[i].bgr.size() != crop_bytes) {
      throw Error(ErrorCode::kInvalidArgument,
                  "embed: face " + std::to_string(i) + " is not a 112x112x3 crop (" +
                      std::to_string(faces[i].bgr.size()) + " bytes)");
    }
  }
  for (size_t first = 0; first < faces.size(); first += max_batch_) {
    const size_t count = std::min(max_batch_, faces.size() - first);
    run_batch(faces.data() + first, count, out + first * static_cast<size_t>(dim_));
  }
}

void CropEmbedder::run_batch(const AlignedFace* faces, size_t count, float* out) const {
  const size_t per_face = static_cast<size_t>(3) * kCrop * kCrop;
  std::vector<float> tensor(per_face * count);
  for (size_t i = 0; i < count; ++i) {
    const ImageView crop{faces[i].bgr.data(), kCrop, kCrop, kCrop * 3};
    resize_to_planar(crop, kCrop, kCrop, spec_.normalization, tensor.data() + i * per_face);
  }
  const ort::InputTensor input{spec_.input, ort::ElementType::kFloat, tensor.data(),
                               {static_cast<int64_t>(count), 3, kCrop, kCrop}};
  const std::vector<ort::OutputTensor> outputs = session_.run({input}, {spec_.output});
  const float* values = output_values(session_, outputs, spec_.output, count * dim_);
  std::copy(values, values + count * dim_, out);
  for (size_t i = 0; i < count; ++i) l2_normalize(out + i * dim_, dim_, session_.model_path());
}

}  // namespace faceedge
