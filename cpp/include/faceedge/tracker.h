#pragma once
// Face tracking between detections: which detection continues which track, a constant-velocity
// box motion model for the frames in between, and the track lifecycle. No model runs here: the
// caller detects (on the full frame every few frames, or in crops around the predicted boxes)
// and hands the faces to update(); identity, best shot and liveness live in the caller's
// per-track state keyed by Track::id.
#include <cstdint>
#include <vector>

#include "faceedge/types.h"

namespace faceedge {

struct TrackerSettings {
  // A detection continues a track only if its box overlaps the track's predicted box by at
  // least this IoU ...
  float min_iou = 0.3f;
  // ... its size (sqrt of area) differs from the predicted one by at most this fraction ...
  float max_size_change = 0.4f;
  // ... and its 5 landmarks, placed in their box's unit square, lie within this mean distance
  // of the track's last ones (a different face at the same place, or a flipped detection,
  // arranges its points differently).
  float max_landmark_shift = 0.25f;
  // Frames a track coasts on its predicted box without a matching detection before it ends.
  int max_missed = 6;
  // Detections a track needs before it is confirmed (a flicker of the detector never is).
  int min_hits = 3;
  // Weight of the newest displacement in the velocity estimate (exponential smoothing).
  float velocity_gain = 0.5f;
  // Two detections of one frame overlapping by more than this IoU are one face (crops around
  // neighbouring tracks can both see it): the lower-scored one is dropped.
  float duplicate_iou = 0.5f;
};

struct Track {
  int64_t id = 0;          // unique within the Tracker, increasing from 1
  Box box;                 // last detected box, or the predicted one while coasting
  Landmarks5 landmarks{};  // last detected landmarks (moved with the box while coasting)
  float score = 0.f;       // last detection score
  int age = 0;             // frames since the track started
  int hits = 0;            // frames with a matching detection
  int missed = 0;          // consecutive frames without one
  bool confirmed = false;  // hits reached min_hits
  float vx = 0.f, vy = 0.f, vw = 0.f, vh = 0.f;  // box centre and size change per frame
};

struct TrackerStep {
  std::vector<int64_t> detection_track;  // per input detection: its track id, 0 if a duplicate
  std::vector<int64_t> confirmed;        // tracks confirmed in this step
  std::vector<int64_t> ended;            // tracks that ended in this step (confirmed ones only)
  std::vector<int64_t> dropped;          // unconfirmed tracks that ended (detector flicker)
};

class Tracker {
 public:
  explicit Tracker(const TrackerSettings& settings = {});

  // Moves every track one frame along its velocity. Call once per frame, before update().
  void predict();
  // Associates the frame's detections with the predicted tracks (greedy by IoU within the
  // gates above); an unmatched detection starts a track, an unmatched track coasts and ends
  // after max_missed frames. `covered`, when not empty, holds one flag per track (in tracks()
  // order) saying whether the detector looked where that track is predicted: an uncovered
  // track neither matches nor counts a miss (for detection in crops around some tracks only).
  TrackerStep update(const std::vector<Face>& detections, const std::vector<bool>& covered = {});
  // Ends every track (a scene cut, a restarted source); returns the confirmed ones ended.
  std::vector<int64_t> end_all();
  // Ends one track (its appearance jumped: the caller saw a different face in its box).
  bool end_track(int64_t id);

  const std::vector<Track>& tracks() const { return tracks_; }
  const TrackerSettings& settings() const { return settings_; }

 private:
  TrackerSettings settings_;
  std::vector<Track> tracks_;
  int64_t next_id_ = 1;
};

}  // namespace faceedge
