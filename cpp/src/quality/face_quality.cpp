// face_quality: validates the box, then runs each measure (see the other files of this folder).
#include <algorithm>
#include <cmath>
#include <string>

#include "faceedge/error.h"
#include "faceedge/quality.h"
#include "quality/quality.h"
#include "vision/image_check.h"

namespace faceedge {

FaceQuality face_quality(const ImageView& image, const Face& face) {
  check_image_view(image, "face_quality");
  const Box& box = face.box;
  const bool finite = std::isfinite(box.x) && std::isfinite(box.y) && std::isfinite(box.width) &&
                      std::isfinite(box.height);
  if (!finite || !(box.width > 0.f) || !(box.height > 0.f)) {
    throw Error(ErrorCode::kInvalidArgument,
                "face_quality: box [" + std::to_string(box.x) + ", " + std::to_string(box.y) +
                    ", " + std::to_string(box.width) + ", " + std::to_string(box.height) +
                    "] must be finite with width and height > 0");
  }
  FaceQuality q;
  q.blur = quality::blur(image, box);
  q.illumination = quality::illumination(image, box);
  q.completeness = quality::completeness(image, box, face.landmarks);
  q.size = std::min(box.width, box.height);
  return q;
}

}  // namespace faceedge
