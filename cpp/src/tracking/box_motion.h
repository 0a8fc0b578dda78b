#pragma once
// The constant-velocity model of a track's box: centre and size move by a smoothed per-frame
// velocity between detections.
#include "faceedge/tracker.h"

namespace faceedge {

// Moves the track's box (and its landmarks with it) one frame along its velocity.
void advance_box(Track& track);

// A detection continues the track: the velocity is updated from the displacement since the last
// detection (spread over the frames in between), then box and landmarks take the detection's.
void correct_box(Track& track, const Face& detection, float gain);

}  // namespace faceedge
