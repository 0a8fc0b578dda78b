"""What :class:`~faceedge.stream.FaceTracker` remembers about one confirmed track: its best shot,
its identity and the searches behind it, its liveness evidence, and what was reported."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np

from ..results import UserMatch
from .action_liveness import ActionLiveness

__all__ = ["TrackState", "TrackView", "shot_quality"]


def shot_quality(size: float, blur: float, yaw: float, pitch: float) -> float:
    """How good a frame of a face is for recognition, 0..1, from the figures the engine
    measures: big enough (100 px and up count fully), sharp (1 - blur) and frontal (yaw and
    pitch; roll does not matter, alignment removes it)."""
    size_term = min(1.0, max(0.0, size / 100.0))
    pose_term = max(0.0, 1.0 - max(abs(yaw), abs(pitch)) / 45.0)
    return float(size_term * max(0.0, 1.0 - blur) * pose_term)


@dataclass
class TrackState:
    """One confirmed track (see FaceTracker for the policy that fills it)."""

    track_id: int
    started_frame: int
    box: Tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    detections: int = 0                        # frames with a detection since confirmation
    best_quality: float = -1.0                 # of the best shot so far
    best_crop: Optional[np.ndarray] = None     # its 112x112 aligned crop
    searched_quality: Optional[float] = None   # quality of the shot last searched
    searches: int = 0                          # embeddings + library searches so far
    embedding: Optional[np.ndarray] = None     # of the shot last searched
    identity: Optional[UserMatch] = None       # the user the last search accepted
    nearest_score: Optional[float] = None      # the last search's best score (even if refused)
    decided: Optional[str] = None              # None, "recognised" or "stranger"
    last_verified: int = 0                     # frame of the last identity re-verification
    verify_pending: bool = False               # the appearance jumped: re-verify at once
    thumbnail: Optional[np.ndarray] = None     # 16x16 grey face patch of the last detection
    liveness: Optional[ActionLiveness] = None
    access_sent: bool = False
    missed: int = 0


@dataclass(frozen=True)
class TrackView:
    """A track as a frame shows it (for the table, the drawing and callers)."""

    track_id: int
    box: Tuple[float, float, float, float]
    coasting: bool                 # no detection this frame: the box is the motion prediction
    identity: str                  # "pending", "recognised", "stranger" or "not_searched"
    user_id: Optional[str] = None
    score: Optional[float] = None
    liveness: Optional[str] = None  # None (off or face too small), "pending", "live", "spoof"
    live_score: Optional[float] = None
    searches: int = 0
    detections: int = 0
    extra: dict = field(default_factory=dict)

    def to_dict(self):
        out = {"track_id": self.track_id, "box": [round(float(v), 1) for v in self.box],
               "coasting": self.coasting, "identity": self.identity, "searches": self.searches}
        if self.user_id is not None:
            out["user_id"] = self.user_id
        if self.score is not None:
            out["score"] = round(float(self.score), 2)
        if self.liveness is not None:
            out["liveness"] = self.liveness
        if self.live_score is not None:
            out["live_score"] = round(float(self.live_score), 3)
        return out
