// Least-squares similarity transform between two 5-point sets (Umeyama 1991).
//
// In 2-D, a similarity without reflection is x' = a*x - b*y + tx, y' = b*x + a*y + ty with
// a = s*cos(t), b = s*sin(t). Umeyama's closed form (SVD of the cross-covariance, with the sign
// fix that forbids a reflection) reduces here to a linear least-squares problem in (a, b) on the
// centred points, whose solution is
//   a = sum(p . q) / sum(|p|^2),   b = sum(p x q) / sum(|p|^2),
// p = from - mean(from), q = to - mean(to), then t = mean(to) - [a -b; b a] mean(from).
// Every (a, b) is a proper rotation times a scale >= 0, so no reflection can come out, and the
// result equals Umeyama's SVD form (as skimage's SimilarityTransform uses it; tests/test_align.py
// checks against an SVD implementation). Computed in double.
#include <cmath>
#include <string>

#include "faceedge/align.h"
#include "faceedge/error.h"

namespace faceedge {

const Landmarks5 kArcFaceTemplate112 = {{
    {38.2946f, 51.6963f},  // right eye (image left)
    {73.5318f, 51.5014f},  // left eye
    {56.0252f, 71.7366f},  // nose tip
    {41.5493f, 92.3655f},  // right mouth corner
    {70.7299f, 92.2041f},  // left mouth corner
}};

namespace {

void check_finite(const Landmarks5& points, const char* which) {
  for (const Point& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      throw Error(ErrorCode::kInvalidArgument,
                  std::string("estimate_similarity: ") + which + " points are not finite");
    }
  }
}

struct Mean {
  double x = 0.0;
  double y = 0.0;
};

Mean mean_of(const Landmarks5& points) {
  Mean m;
  for (const Point& p : points) {
    m.x += p.x;
    m.y += p.y;
  }
  m.x /= static_cast<double>(points.size());
  m.y /= static_cast<double>(points.size());
  return m;
}

}  // namespace

Affine2x3 estimate_similarity(const Landmarks5& from, const Landmarks5& to) {
  check_finite(from, "source");
  check_finite(to, "destination");
  const Mean mf = mean_of(from);
  const Mean mt = mean_of(to);

  double var = 0.0, dot = 0.0, cross = 0.0;
  for (size_t i = 0; i < from.size(); ++i) {
    const double px = from[i].x - mf.x, py = from[i].y - mf.y;
    const double qx = to[i].x - mt.x, qy = to[i].y - mt.y;
    var += px * px + py * py;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  if (!(var > 1e-12)) {
    throw Error(ErrorCode::kInvalidArgument,
                "estimate_similarity: the source points all coincide; no transform exists");
  }
  const double a = dot / var;
  const double b = cross / var;
  const double tx = mt.x - (a * mf.x - b * mf.y);
  const double ty = mt.y - (b * mf.x + a * mf.y);
  return {static_cast<float>(a), static_cast<float>(-b), static_cast<float>(tx),
          static_cast<float>(b), static_cast<float>(a),  static_cast<float>(ty)};
}

}  // namespace faceedge
