"""Action liveness: evidence over many frames of one track that only a live face gives.

A printed photo or a phone screen held in front of the camera can be moved, turned and tilted,
but it stays one plane: its landmarks move by (close to) an affine map and its eyes never close.
A live face talks, blinks and turns in depth. Per frame with a detection, the track's 66
OpenSeeFace landmarks and the passive MiniFASNet live score are recorded; the verdict needs

* action evidence: the median non-rigid residual (:func:`~.face_motion.nonrigid_residual`
  between frames ``lag`` apart) over the last ``window`` frames at least ``min_nonrigid``, or a
  blink (the eye aspect ratio dropping below ``blink_ratio`` of its running median), and
* passive agreement: the median MiniFASNet live score over the same frames at least
  ``min_live_score``.

Verdicts: ``live`` as soon as both hold (after at least ``min_frames`` frames); ``spoof`` when
the passive median is under its threshold once ``min_frames`` were seen, or when ``max_frames``
frames passed without action evidence. Until then the track is ``pending``.

Measured (the numbers behind the defaults; tests/test_action_liveness.py repeats them): on the
Hamilton clip the median 5-frame residual is 0.070 for Lin-Manuel Miranda talking (82-210),
0.045 for him in the 40 px wide shot, 0.149 for Alex Lacamoire in profile and 0.073 for the
audience; on 8 synthesised attacks (4 stills x printed photo and phone screen, moved, rotated,
scaled and tilted rigidly, tests/stream_clips.py) it is 0.010..0.0125 (90th percentile
<= 0.017). The default ``min_nonrigid`` 0.03 sits between. A photo bent or folded while it moves
is not rigid: against that the blink is the stronger evidence (set ``require_blink``).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Deque, Dict, Optional

import numpy as np

from .face_motion import eye_aspect_ratio, mouth_opening, nonrigid_residual

__all__ = ["ActionLivenessSettings", "ActionLiveness"]


@dataclass(frozen=True)
class ActionLivenessSettings:
    """Thresholds and windows of :class:`ActionLiveness` (frames are frames with landmarks)."""

    window: int = 30            # frames the medians are taken over (about 1 s at 30 fps)
    lag: int = 5                # frames between the two point sets of one residual
    min_frames: int = 12        # frames needed before any verdict
    max_frames: int = 90        # frames without action evidence before ``spoof`` (about 3 s)
    min_nonrigid: float = 0.03  # median residual (eye distances) that counts as a live face
    blink_ratio: float = 0.6    # EAR under this fraction of its median is a closed eye
    require_blink: bool = False  # demand a blink (non-rigid motion alone is not enough)
    min_live_score: float = 0.5  # median MiniFASNet live probability (liveness_control NORMAL)

    def __post_init__(self) -> None:
        from ..errors import error

        if self.lag < 1 or self.window < self.lag + 1 or self.min_frames < self.lag + 1 \
                or self.max_frames < self.min_frames:
            raise error(229014, "action liveness needs 1 <= lag < window, lag < min_frames "
                                f"<= max_frames, got {self}")
        if not 0 < self.blink_ratio < 1 or self.min_nonrigid <= 0 \
                or not 0 <= self.min_live_score <= 1:
            raise error(229014, "blink_ratio must be in (0, 1), min_nonrigid > 0 and "
                                f"min_live_score in [0, 1], got {self}")


class ActionLiveness:
    """The evidence and verdict of one track (see the module docstring)."""

    def __init__(self, settings: ActionLivenessSettings = ActionLivenessSettings()) -> None:
        self.settings = settings
        self._points: Deque[np.ndarray] = deque(maxlen=settings.window + settings.lag)
        self._residuals: Deque[float] = deque(maxlen=settings.window)
        self._ears: Deque[float] = deque(maxlen=settings.window)
        self._mouth: Deque[float] = deque(maxlen=settings.window)
        self._live_scores: Deque[float] = deque(maxlen=settings.window)
        self.frames = 0
        self.blinked = False
        self.moved = False
        self.verdict = "pending"   # pending | live | spoof
        self.reason: Optional[str] = None

    def observe(self, points: np.ndarray, live_score: float) -> str:
        """Adds one frame: the track's (66, 2) landmarks and its passive live score; returns the
        verdict (once ``live`` or ``spoof`` it stays)."""
        s = self.settings
        points = np.asarray(points, dtype=np.float64)
        self.frames += 1
        self._points.append(points)
        if len(self._points) > s.lag:
            self._residuals.append(nonrigid_residual(self._points[-1 - s.lag], points))
        ear = eye_aspect_ratio(points)
        if len(self._ears) >= s.lag and ear < s.blink_ratio * float(np.median(self._ears)):
            self.blinked = True
        self._ears.append(ear)
        self._mouth.append(mouth_opening(points))
        self._live_scores.append(float(live_score))
        if self.verdict != "pending" or self.frames < s.min_frames:
            return self.verdict
        if len(self._residuals) >= s.min_frames - s.lag \
                and self.nonrigid >= s.min_nonrigid:
            self.moved = True
        evidence = self.blinked if s.require_blink else (self.blinked or self.moved)
        if self.live_score < s.min_live_score:
            self.verdict, self.reason = "spoof", "passive"
        elif evidence:
            self.verdict = "live"
            self.reason = "blink" if self.blinked else "nonrigid_motion"
        elif self.frames >= s.max_frames:
            self.verdict = "spoof"
            self.reason = "no_blink" if s.require_blink else "rigid_no_blink"
        return self.verdict

    @property
    def nonrigid(self) -> float:
        """Median non-rigid residual over the window (0 before the first one)."""
        return float(np.median(self._residuals)) if self._residuals else 0.0

    @property
    def live_score(self) -> float:
        """Median passive live score over the window (0 before the first frame)."""
        return float(np.median(self._live_scores)) if self._live_scores else 0.0

    @property
    def action_evidence(self) -> bool:
        """Whether a blink or non-rigid motion has been seen (what the passive model cannot
        tell: the verdict of action liveness alone)."""
        return self.blinked if self.settings.require_blink else (self.blinked or self.moved)

    def summary(self) -> Dict[str, object]:
        """The figures behind the verdict, for events and logs."""
        mouth = np.asarray(self._mouth) if self._mouth else np.zeros(1)
        return {"frames": self.frames, "nonrigid": round(self.nonrigid, 4),
                "blink": self.blinked, "mouth_range": round(float(np.ptp(mouth)), 3),
                "live_score": round(self.live_score, 3)}
