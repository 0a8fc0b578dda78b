// Completeness: 1 when the whole face lies inside the image, else 0 (Baidu: "0 = the face
// overflows the image border, 1 = the whole face is inside").
//
// Two tests, both must pass:
//   1. The face box lies inside the image. Image pixels span [0, W] x [0, H] in continuous
//      coordinates (pixel i covers [i, i+1)); the box [x, x+w] x [y, y+h] passes when 0 <= x,
//      0 <= y, x+w <= W and y+h <= H, with a tolerance of kTolerance = 0 px: any part outside
//      counts. YuNet regresses the whole face where the bottom or right edge cuts it (its box
//      then ends past the edge), so this catches those cuts.
//   2. The face extent implied by the 5 landmarks lies inside the image, with the same 0 px
//      tolerance. Why: where the top or left edge cuts the face, YuNet tends to stop its box at
//      the edge instead (on shared/testdata with 10..30 % of the face cut off: the box test
//      caught 1..3 of 11 top cuts and 4..9 of 11 left cuts), while its landmarks stay on the
//      eyes and mouth. How: with E the eye centre, M the mouth centre, d = |M - E| and the face
//      axis u = (M - E) / d, the extent is the rectangle from kForehead * d above E to kChin * d
//      below M, kCheek * d either side of the axis (so it turns with the face's roll). On the
//      ArcFace 112x112 template it spans x 23..89, y 11..109: the inner face the aligned crop
//      keeps. With both tests every one of those 88 cuts of 10..30 % read 0, and all 31 whole
//      faces in shared/testdata and shared/models/test_images read 1. Landmarks closer than
//      one pixel (d < 1, e.g. all zero: none given) skip test 2.
#include <algorithm>
#include <cmath>

#include "quality/quality.h"

namespace faceedge::quality {
namespace {

constexpr float kTolerance = 0.f;  // pixels the face may reach past an edge and still count
constexpr float kForehead = 1.0f;  // extent above the eye centre, in eye-to-mouth distances
constexpr float kChin = 0.4f;      // extent below the mouth centre
constexpr float kCheek = 0.8f;     // extent either side of the eye-mouth axis

bool point_inside(const ImageView& image, float x, float y) {
  return x >= -kTolerance && y >= -kTolerance && x <= image.width + kTolerance &&
         y <= image.height + kTolerance;
}

bool box_inside(const ImageView& image, const Box& box) {
  return point_inside(image, box.x, box.y) &&
         point_inside(image, box.x + box.width, box.y + box.height);
}

bool landmark_extent_inside(const ImageView& image, const Landmarks5& lm) {
  const float ex = (lm[0].x + lm[1].x) / 2, ey = (lm[0].y + lm[1].y) / 2;
  const float mx = (lm[3].x + lm[4].x) / 2, my = (lm[3].y + lm[4].y) / 2;
  const float d = std::hypot(mx - ex, my - ey);
  if (!(d >= 1.f)) return true;  // no usable landmarks (also NaN): the box test decides
  const float ux = (mx - ex) / d, uy = (my - ey) / d;  // down the face
  const float vx = -uy, vy = ux;                       // across it
  const float top_x = ex - kForehead * d * ux, top_y = ey - kForehead * d * uy;
  const float bottom_x = mx + kChin * d * ux, bottom_y = my + kChin * d * uy;
  const float side = kCheek * d;
  for (float s : {-side, side}) {
    if (!point_inside(image, top_x + s * vx, top_y + s * vy)) return false;
    if (!point_inside(image, bottom_x + s * vx, bottom_y + s * vy)) return false;
  }
  return true;
}

}  // namespace

int completeness(const ImageView& image, const Box& box, const Landmarks5& landmarks) {
  return box_inside(image, box) && landmark_extent_inside(image, landmarks) ? 1 : 0;
}

}  // namespace faceedge::quality
