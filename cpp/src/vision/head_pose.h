#pragma once
#include "faceedge/types.h"

namespace faceedge {

// Yaw, pitch and roll in degrees (sign convention in types.h) from the 5 landmarks alone.
// An estimate for quality gates, not a 3-D fit: see head_pose.cpp for the method and limits.
Angle estimate_head_pose(const Landmarks5& landmarks);

}  // namespace faceedge
