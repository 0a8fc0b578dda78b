#include "models/mobilefacenet_embedder.h"

namespace faceedge {
namespace {

CropEmbedderSpec mobilefacenet_spec() {
  CropEmbedderSpec spec;
  spec.input = "input0";
  spec.output = "output0";
  spec.normalization.order = ChannelOrder::kRgb;
  spec.normalization.scale = 1.f / 255.f;
  spec.normalization.mean = {0.485f, 0.456f, 0.406f};  // ImageNet, R G B
  spec.normalization.std = {0.229f, 0.224f, 0.225f};
  return spec;
}

}  // namespace

MobileFaceNetEmbedder::MobileFaceNetEmbedder(const std::string& model_path,
                                             const SessionSettings& settings)
    : CropEmbedder(model_path, settings, mobilefacenet_spec()) {}

}  // namespace faceedge
