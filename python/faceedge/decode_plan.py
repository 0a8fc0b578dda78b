"""How large to decode a photo: no larger than detection and the faces found need.

Two passes over a :class:`~faceedge.photo.Photo`:

1. **Detection** reads the largest reduction (1/1, 1/2, 1/4, 1/8) whose long side is still at
   least :data:`DETECTION_SIDE` px: the detector shrinks its input to 640 px on the long side
   anyway (``kMaxDynamicSide`` in cpp/src/models/yunet_detector.cpp), so a larger decode adds
   time and memory and no face. The reduced decode is area-averaged, which the detector's own
   bilinear shrink is not, so it sees a cleaner picture.
2. **The faces**: quality, liveness, attributes and the aligned crops read the largest
   reduction, no larger than the detection one, at which the smallest face kept still has a
   box of at least :data:`FACE_SIDE` px (a little over the aligned crop's 112 px, so the crop is
   sampled at 1:1 or finer). When that is the detection decode, nothing more is decoded; when a
   face is smaller, a second, larger decode is made (JPEG: straight from the file).
3. **The aligned crop** (what the embedder and the face-token cache read). The core's warp is
   bilinear, which aliases when it shrinks a large face several times over, so the embedding of
   a face would depend on the photo's resolution. A face over FACE_SIDE px is therefore halved
   by exact 2x2 averages while it stays at least 2 FACE_SIDE, warped to 224 px and averaged down
   to 112: every crop is sampled at 1..2 source pixels per output pixel, then area-averaged.
   Faces up to FACE_SIDE px keep the core's direct warp. Measured on the testdata portraits and
   20..24-Mpx JPEG upscales of them: cosine between a photo and its upscale 0.966..0.999 with the
   direct warp, 0.990..0.999 with this; same-person pairs score about the same (obama 0.737 ->
   0.743, biden 0.656 -> 0.664, alex 0.539 -> 0.556). It costs 0.6 ms a face.

Every coordinate the caller sees stays in the original image's pixels, exactly as if the full
image had been decoded: :class:`FoundFaces` keeps the core's arrays in the pixels of the image
the face work reads, with the scale back, and :meth:`FoundFaces.original` converts.

Photos no larger than 1279 px on the long side are read at full size in both passes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from .photo import REDUCTIONS, Photo, Scaled

__all__ = ["DETECTION_SIDE", "FACE_SIDE", "ARCFACE_TEMPLATE_112", "FoundFaces",
           "detection_reduction", "face_reduction", "find_faces", "aligned_crops", "embed_crops"]

DETECTION_SIDE = 640  # the detector's input long side
FACE_SIDE = 128       # face box side the aligned 112-px crop is made from (when larger)
_CROP_MARGIN = 0.75   # box sides of context kept around a face shrunk before its warp: the
                      # 112-px crop spans ~1.4 box widths, 2 when the face is rolled 45 degrees
_SUPERSAMPLE = 2      # a large face is warped to 2x the crop, then averaged down

# The standard ArcFace 112x112 template, in the detector's landmark order (right eye, left eye,
# nose tip, right mouth corner, left mouth corner; subject's sides). Aligning a crop onto it
# again is the identity, which is how crops are embedded.
ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
     [70.7299, 92.2041]], dtype=np.float32)
_MIN_REDUCED_SIDE = 24  # never reduce the short side below the smallest image accepted


def detection_reduction(width: int, height: int) -> int:
    """The largest reduction keeping the long side >= DETECTION_SIDE (and the short side
    >= 24 px); 1 for images too small to reduce."""
    long_side, short_side = max(width, height), min(width, height)
    for reduction in sorted(REDUCTIONS, reverse=True):
        if long_side / reduction >= DETECTION_SIDE and short_side / reduction >= _MIN_REDUCED_SIDE:
            return reduction
    return 1


def face_reduction(smallest_face: float, ceiling: int) -> int:
    """The largest reduction, at most ``ceiling``, at which a face box whose shorter side is
    ``smallest_face`` original pixels keeps at least FACE_SIDE px; 1 when none does."""
    for reduction in sorted(REDUCTIONS, reverse=True):
        if reduction <= ceiling and smallest_face / reduction >= FACE_SIDE:
            return reduction
    return 1


@dataclass(frozen=True)
class FoundFaces:
    """The detector's faces and the picture the per-face work reads.

    ``raw`` holds the core's arrays (``boxes`` x, y, w, h; ``scores``; ``landmarks`` n x 5 x 2;
    ``angles``) in the pixels of ``image``; original pixel = image pixel x (``scale_x``,
    ``scale_y``).
    """

    image: np.ndarray
    raw: Dict[str, np.ndarray]
    scale_x: float
    scale_y: float
    reductions: Tuple[int, int]  # (detection, faces): what was decoded, for tests and tools
    detected_on: np.ndarray      # the detection decode: fixed by the photo's size alone, so
                                 # what face tokens hash (the same photo, the same tokens)

    def __len__(self) -> int:
        return len(self.raw["boxes"])

    def original(self, i: int) -> Tuple[Tuple[float, float, float, float],
                                          Tuple[Tuple[float, float], ...]]:
        """Face ``i``'s box (left, top, width, height) and 5 landmarks in original pixels."""
        sx, sy = self.scale_x, self.scale_y
        x, y, w, h = (float(v) for v in self.raw["boxes"][i][:4])
        points = tuple((float(px) * sx, float(py) * sy) for px, py in self.raw["landmarks"][i][:5])
        return (x * sx, y * sy, w * sx, h * sy), points

    def original_size(self, pixels: float) -> float:
        """A length in ``image`` pixels (a face size) in original pixels."""
        return float(pixels) * min(self.scale_x, self.scale_y)


