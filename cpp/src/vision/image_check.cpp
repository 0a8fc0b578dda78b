#include "vision/image_check.h"

#include <string>

#include "faceedge/error.h"

namespace faceedge {

void check_image_view(const ImageView& image, const char* where) {
  const std::string prefix = std::string(where) + ": ";
  if (image.data == nullptr) throw Error(ErrorCode::kImageFormat, prefix + "image data is null");
  if (image.width <= 0 || image.height <= 0) {
    throw Error(ErrorCode::kImageFormat, prefix + "image size " + std::to_string(image.width) +
                                             "x" + std::to_string(image.height) +
                                             " is empty");
  }
  if (image.stride < static_cast<std::ptrdiff_t>(image.width) * 3) {
    throw Error(ErrorCode::kImageFormat,
                prefix + "row stride " + std::to_string(image.stride) + " is below width*3 = " +
                    std::to_string(static_cast<long long>(image.width) * 3));
  }
}

}  // namespace faceedge
