"""Annotated frames: what the gate saw, for a person to look at afterwards (``watch --draw``).

Each track gets its box and a label ``#id name score | live 0.98``. Colours: green for a
recognised live user (access), red for a spoof, orange for a recognised user whose liveness is
still pending, white for a stranger, grey for a track not (yet) searched; a dashed look
(thin box) while the track coasts on its predicted box.
"""
from __future__ import annotations

from typing import Iterable, Optional

import numpy as np

from .track_state import TrackView

__all__ = ["draw_tracks", "VideoWriter"]

GREEN, RED, ORANGE, WHITE, GREY = (60, 200, 60), (40, 40, 230), (0, 160, 255), (240, 240, 240), \
    (150, 150, 150)


def _colour(view: TrackView):
    if view.liveness == "spoof":
        return RED
    if view.identity == "recognised":
        return GREEN if view.liveness in ("live", None) else ORANGE
    if view.identity == "stranger":
        return WHITE
    return GREY


def label_of(view: TrackView) -> str:
    who = view.user_id if view.user_id else (view.identity if view.identity != "pending" else "?")
    text = f"#{view.track_id} {who}"
    if view.score is not None:
        text += f" {view.score:.0f}"
    if view.liveness is not None:
        text += f" | {view.liveness}"
        if view.live_score is not None:
            text += f" {view.live_score:.2f}"
    return text


def draw_tracks(frame: np.ndarray, views: Iterable[TrackView], caption: Optional[str] = None
                ) -> np.ndarray:
    """A copy of ``frame`` with every track's box and label (and a caption at the top left)."""
    import cv2

    out = frame.copy()
    for view in views:
        x, y, w, h = (int(round(v)) for v in view.box)
        colour = _colour(view)
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, 1 if view.coasting else 2)
        text = label_of(view)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
        top = max(0, y - th - base - 4)
        cv2.rectangle(out, (x, top), (x + tw + 4, top + th + base + 4), colour, -1)
        cv2.putText(out, text, (x + 2, top + th + 2), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
    if caption:
        cv2.putText(out, caption, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return out


class VideoWriter:
    """An MP4 (mp4v) writer opened at the first frame's size."""

    def __init__(self, path: str, fps: float) -> None:
        self.path, self.fps = str(path), float(fps) if fps and fps > 0 else 30.0
        self._writer = None
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        import cv2

        from ..errors import error

        if self._writer is None:
            h, w = frame.shape[:2]
            self._writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*"mp4v"), self.fps,
                                           (w, h))
            if not self._writer.isOpened():
                raise error(229014, f"--draw: cannot write a video to {self.path}")
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