def _rescaled(raw: Dict[str, np.ndarray], fx: float, fy: float) -> Dict[str, np.ndarray]:
    """``raw`` with boxes and landmarks multiplied by (fx, fy); the other arrays as they are."""
    out = dict(raw)
    boxes = np.array(raw["boxes"], dtype=np.float32, copy=True)
    boxes[:, [0, 2]] *= fx
    boxes[:, [1, 3]] *= fy
    landmarks = np.array(raw["landmarks"], dtype=np.float32, copy=True)
    landmarks[..., 0] *= fx
    landmarks[..., 1] *= fy
    out["boxes"], out["landmarks"] = boxes, landmarks
    return out


def find_faces(core_engine: Any, photo: Photo, max_face_num: int, face_sort_type: int,
               min_face_size: float, score_threshold: float) -> FoundFaces:
    """Detect on the detection decode (faces scoring at least ``score_threshold``), then pick
    (and make, if larger) the decode the faces need. ``min_face_size`` is in original pixels.
    No face: an empty ``raw``, on the detection decode."""
    first = detection_reduction(photo.width, photo.height)
    seen: Scaled = photo.at(first)
    scale = min(seen.scale_x, seen.scale_y)
    raw = core_engine.detect(seen.image, max_face_num, face_sort_type,
                             float(min_face_size) / scale, float(score_threshold))
    if len(raw["boxes"]) == 0:
        return FoundFaces(seen.image, raw, seen.scale_x, seen.scale_y, (first, first), seen.image)
    boxes = np.asarray(raw["boxes"], dtype=np.float64)
    smallest = float(np.min(np.minimum(boxes[:, 2] * seen.scale_x, boxes[:, 3] * seen.scale_y)))
    second = face_reduction(smallest, first)
    if second == first:
        return FoundFaces(seen.image, raw, seen.scale_x, seen.scale_y, (first, first), seen.image)
    work = photo.at(second)
    raw = _rescaled(raw, seen.scale_x / work.scale_x, seen.scale_y / work.scale_y)
    return FoundFaces(work.image, raw, work.scale_x, work.scale_y, (first, second), seen.image)


def _aligned_crop(core: Any, image: np.ndarray, box: np.ndarray, landmarks: np.ndarray
                  ) -> np.ndarray:
    """Face ``box``'s 112x112 crop from ``image``: the core's warp for a face up to FACE_SIDE
    px; a larger one is first halved (exact 2x2 area averages) while it stays >= 2 FACE_SIDE,
    then warped at twice the crop's size and averaged 2x2 down to it."""
    import cv2

    x, y, w, h = (float(v) for v in box[:4])
    side = min(w, h)
    if not side > FACE_SIDE:
        return np.asarray(core.align_face(image, np.ascontiguousarray(landmarks)))
    source, points = image, np.asarray(landmarks, dtype=np.float32)
    if side >= 2 * FACE_SIDE:
        margin = _CROP_MARGIN * max(w, h)
        x0, y0 = max(0, int(x - margin)), max(0, int(y - margin))
        x1 = min(image.shape[1], int(np.ceil(x + w + margin)))
        y1 = min(image.shape[0], int(np.ceil(y + h + margin)))
        if x1 - x0 >= 4 and y1 - y0 >= 4:  # else a box outside the picture: nothing to shrink
            source, points = image[y0:y1, x0:x1], points - np.array([x0, y0], np.float32)
            while side >= 2 * FACE_SIDE and min(source.shape[:2]) >= 4:
                # fx=fy=0.5 takes OpenCV's exact 2x2 averaging path (a tenth of a general
                # INTER_AREA's time); pixel edges halve: x -> x / 2.
                source = cv2.resize(source, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
                points, side = points / 2, side / 2
    crop_side = _SUPERSAMPLE * 112
    matrix = np.asarray(core.estimate_similarity(np.ascontiguousarray(points, np.float32),
                                                 ARCFACE_TEMPLATE_112 * _SUPERSAMPLE))
    big = cv2.warpAffine(np.ascontiguousarray(source), matrix, (crop_side, crop_side),
                         flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.resize(big, None, fx=1 / _SUPERSAMPLE, fy=1 / _SUPERSAMPLE,
                      interpolation=cv2.INTER_AREA)


def aligned_crops(core: Any, found: FoundFaces, indices: Sequence[int]) -> List[np.ndarray]:
    """The 112x112 aligned crops of the faces ``indices`` (rows of ``found.raw``)."""
    return [np.ascontiguousarray(_aligned_crop(core, found.image, found.raw["boxes"][i],
                                               found.raw["landmarks"][i])) for i in indices]


def embed_crops(core_engine: Any, crops: Sequence[np.ndarray]) -> np.ndarray:
    """Embeddings of aligned crops in one batched call: the crops stacked into one picture,
    each aligned onto the template at its own offset (a whole-pixel shift, so the warp copies)."""
    if not crops:
        return np.zeros((0, int(core_engine.embedding_dim)), np.float32)
    stacked = np.ascontiguousarray(np.concatenate(crops, axis=0))
    side = crops[0].shape[0]
    offsets = np.zeros((len(crops), 1, 2), np.float32)
    offsets[:, 0, 1] = side * np.arange(len(crops), dtype=np.float32)
    landmarks = np.ascontiguousarray(ARCFACE_TEMPLATE_112[None] + offsets, dtype=np.float32)
    return np.asarray(core_engine.embed(stacked, landmarks), dtype=np.float32)
