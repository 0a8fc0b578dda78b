#pragma once
#include "faceedge/types.h"

namespace faceedge {

// Throws Error(kImageFormat) naming `where` unless `image` is a usable BGR view: non-null data,
// width and height > 0, and rows at least width * 3 bytes apart.
void check_image_view(const ImageView& image, const char* where);

}  // namespace faceedge
