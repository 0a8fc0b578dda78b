"""Finding a calibration's photos (and clip frames) in a folder, and reading them."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, Tuple

import numpy as np

from ..errors import error

__all__ = ["IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "media_files", "subfolder", "video_frames"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")


def subfolder(root: Path, name: str, what: str) -> Path:
    path = root / name
    if not path.is_dir():
        raise error(229014, f"calibrate {what}: {str(root)!r} has no {name}/ folder")
    return path


def media_files(folder: Path, videos: bool = False) -> List[Path]:
    """Photos (and with ``videos`` clips) directly in ``folder`` or below it, sorted."""
    suffixes = IMAGE_SUFFIXES + (VIDEO_SUFFIXES if videos else ())
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def video_frames(path: Path, step: int) -> Iterator[Tuple[int, np.ndarray]]:
    """Every ``step``-th frame of a clip as (frame index, BGR array); 216201 when unreadable."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise error(216201, f"cannot read the clip {str(path)!r}")
    try:
        index = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if index % step == 0:
                yield index, np.ascontiguousarray(frame)
            index += 1
    finally:
        cap.release()
