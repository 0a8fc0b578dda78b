#include "models/model_factory.h"

#include <string>

#include "faceedge/error.h"
#include "models/mobilefacenet_embedder.h"
#include "models/sface_embedder.h"
#include "models/yunet_detector.h"

namespace faceedge {
namespace {

template <typename Role>
struct Family {
  const char* name;  // the manifest's `family`, the stem of the implementing file
  std::unique_ptr<Role> (*make)(const std::string& path, const SessionSettings& settings);
};

template <typename Role, typename Impl>
std::unique_ptr<Role> construct(const std::string& path, const SessionSettings& settings) {
  return std::make_unique<Impl>(path, settings);
}

const Family<Detector> kDetectors[] = {
    {"yunet_detector", construct<Detector, YuNetDetector>},
};

const Family<Embedder> kEmbedders[] = {
    {"sface_embedder", construct<Embedder, SFaceEmbedder>},
    {"mobilefacenet_embedder", construct<Embedder, MobileFaceNetEmbedder>},
};

template <typename Role, size_t N>
std::unique_ptr<Role> make(const Family<Role> (&families)[N], const ModelSpec& spec,
                           const SessionSettings& settings, const char* role) {
  std::string known;
  for (const Family<Role>& f : families) {
    if (spec.family == f.name) return f.make(spec.path, settings);
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

}  // namespace faceedge
