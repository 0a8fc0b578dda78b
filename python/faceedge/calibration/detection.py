"""``calibrate detection``: photos with known faces -> recall and false detections per threshold.

Two layouts:

* ``DIR/boxes.json`` maps each photo (path relative to DIR) to its labelled faces,
  ``[[x, y, w, h], ...]`` in pixels of the upright image. A detection matches an unmatched label
  when their IoU is >= 0.5 (best first, greedy, highest score first); an unmatched detection is a
  false detection. Photos not listed are left out.
* No ``boxes.json``: every photo in DIR (and below) holds exactly one face. A photo with at least
  one detection counts as found (which detection is not checked); every detection past the first
  is a false one.

The detector runs once per photo at the lowest threshold of the table; a higher threshold keeps
the detections scoring at least that much (greedy NMS keeps a box only for boxes scoring higher,
so the kept set at a threshold is the same as a run at that threshold). The file's
``det_threshold`` is the lowest threshold of the table whose false detections per photo stay
within ``max_false_per_image``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from ..errors import FaceEdgeError, error
from ..images import load_image
from ..progress import Progress
from .files import Calibration, data_digest, new_calibration
from .inputs import media_files
from .stats import trials_needed, upper_bound

__all__ = ["calibrate_detection", "DET_THRESHOLDS", "IOU_MATCH"]

DET_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
IOU_MATCH = 0.5
MAX_FACES = 120  # Baidu's max_face_num limit: every face of a crowd photo
RECALL_CLAIM = 0.99  # the recall a gate would want stated: refused unless the count supports it


def calibrate_detection(engine: Any, directory: Union[str, Path],
                        max_false_per_image: float = 0.05,
                        progress: Optional[bool] = None) -> Calibration:
    """Recall and false detections of the engine's detector at each threshold of the table.

    Raises:
        CalibrationError: 229032 no usable photo; 229031 a malformed ``boxes.json``.
        InvalidParameterError: 229014 ``directory`` is not a folder.
    """
    root = Path(directory)
    if not root.is_dir():
        raise error(229014, f"calibrate detection: {str(root)!r} is not a folder")
    if not max_false_per_image >= 0:
        raise error(229014, f"max_false_per_image must be >= 0, got {max_false_per_image!r}")
    labels_file = root / "boxes.json"
    labelled = labels_file.is_file()
    truth = _read_boxes(labels_file, root) if labelled else None
    files = sorted(truth) if truth is not None else media_files(root)
    per_image: List[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]] = []
    skipped: List[Dict[str, str]] = []
    with Progress(len(files), "calibrate detection", enabled=progress) as bar:
        for f in files:
            try:
                raw = engine.core.detect(load_image(str(f)), MAX_FACES, 0, 0.0,
                                         score_threshold=min(DET_THRESHOLDS))
                per_image.append((np.asarray(raw["boxes"], dtype=np.float64),
                                  np.asarray(raw["scores"], dtype=np.float64),
                                  truth[f] if truth is not None else None))
            except FaceEdgeError as exc:
                if exc.error_code not in (216200, 216201, 216202):
                    raise
                skipped.append({"file": f.relative_to(root).as_posix(), "reason": exc.error_msg})
            bar.advance()
    if not per_image:
        raise error(229032, f"calibrate detection: no readable photo in {str(root)!r}")
    table = [_row(t, per_image, labelled) for t in DET_THRESHOLDS]
    within = [r for r in table if r["false_per_image"] <= max_false_per_image]
    chosen = within[0]["threshold"] if within else DET_THRESHOLDS[-1]
    faces = int(table[0]["faces"])
    at = next(r for r in table if r["threshold"] == chosen)
    refused = []
    if at["recall_lower_95"] < RECALL_CLAIM:
        refused.append(f"recall {RECALL_CLAIM:g} at threshold {chosen:g}: {at['found']} of "
                       f"{faces} faces found, 95 % lower bound {at['recall_lower_95']:.3f}; a "
                       f"recall claim of {RECALL_CLAIM:g} takes at least "
                       f"{trials_needed(1 - RECALL_CLAIM)} labelled faces with none missed")
    models = {"detector": {"id": engine.detector_id,
                           "sha256": engine.info()["models"]["detector"]["sha256"]}}
    data = {"dir": str(root), "sha256": data_digest(root, files + ([labels_file] if labelled else [])),
            "files": len(files), "labels": "boxes.json" if labelled else "one face per photo",
            "skipped": skipped}
    counts = {"images": len(per_image), "faces": faces}
    figures = {"det_threshold": chosen, "max_false_per_image": max_false_per_image,
               "iou_match": IOU_MATCH if labelled else None, "table": table}
    return new_calibration("detection", models, data, counts, figures, refused)


def _read_boxes(path: Path, root: Path) -> Dict[Path, np.ndarray]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(229031, f"cannot read {str(path)!r}: {exc}") from None
    if not isinstance(raw, dict) or not raw:
        raise error(229031, f"{str(path)!r} must map photo paths to lists of [x, y, w, h]")
    out: Dict[Path, np.ndarray] = {}
    for name, boxes in raw.items():
        try:
            arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        except (TypeError, ValueError):
            raise error(229031, f"{str(path)!r}: the boxes of {name!r} are not [[x, y, w, h], "
                                "...]") from None
        if not (root / name).is_file():
            raise error(229031, f"{str(path)!r} lists {name!r}, which is not a file in "
                                f"{str(root)!r}")
        out[root / name] = arr
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (n,4) with every box of ``b`` (m,4), [x, y, w, h]."""
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0]),
                 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1]),
                 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _row(t: float, per_image: List[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]],
         labelled: bool) -> Dict[str, Any]:
    found = false = faces = 0
    for boxes, scores, truth in per_image:
        keep = np.flatnonzero(scores >= t)
        keep = keep[np.argsort(-scores[keep], kind="stable")]
        if not labelled:
            faces += 1
            found += int(len(keep) > 0)
            false += max(0, len(keep) - 1)
            continue
        assert truth is not None
        faces += len(truth)
        if len(keep) == 0 or len(truth) == 0:
            false += len(keep)
            continue
        iou = _iou(boxes[keep], truth)
        used = np.zeros(len(truth), dtype=bool)
        for i in range(len(keep)):
            cand = np.where(used, -1.0, iou[i])
            j = int(np.argmax(cand))
            if cand[j] >= IOU_MATCH:
                used[j] = True
                found += 1
            else:
                false += 1
    misses = faces - found
    return {"threshold": t, "faces": faces, "found": found,
            "recall": found / faces if faces else 0.0,
            "recall_lower_95": 1.0 - upper_bound(misses, faces) if faces else 0.0,
            "false_detections": false, "images": len(per_image),
            "false_per_image": false / len(per_image)}
