"""What a :class:`~faceedge.stream.FaceTracker` reports: one event per change of a track.

Kinds, in the order a track meets them:

``track_started``  a face was detected in ``min_hits`` frames and gets a stable ``track_id``.
``recognised``     the track's best shot was searched and a user scored ``match_threshold`` or
                   more (``user_id``, ``group_id``, ``score``); again after a re-check that
                   finds another user or none.
``stranger``       the best shot was searched and nobody reached the threshold (``score`` is
                   the nearest user's, below it); also after a re-check.
``live``           action liveness saw what only a live face does (non-rigid motion or a blink)
                   and the passive model agreed over the same frames.
``spoof``          action liveness refused the track: the passive model's median live score was
                   under its threshold, or no non-rigid motion and no blink within its window.
``access``         a recognised user is also live: the moment a gate opens. Once per track.
``track_ended``    the track is over (``reason``: ``lost``, ``scene_cut``, ``appearance_jump``,
                   ``stopped``); its id is never reused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

__all__ = ["StreamEvent", "EVENT_KINDS"]

EVENT_KINDS = ("track_started", "recognised", "stranger", "live", "spoof", "access",
               "track_ended")


@dataclass(frozen=True)
class StreamEvent:
    """One event of a track (see the module docstring for the kinds)."""

    kind: str
    track_id: int
    frame_index: int
    timestamp: float                      # seconds: the source's clock (file position or wall)
    box: Tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # x, y, w, h in the frame
    user_id: Optional[str] = None
    group_id: Optional[str] = None
    user_info: Optional[str] = None
    score: Optional[float] = None         # 0..100 similarity of the search
    live_score: Optional[float] = None    # median passive (MiniFASNet) live probability
    reason: Optional[str] = None          # why a spoof / track_ended / re-check happened
    details: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: None fields left out, numbers rounded for reading."""
        out: Dict[str, Any] = {"event": self.kind, "track_id": self.track_id,
                               "frame": self.frame_index, "time": round(self.timestamp, 3),
                               "box": [round(float(v), 1) for v in self.box]}
        for name in ("user_id", "group_id", "user_info", "reason"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.score is not None:
            out["score"] = round(float(self.score), 2)
        if self.live_score is not None:
            out["live_score"] = round(float(self.live_score), 3)
        if self.details:
            out["details"] = self.details
        return out
