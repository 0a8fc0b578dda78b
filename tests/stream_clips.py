"""Spoof attack sequences synthesised from still photos, for the stream tests (no files written).

Two attacks a gate camera sees, made deterministic (seeded) so a test can fail only when the
code changes:

* ``printed_photo_clip``: the still printed on paper (a white margin around it) held up and
  moved in front of the camera: translated, rotated, scaled and tilted (a mild perspective warp
  of the sheet's corners) along smooth paths, over a fixed background, with sensor noise.
* ``screen_replay_clip``: the still shown on a phone: inside a black bezel, brighter and bluer
  than paper, with a moire pattern (the camera sampling the screen's pixel grid), a moving glare
  spot and the same rigid hand motion.

Both are rigid: whatever moves, moves as one plane, and the face never blinks or talks. The
frames are 640x360 BGR like the Hamilton test clip.
"""
from __future__ import annotations

from typing import List

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 360


def _background(rng: np.random.Generator) -> np.ndarray:
    """A plain room: a vertical gradient wall with a darker floor band and mild texture."""
    y = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None, None]
    wall = np.array([120, 135, 150], np.float32) * (1.0 - 0.35 * y)
    img = np.broadcast_to(wall, (HEIGHT, WIDTH, 3)).copy()
    img[int(HEIGHT * 0.8):] *= 0.6
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return cv2.GaussianBlur(img, (0, 0), 3)


def _face_card(still: np.ndarray, face_height: float, face_box) -> np.ndarray:
    """The still scaled so its face is ``face_height`` px tall, cropped to about 2.2 face sizes."""
    x, y, w, h = face_box
    cx, cy = x + w / 2, y + h / 2
    half_w, half_h = 1.1 * w, 1.25 * h
    x0, x1 = int(max(0, cx - half_w)), int(min(still.shape[1], cx + half_w))
    y0, y1 = int(max(0, cy - half_h)), int(min(still.shape[0], cy + half_h))
    card = still[y0:y1, x0:x1]
    scale = face_height / h
    return cv2.resize(card, (max(1, int(card.shape[1] * scale)), max(1, int(card.shape[0] * scale))),
                      interpolation=cv2.INTER_AREA)


def _place(frame: np.ndarray, card: np.ndarray, t: float, seed_phase: float) -> np.ndarray:
    """Warps ``card`` onto ``frame`` with the hand-held motion at time ``t`` (0..1)."""
    ch, cw = card.shape[:2]
    src = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    angle = np.deg2rad(8.0 * np.sin(2 * np.pi * (1.3 * t + seed_phase)))
    scale = 1.0 + 0.12 * np.sin(2 * np.pi * (0.9 * t + 0.3))
    cx = WIDTH / 2 + 110 * np.sin(2 * np.pi * (0.7 * t + seed_phase))
    cy = HEIGHT / 2 + 25 * np.sin(2 * np.pi * (1.1 * t + 0.2))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centred = (src - [cw / 2, ch / 2]) * scale
    dst = centred @ rot.T + [cx, cy]
    # Tilting the sheet: one side recedes (perspective), by up to 6 % of its size.
    tilt = 0.06 * np.sin(2 * np.pi * (0.8 * t + 0.5))
    dst[[1, 2], 1] += np.array([-1, 1]) * tilt * ch * 0.5
    dst[[0, 3], 1] -= np.array([-1, 1]) * tilt * ch * 0.5
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    warped = cv2.warpPerspective(card, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), matrix, (WIDTH, HEIGHT))
    out = frame.copy()
    out[mask > 127] = warped[mask > 127]
    return out


def _finish(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Camera noise and slight optical blur."""
    noisy = cv2.GaussianBlur(frame.astype(np.float32), (0, 0), 0.7)
    noisy += rng.normal(0, 3.0, noisy.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def printed_photo_clip(still: np.ndarray, face_box, frames: int = 90, face_height: float = 120,
                       seed: int = 1) -> List[np.ndarray]:
    """A printed photo of ``still`` (BGR) moved rigidly in front of the camera, ``frames`` long."""
    rng = np.random.default_rng(seed)
    card = _face_card(still, face_height, face_box)
    margin = max(4, card.shape[0] // 14)
    paper = cv2.copyMakeBorder(card, margin, margin, margin, margin, cv2.BORDER_CONSTANT,
                               value=(235, 238, 240))
    paper = np.clip(paper.astype(np.float32) * 0.92 + 10, 0, 255).astype(np.uint8)  # matte ink
    background = _background(rng)
    out = []
    for i in range(frames):
        placed = _place(background, paper, i / frames, 0.1 * seed)
        out.append(_finish(placed, rng))
    return out


def screen_replay_clip(still: np.ndarray, face_box, frames: int = 90, face_height: float = 120,
                       seed: int = 2) -> List[np.ndarray]:
    """``still`` shown on a phone screen held in front of the camera: bezel, moire, glare."""
    rng = np.random.default_rng(seed)
    card = _face_card(still, face_height, face_box).astype(np.float32)
    h, w = card.shape[:2]
    # A backlit screen: brighter, bluish, with the camera's moire over the pixel grid.
    card = card * 1.1 + np.array([18, 6, 0], np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    moire = 1.0 - 0.08 * (0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(0.3) + yy * np.sin(0.3)) / 5.3))
    card *= moire[:, :, None]
    screen = np.clip(card, 0, 255).astype(np.uint8)
    bezel = max(6, h // 12)
    phone = cv2.copyMakeBorder(screen, bezel * 2, bezel * 2, bezel, bezel, cv2.BORDER_CONSTANT,
                               value=(20, 20, 22))
    background = _background(rng)
    out = []
    ph, pw = phone.shape[:2]
    gy, gx = np.mgrid[0:ph, 0:pw].astype(np.float32)
    for i in range(frames):
        t = i / frames
        # The glare spot slides over the glass as the phone turns.
        cx, cy = pw * (0.3 + 0.4 * t), ph * (0.25 + 0.2 * np.sin(2 * np.pi * t))
        glare = 90 * np.exp(-(((gx - cx) ** 2) + ((gy - cy) ** 2)) / (2 * (0.25 * pw) ** 2))
        lit = np.clip(phone.astype(np.float32) + glare[:, :, None], 0, 255).astype(np.uint8)
        out.append(_finish(_place(background, lit, t, 0.1 * seed), rng))
    return out
