"""What a live face does and a photo cannot: measures on OpenSeeFace's 66 landmarks.

Point indices (shared/models/README.md 7): 36-41 and 42-47 the two eyes (corner, two upper-lid
points, corner, two lower-lid points), 48-57 the outer lip, 58 and 62 the inner mouth corners,
59-61 the upper and 63-65 the lower inner lip.

* ``eye_aspect_ratio``: lid opening over eye width (Soukupova and Cech's EAR); drops towards 0
  in a blink.
* ``mouth_opening``: inner-lip gap over mouth width; changes as a person talks.
* ``nonrigid_residual``: how far the points moved in a way no affine map of the earlier frame's
  points explains (a photo moved, rotated, scaled or tilted mildly is close to affine; a face
  that talks, blinks or turns its head in depth is not), in units of the eye distance.

Everything here is a few dozen numbers per face, so it is plain numpy.
"""
from __future__ import annotations

import numpy as np

RIGHT_EYE = np.arange(36, 42)   # image-left eye
LEFT_EYE = np.arange(42, 48)
UPPER_INNER_LIP = np.array([59, 60, 61])
LOWER_INNER_LIP = np.array([65, 64, 63])  # the points facing 59, 60, 61
MOUTH_CORNERS = np.array([58, 62])
# The points that hold a face's rigid frame: brows, nose, eye corners (not lids, not mouth, not
# the jaw contour, which moves with talking and slides with head turns).
RIGID_POINTS = np.concatenate([np.arange(17, 36), [36, 39, 42, 45]])


def _eye_ratio(eye: np.ndarray) -> float:
    width = np.linalg.norm(eye[0] - eye[3])
    lids = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    return float(lids / (2.0 * width)) if width > 0 else 0.0


def eye_aspect_ratio(points: np.ndarray) -> float:
    """Mean EAR of the two eyes of one face's (66, 2) points."""
    return 0.5 * (_eye_ratio(points[RIGHT_EYE]) + _eye_ratio(points[LEFT_EYE]))


def mouth_opening(points: np.ndarray) -> float:
    """Mean inner-lip gap over the inner mouth width."""
    width = np.linalg.norm(points[MOUTH_CORNERS[0]] - points[MOUTH_CORNERS[1]])
    gap = np.linalg.norm(points[UPPER_INNER_LIP] - points[LOWER_INNER_LIP], axis=1).mean()
    return float(gap / width) if width > 0 else 0.0


def eye_distance(points: np.ndarray) -> float:
    """Distance between the two eye centres (the unit of the residual)."""
    return float(np.linalg.norm(points[RIGHT_EYE].mean(0) - points[LEFT_EYE].mean(0)))


def nonrigid_residual(before: np.ndarray, after: np.ndarray) -> float:
    """RMS distance of ``after`` from the best affine map of ``before`` (least squares over all
    66 points), over the eye distance in ``after``."""
    a = np.asarray(before, dtype=np.float64)
    b = np.asarray(after, dtype=np.float64)
    design = np.hstack([a, np.ones((len(a), 1))])
    coef, *_ = np.linalg.lstsq(design, b, rcond=None)
    residual = b - design @ coef
    unit = eye_distance(b)
    return float(np.sqrt((residual ** 2).sum(1).mean()) / unit) if unit > 0 else 0.0
