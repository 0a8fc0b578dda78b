#pragma once
#include <string>

#include "faceedge/runtime.h"
#include "models/crop_embedder.h"

namespace faceedge {

// MobileFaceNet (foamliu): input "input0" [1,3,112,112] RGB, (x/255 - mean) / std with the
// ImageNet mean and std; output "output0" [1,128].
class MobileFaceNetEmbedder final : public CropEmbedder {
 public:
  MobileFaceNetEmbedder(const std::string& model_path, const SessionSettings& settings);
};

}  // namespace faceedge
