#pragma once
// BGR uint8 image -> float32 NCHW planar tensor, in one bilinear pass, with the per-channel
// normalisation a model expects. No OpenCV: the sampling follows cv::resize(INTER_LINEAR)'s
// pixel-centre convention so results agree with OpenCV-based reference pipelines.
#include <array>

#include "faceedge/types.h"

namespace faceedge {

enum class ChannelOrder { kBgr, kRgb };  // channel order of the output planes

// out = (x * scale - mean[c]) / std[c], where c counts the output planes (after reordering).
struct PixelNormalization {
  ChannelOrder order = ChannelOrder::kBgr;
  float scale = 1.f;
  std::array<float, 3> mean{0.f, 0.f, 0.f};
  std::array<float, 3> std{1.f, 1.f, 1.f};
};

// Resizes `image` by `scale` into the top-left corner of a 3 x out_height x out_width planar
// buffer (`out`, out_width * out_height * 3 floats). Everything right of or below the resized
// image is 0 (bottom/right padding). Pixel (x, y) of the output samples the source at
// ((x + 0.5) / scale - 0.5, (y + 0.5) / scale - 0.5), clamped to the image.
void letterbox_to_planar(const ImageView& image, float scale, int out_width, int out_height,
                         const PixelNormalization& norm, float* out);

// Stretches `image` to exactly out_width x out_height (an exact copy when the sizes already
// match, as for 112x112 aligned crops) into a planar buffer with the same normalisation.
void resize_to_planar(const ImageView& image, int out_width, int out_height,
                      const PixelNormalization& norm, float* out);

}  // namespace faceedge
