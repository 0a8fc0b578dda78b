#include "faceedge/engine.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "faceedge/error.h"
#include "models/model_factory.h"
#include "vision/head_pose.h"
#include "vision/image_check.h"

namespace faceedge {
namespace {

constexpr int kMaxFaceNum = 120;  // Baidu's limit for max_face_num

void check_options(const DetectOptions& options) {
  if (options.max_face_num < 1 || options.max_face_num > kMaxFaceNum) {
    throw Error(ErrorCode::kMaxFaceNumParam,
                "max_face_num must be 1.." + std::to_string(kMaxFaceNum) + ", got " +
                    std::to_string(options.max_face_num));
  }
  if (options.sort != FaceSort::kLargestFirst && options.sort != FaceSort::kNearestCentreFirst) {
    throw Error(ErrorCode::kInvalidArgument,
                "face_sort_type must be 0 (largest first) or 1 (nearest the image centre "
                "first), got " + std::to_string(static_cast<int>(options.sort)));
  }
  if (!(options.min_face_size >= 0.f) || !std::isfinite(options.min_face_size)) {
    throw Error(ErrorCode::kInvalidArgument,
                "min_face_size must be a finite number >= 0, got " +
                    std::to_string(options.min_face_size));
  }
  if (!(options.score_threshold >= 0.f && options.score_threshold <= 1.f)) {
    throw Error(ErrorCode::kInvalidArgument,
                "score_threshold must be in [0, 1], got " +
                    std::to_string(options.score_threshold));
  }
  if (!(options.nms_iou > 0.f && options.nms_iou <= 1.f)) {
    throw Error(ErrorCode::kInvalidArgument,
                "nms_iou must be in (0, 1], got " + std::to_string(options.nms_iou));
  }
}

float squared_distance_to_centre(const Box& box, const ImageView& image) {
  const float dx = box.x + box.width / 2 - image.width / 2.f;
  const float dy = box.y + box.height / 2 - image.height / 2.f;
  return dx * dx + dy * dy;
}

// Stable, so equal keys keep the detector's (score) order.
void sort_faces(std::vector<Face>& faces, FaceSort sort, const ImageView& image) {
  if (sort == FaceSort::kLargestFirst) {
    std::stable_sort(faces.begin(), faces.end(),
                     [](const Face& a, const Face& b) { return a.box.area() > b.box.area(); });
  } else {
    std::stable_sort(faces.begin(), faces.end(), [&image](const Face& a, const Face& b) {
      return squared_distance_to_centre(a.box, image) < squared_distance_to_centre(b.box, image);
    });
  }
}

}  // namespace

Engine::Engine(const EngineConfig& config)
    : detector_(make_detector(config.detector, config.session)),
      embedder_(make_embedder(config.embedder, config.session)) {}

Engine::~Engine() = default;

std::vector<Face> Engine::detect(const ImageView& image, const DetectOptions& options) const {
  check_image_view(image, "detect");
  check_options(options);
  std::vector<Face> faces = detector_->detect(image, options.score_threshold, options.nms_iou);
  faces.erase(std::remove_if(faces.begin(), faces.end(),
                             [&options](const Face& f) {
                               return std::min(f.box.width, f.box.height) < options.min_face_size;
                             }),
              faces.end());
  for (Face& face : faces) face.angle = estimate_head_pose(face.landmarks);
  sort_faces(faces, options.sort, image);
  if (faces.size() > static_cast<size_t>(options.max_face_num)) faces.resize(options.max_face_num);
  return faces;
}

std::vector<float> Engine::embed(const ImageView& image, const std::vector<Face>& faces) const {
  check_image_view(image, "embed");
  std::vector<AlignedFace> crops;
  crops.reserve(faces.size());
  for (const Face& face : faces) crops.push_back(align_face(image, face.landmarks));
  std::vector<float> out(faces.size() * static_cast<size_t>(embedder_->dim()));
  if (!crops.empty()) embedder_->embed(crops, out.data());
  return out;
}

int Engine::embedding_dim() const { return embedder_->dim(); }

std::vector<std::string> Engine::providers() const {
  std::vector<std::string> names = detector_->providers();
  for (const std::string& name : embedder_->providers()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace faceedge
