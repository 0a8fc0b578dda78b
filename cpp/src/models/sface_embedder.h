#pragma once
#include <string>

#include "faceedge/runtime.h"
#include "models/crop_embedder.h"

namespace faceedge {

// SFace (opencv_zoo face_recognition_sface_2021dec, block-quantised int8): input "data"
// [1,3,112,112] RGB 0..255 (the graph subtracts 127.5 and scales itself), output "fc1" [1,128].
class SFaceEmbedder final : public CropEmbedder {
 public:
  SFaceEmbedder(const std::string& model_path, const SessionSettings& settings);
};

}  // namespace faceedge
