#pragma once
// Per-face image quality: the figures Baidu face v3 reports under `quality` that a single image
// and a face box can give. Each measure is documented at the top of its file in cpp/src/quality/.
// Pose is not here (Engine::detect fills Face::angle); occlusion is not measured (no model).
#include <vector>

#include "faceedge/types.h"

namespace faceedge {

struct FaceQuality {
  float blur = 1.f;          // [0, 1], 0 sharp, 1 blurred (quality/blur.cpp)
  float illumination = 0.f;  // [0, 255], mean luma of the face box (quality/illumination.cpp)
  int completeness = 0;      // 1 when the face lies inside the image (quality/completeness.cpp)
  float size = 0.f;          // the shorter side of the box, in pixels
};

// Measures one face; `face.box` must be finite with width and height > 0 (else
// Error(kInvalidArgument)). Completeness also reads `face.landmarks` (all zero: box only).
// Thread-safe.
FaceQuality face_quality(const ImageView& image, const Face& face);

}  // namespace faceedge
