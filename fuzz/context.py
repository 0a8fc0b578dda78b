"""What the harnesses share: the repository's photos, one engine, small seed images."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PHOTOS = REPO / "tests" / "data" / "faces"


@functools.lru_cache(maxsize=None)
def engine():
    import faceedge

    return faceedge.FaceEngine()  # the default pack (packaged, or models/ of this tree)


@functools.lru_cache(maxsize=None)
def small_face() -> np.ndarray:
    """obama_1 scaled to 160 px wide: one face, detected in a few ms."""
    import cv2

    image = cv2.imread(str(PHOTOS / "obama_1.jpg"))
    scale = 160.0 / image.shape[1]
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


@functools.lru_cache(maxsize=None)
def encoded_seeds() -> tuple:
    """Small real images in every format faceedge reads (JPEG, PNG, WebP, GIF, BMP)."""
    import cv2

    face = small_face()
    gray = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
    seeds = []
    for image in (face, gray, face[:31, :29]):
        for ext, params in ((".jpg", [cv2.IMWRITE_JPEG_QUALITY, 70]),
                            (".jpg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
                            (".png", []), (".webp", [cv2.IMWRITE_WEBP_QUALITY, 60]),
                            (".gif", []), (".bmp", [])):
            ok, data = cv2.imencode(ext, image, params)
            if ok:
                seeds.append(data.tobytes())
    return tuple(seeds)
