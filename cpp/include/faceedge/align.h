#pragma once
#include <array>

#include "faceedge/types.h"

namespace faceedge {

// 2x3 affine matrix [a b tx; c d ty] mapping source pixels to destination pixels.
using Affine2x3 = std::array<float, 6>;

// The standard ArcFace 112x112 template, in Landmarks5 order.
extern const Landmarks5 kArcFaceTemplate112;

// Least-squares similarity (rotation, uniform scale, translation; no reflection) taking `from`
// onto `to` (Umeyama's closed form).
Affine2x3 estimate_similarity(const Landmarks5& from, const Landmarks5& to);

// Bilinear warp of `image` through `m` into a size x size BGR crop; outside pixels are 0.
AlignedFace warp_affine_bgr(const ImageView& image, const Affine2x3& m, int size);

// Both steps for a detected face.
AlignedFace align_face(const ImageView& image, const Landmarks5& landmarks);

}  // namespace faceedge
