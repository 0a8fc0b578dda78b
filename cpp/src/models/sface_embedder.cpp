#include "models/sface_embedder.h"

#include "models/quantized_weights.h"

namespace faceedge {
namespace {

CropEmbedderSpec sface_spec() {
  CropEmbedderSpec spec;
  spec.input = "data";
  spec.output = "fc1";
  spec.normalization.order = ChannelOrder::kRgb;  // raw 0..255: the graph normalises
  return spec;
}

}  // namespace

// The shipped SFace is int8bq: fold its weights once (see quantized_weights.h).
SFaceEmbedder::SFaceEmbedder(const std::string& model_path, const SessionSettings& settings)
    : CropEmbedder(model_path, fold_weight_dequantization(settings), sface_spec()) {}

}  // namespace faceedge
