#include "models/model_factory.h"

#include <string>

#include "faceedge/error.h"
#include "models/mini_xception_attribute.h"
#include "models/minifasnet_liveness.h"
#include "models/mobilefacenet_embedder.h"
#include "models/openseeface_landmarker.h"
#include "models/sface_embedder.h"
#include "models/yunet_detector.h"

namespace faceedge {
namespace {

// `Extra` are what a role needs beyond the file and the session (a liveness crop scale).
template <typename Role, typename... Extra>
struct Family {
  const char* name;  // the manifest's `family`, the stem of the implementing file
  std::unique_ptr<Role> (*make)(const std::string& path, const SessionSettings& settings,
                                Extra... extra);
};

template <typename Role, typename Impl, typename... Extra>
std::unique_ptr<Role> construct(const std::string& path, const SessionSettings& settings,
                                Extra... extra) {
  return std::make_unique<Impl>(path, settings, extra...);
}

const Family<Detector> kDetectors[] = {
    {"yunet_detector", construct<Detector, YuNetDetector>},
};

const Family<Embedder> kEmbedders[] = {
    {"sface_embedder", construct<Embedder, SFaceEmbedder>},
    {"mobilefacenet_embedder", construct<Embedder, MobileFaceNetEmbedder>},
};

const Family<LivenessModel, float> kLivenessModels[] = {
    {"minifasnet_liveness", construct<LivenessModel, MiniFASNetLiveness, float>},
};

const Family<AttributeModel, float> kAttributeModels[] = {
    {"mini_xception_attribute", construct<AttributeModel, MiniXceptionAttribute, float>},
};

const Family<LandmarkModel> kLandmarkModels[] = {
    {"openseeface_landmarker", construct<LandmarkModel, OpenSeeFaceLandmarker>},
};

template <typename Role, size_t N, typename... Extra>
std::unique_ptr<Role> make(const Family<Role, Extra...> (&families)[N], const ModelSpec& spec,
                           const SessionSettings& settings, const char* role, Extra... extra) {
  std::string known;
  for (const Family<Role, Extra...>& f : families) {
    if (spec.family == f.name) return f.make(spec.path, settings, extra...);
    known += (known.empty() ? "" : ", ") + std::string(f.name);
  }
  throw Error(ErrorCode::kModelInvalid, std::string("unknown ") + role + " family '" +
                                            spec.family + "' for " + spec.path +
                                            "; known: " + known);
}

}  // namespace

std::unique_ptr<Detector> make_detector(const ModelSpec& spec, const SessionSettings& settings) {
  return make(kDetectors, spec, settings, "detector");
}

std::unique_ptr<Embedder> make_embedder(const ModelSpec& spec, const SessionSettings& settings) {
  return make(kEmbedders, spec, settings, "embedder");
}

std::unique_ptr<LivenessModel> make_liveness_model(const ModelSpec& spec,
                                                   const SessionSettings& settings,
                                                   float crop_scale) {
  return make(kLivenessModels, spec, settings, "liveness", crop_scale);
}

std::unique_ptr<AttributeModel> make_attribute_model(const ModelSpec& spec,
                                                     const SessionSettings& settings,
                                                     float margin) {
  return make(kAttributeModels, spec, settings, "attribute", margin);
}

std::unique_ptr<LandmarkModel> make_landmark_model(const ModelSpec& spec,
                                                   const SessionSettings& settings) {
  return make(kLandmarkModels, spec, settings, "landmarks");
}

}  // namespace faceedge
