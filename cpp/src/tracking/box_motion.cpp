// Constant-velocity box motion. A face in a gate camera moves smoothly over a few frames, so the
// last velocity predicts the next box well enough for an IoU match; the size velocity follows
// someone walking towards the camera. Velocities are smoothed exponentially (a detector's box
// jitters by a few pixels) and the size is never predicted below a pixel.
#include "tracking/box_motion.h"

#include <algorithm>

namespace faceedge {
namespace {

Point centre(const Box& b) { return {b.x + 0.5f * b.width, b.y + 0.5f * b.height}; }

}  // namespace

void advance_box(Track& track) {
  Box& b = track.box;
  const Point c = centre(b);
  const float w = std::max(1.f, b.width + track.vw);
  const float h = std::max(1.f, b.height + track.vh);
  const float nx = c.x + track.vx, ny = c.y + track.vy;
  // Landmarks follow the box: same place relative to it, scaled with it.
  const float sx = w / std::max(1e-3f, b.width), sy = h / std::max(1e-3f, b.height);
  for (Point& p : track.landmarks) {
    p.x = nx + (p.x - c.x) * sx;
    p.y = ny + (p.y - c.y) * sy;
  }
  b = {nx - 0.5f * w, ny - 0.5f * h, w, h};
}

void correct_box(Track& track, const Face& detection, float gain) {
  // `track.box` is the prediction made from the last detection `missed + 1` frames ago, so the
  // displacement since that detection is prediction-minus-velocity-steps plus the innovation.
  const int frames = track.missed + 1;
  const Point predicted = centre(track.box);
  const Point measured = centre(detection.box);
  const float last_x = predicted.x - track.vx * frames, last_y = predicted.y - track.vy * frames;
  const float last_w = track.box.width - track.vw * frames;
  const float last_h = track.box.height - track.vh * frames;
  const float mx = (measured.x - last_x) / frames, my = (measured.y - last_y) / frames;
  const float mw = (detection.box.width - last_w) / frames;
  const float mh = (detection.box.height - last_h) / frames;
  if (track.hits == 1) {  // the second detection: the first real velocity measurement
    track.vx = mx, track.vy = my, track.vw = mw, track.vh = mh;
  } else {
    track.vx += gain * (mx - track.vx);
    track.vy += gain * (my - track.vy);
    track.vw += gain * (mw - track.vw);
    track.vh += gain * (mh - track.vh);
  }
  track.box = detection.box;
  track.landmarks = detection.landmarks;
  track.score = detection.score;
}

}  // namespace faceedge
