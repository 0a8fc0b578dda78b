// Track lifecycle: a track is born unconfirmed from an unmatched detection, confirmed after
// min_hits matched frames, coasts on its predicted box when the detector misses it, and ends
// after max_missed missed frames in a row (or when the caller ends it: a scene cut, an
// appearance jump). Ids are never reused, so an id that ended never names another face.
#include "faceedge/tracker.h"

#include <algorithm>
#include <string>

#include "faceedge/error.h"
#include "tracking/association.h"
#include "tracking/box_motion.h"

namespace faceedge {
namespace {

void check_settings(const TrackerSettings& s) {
  const auto fraction = [](float v) { return v >= 0.f && v <= 1.f; };
  if (!fraction(s.min_iou) || !fraction(s.duplicate_iou) || !fraction(s.velocity_gain) ||
      !(s.max_size_change >= 0.f) || !(s.max_landmark_shift >= 0.f) || s.max_missed < 0 ||
      s.min_hits < 1) {
    throw Error(ErrorCode::kInvalidArgument,
                "tracker settings out of range: min_iou, duplicate_iou and velocity_gain must be "
                "in [0, 1], max_size_change and max_landmark_shift >= 0, max_missed >= 0, "
                "min_hits >= 1");
  }
}

}  // namespace

Tracker::Tracker(const TrackerSettings& settings) : settings_(settings) {
  check_settings(settings_);
}

void Tracker::predict() {
  for (Track& track : tracks_) {
    advance_box(track);
    ++track.age;
  }
}

TrackerStep Tracker::update(const std::vector<Face>& detections,
                            const std::vector<bool>& covered) {
  if (!covered.empty() && covered.size() != tracks_.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                "covered must have one flag per track (" + std::to_string(tracks_.size()) +
                    "), got " + std::to_string(covered.size()));
  }
  const std::vector<bool> eligible = covered.empty() ? std::vector<bool>(tracks_.size(), true)
                                                     : covered;
  TrackerStep step;
  step.detection_track.assign(detections.size(), 0);
  const std::vector<bool> keep = unique_detections(detections, settings_.duplicate_iou);
  std::vector<Face> kept;
  std::vector<size_t> kept_index;
  for (size_t d = 0; d < detections.size(); ++d) {
    if (keep[d]) {
      kept.push_back(detections[d]);
      kept_index.push_back(d);
    }
  }
  std::vector<bool> matched_track(tracks_.size(), false), matched_det(kept.size(), false);
  for (const auto& [t, d] : associate(tracks_, eligible, kept, settings_)) {
    Track& track = tracks_[t];
    correct_box(track, kept[d], settings_.velocity_gain);
    ++track.hits;
    track.missed = 0;
    if (!track.confirmed && track.hits >= settings_.min_hits) {
      track.confirmed = true;
      step.confirmed.push_back(track.id);
    }
    matched_track[t] = matched_det[d] = true;
    step.detection_track[kept_index[d]] = track.id;
  }
  // Unmatched tracks the detector looked at count a miss; those past max_missed end. An
  // unconfirmed track ends at its first miss: a real face is seen again next frame.
  std::vector<Track> alive;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    Track& track = tracks_[t];
    if (!matched_track[t] && eligible[t]) ++track.missed;
    const int allowed = track.confirmed ? settings_.max_missed : 0;
    if (track.missed > allowed) {
      (track.confirmed ? step.ended : step.dropped).push_back(track.id);
    } else {
      alive.push_back(track);
    }
  }
  tracks_.swap(alive);
  for (size_t d = 0; d < kept.size(); ++d) {
    if (matched_det[d]) continue;
    Track track;
    track.id = next_id_++;
    track.box = kept[d].box;
    track.landmarks = kept[d].landmarks;
    track.score = kept[d].score;
    track.hits = 1;
    track.confirmed = settings_.min_hits <= 1;
    if (track.confirmed) step.confirmed.push_back(track.id);
    step.detection_track[kept_index[d]] = track.id;
    tracks_.push_back(track);
  }
  return step;
}

std::vector<int64_t> Tracker::end_all() {
  std::vector<int64_t> ended;
  for (const Track& track : tracks_) {
    if (track.confirmed) ended.push_back(track.id);
  }
  tracks_.clear();
  return ended;
}

bool Tracker::end_track(int64_t id) {
  const auto it = std::find_if(tracks_.begin(), tracks_.end(),
                               [id](const Track& t) { return t.id == id; });
  if (it == tracks_.end()) return false;
  tracks_.erase(it);
  return true;
}

}  // namespace faceedge
