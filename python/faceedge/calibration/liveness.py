"""``calibrate liveness``: live and attack captures -> APCER / BPCER and the LOW / NORMAL / HIGH
thresholds.

``DIR/live`` and ``DIR/spoof`` hold photos, or clips whose every ``frame_step``-th frame counts as
one capture. Each capture's largest face gets the engine's fused live score. APCER (attacks
accepted) and BPCER (live faces refused) follow ISO/IEC 30107-3. Baidu names the three
liveness_control levels after the false-reject rate they promise: LOW = ``frr_1e-4``, NORMAL =
``frr_1e-3``, HIGH = ``frr_1e-2``; each threshold here is the highest score whose BPCER
has a 95 % upper bound within the level's target (the targets can be chosen). Where the live
count cannot support the target at all (fewer than about 3 / target live captures), the level
keeps the observed point and the file lists it under ``refused`` with the count it would take.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from ..errors import FaceEdgeError, error
from ..progress import Progress
from .files import Calibration, data_digest, new_calibration
from .inputs import VIDEO_SUFFIXES, media_files, subfolder, video_frames
from .stats import (count_at_or_above, count_below, most_errors_supported, threshold_at_rate,
                    trials_needed, upper_bound)

__all__ = ["calibrate_liveness", "LEVEL_KEYS", "DEFAULT_FRR"]

LEVEL_KEYS = (("LOW", "frr_1e-4"), ("NORMAL", "frr_1e-3"), ("HIGH", "frr_1e-2"))
DEFAULT_FRR = (1e-4, 1e-3, 1e-2)
TABLE_THRESHOLDS = tuple(round(0.1 * k, 1) for k in range(1, 10))


def calibrate_liveness(engine: Any, directory: Union[str, Path],
                       frr: Sequence[float] = DEFAULT_FRR, frame_step: int = 5,
                       progress: Optional[bool] = None) -> Calibration:
    """Live scores of ``directory``/live and ``directory``/spoof, and the level thresholds.

    Args:
        engine: the :class:`~faceedge.FaceEngine` whose liveness set is calibrated.
        directory: holds ``live/`` and ``spoof/`` (photos or clips, sub-folders allowed).
        frr: the false-reject targets of LOW, NORMAL and HIGH (Baidu: 1e-4, 1e-3, 1e-2).
        frame_step: of a clip, every ``frame_step``-th frame is one capture.
        progress: draw a progress bar (None: only on a terminal).

    Raises:
        CalibrationError: 229032 no live or no spoof capture with a face.
        InvalidParameterError: 229014 a missing folder or bad ``frr`` / ``frame_step``.
    """
    root = Path(directory)
    targets = [float(v) for v in frr]
    if len(targets) != 3 or not all(0.0 < v < 1.0 for v in targets) or \
            sorted(targets) != targets:
        raise error(229014, "calibrate liveness: frr takes 3 false-reject rates in (0, 1) for "
                            f"LOW, NORMAL, HIGH in increasing order, got {list(frr)!r}")
    if isinstance(frame_step, bool) or not isinstance(frame_step, int) or frame_step < 1:
        raise error(229014, f"calibrate liveness: frame_step must be an int >= 1, got "
                            f"{frame_step!r}")
    folders = {name: subfolder(root, name, "liveness") for name in ("live", "spoof")}
    files = {name: media_files(folder, videos=True) for name, folder in folders.items()}
    skipped: List[Dict[str, str]] = []
    scores: Dict[str, List[float]] = {"live": [], "spoof": []}
    with Progress(sum(len(v) for v in files.values()), "calibrate liveness",
                  enabled=progress) as bar:
        for name, paths in files.items():
            for path in paths:
                for label, image in _captures(path, frame_step):
                    try:
                        face = engine.detect(image, face_field=["liveness"]).face_list[0]
                        scores[name].append(float(face.liveness))
                    except FaceEdgeError as exc:
                        if exc.error_code not in (222202, 216200, 216201, 216202):
                            raise
                        skipped.append({"file": f"{path.relative_to(root).as_posix()}{label}",
                                        "reason": exc.error_msg})
                bar.advance()
    live, spoof = np.asarray(scores["live"]), np.asarray(scores["spoof"])
    for name, got in (("live", live), ("spoof", spoof)):
        if len(got) == 0:
            raise error(229032, f"calibrate liveness: no {name} capture in {str(root)!r} has a "
                                "face")
    levels = {level: _level(key, target, live, spoof)
              for (level, key), target in zip(LEVEL_KEYS, targets)}
    thresholds = {row["key"]: row["threshold"] for row in levels.values()}
    table = [_row(t, live, spoof) for t in sorted(set(TABLE_THRESHOLDS) | set(thresholds.values()))]
    refused = [f"{level} ({row['key']}): {len(live)} live captures cannot support a false-reject "
               f"rate of {row['frr_target']:g} (even with none refused they bound it only below "
               f"{upper_bound(0, len(live)):.1e} at 95 %; observed: {row['false_rejects']} refused "
               f"at threshold {row['threshold']:.4f}); it takes at least {row['live_needed']} "
               "live captures"
               for level, row in levels.items() if not row["supported"]]
    live_set = engine.info()["models"].get("liveness") or {}
    from ..models import load_manifest

    manifest = load_manifest()
    members = {m: manifest.get(m).sha256 for m in live_set.get("members", [])}
    models = {"liveness": {"id": live_set.get("id"), "members": members},
              "detector": {"id": engine.detector_id,
                           "sha256": engine.info()["models"]["detector"]["sha256"]}}
    all_files = [p for v in files.values() for p in v]
    data = {"dir": str(root), "sha256": data_digest(root, all_files, f"frame_step={frame_step}"),
            "files": len(all_files), "frame_step": frame_step, "skipped": skipped}
    counts = {"live": int(len(live)), "spoof": int(len(spoof))}
    figures = {"thresholds": thresholds, "levels": levels, "table": table,
               "auc": _auc(live, spoof), "det": _det(live, spoof)}
    return new_calibration("liveness", models, data, counts, figures, refused)


def _captures(path: Path, step: int):
    if path.suffix.lower() in VIDEO_SUFFIXES:
        for index, frame in video_frames(path, step):
            yield f"#frame{index}", frame
    else:
        yield "", str(path)


def _level(key: str, target: float, live: np.ndarray, spoof: np.ndarray) -> Dict[str, Any]:
    """A level's threshold: the highest whose 95 % upper bound on the BPCER is <= ``target``
    when the live count allows one (``basis`` "bound"), else the observed point (BPCER <=
    target as seen, "observed (not supported)")."""
    k = most_errors_supported(len(live), target)
    supported = k >= 0
    t = threshold_at_rate(live, k / len(live) if supported else target, accept_above=False)
    return {"key": key, "frr_target": target, **_row(t, live, spoof), "supported": supported,
            "basis": "95 % upper bound <= frr" if supported else "observed (not supported)",
            "live_needed": None if supported else trials_needed(target)}


def _row(t: float, live: np.ndarray, spoof: np.ndarray) -> Dict[str, Any]:
    fr, fa = count_below(live, t), count_at_or_above(spoof, t)
    return {"threshold": t, "false_rejects": fr, "live": int(len(live)),
            "bpcer": fr / len(live), "bpcer_upper_95": upper_bound(fr, len(live)),
            "false_accepts": fa, "spoof": int(len(spoof)), "apcer": fa / len(spoof),
            "apcer_upper_95": upper_bound(fa, len(spoof))}


def _auc(live: np.ndarray, spoof: np.ndarray) -> float:
    """P(live score > spoof score), ties counted half (the Mann-Whitney form of the ROC AUC)."""
    diff = live[:, None] - spoof[None, :]
    return float((np.count_nonzero(diff > 0) + 0.5 * np.count_nonzero(diff == 0)) / diff.size)


def _det(live: np.ndarray, spoof: np.ndarray) -> Dict[str, List[float]]:
    grid = np.round(np.arange(0.0, 1.0001, 0.01), 2)
    return {"threshold": [float(v) for v in grid],
            "apcer": [count_at_or_above(spoof, t) / len(spoof) for t in grid],
            "bpcer": [count_below(live, t) / len(live) for t in grid]}

