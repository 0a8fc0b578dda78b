"""``calibrate faces``: a site's own photos of known people -> the cosine for each false-accept rate.

``DIR/<person>/*.jpg``: every photo's largest face is embedded with the engine's own pipeline
(detector, alignment, embedder). Every pair of faces of one person is a genuine pair, every pair
of two people an impostor pair. For each target FAR the file gives two cosines:

* the observed point, ``cosine``: at most floor(FAR x pairs) impostor pairs at or above it (its
  observed FAR meets the target, its 95 % upper bound does not);
* the supported point, ``cosine_supported``: the lowest cosine whose 95 % upper bound on the FAR
  (:mod:`.stats`) is <= the target. It exists only with at least about 3 / FAR impostor pairs;
  without it the claim is ``refused``, with the pair count it would take.

Score 80 of the file's scale is the FAR 1e-4 supported point when the pairs allow one, else the
observed point (``score80.basis`` says which, and the file's ``refused`` says why).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import numpy as np

from ..errors import FaceEdgeError, error
from ..progress import Progress
from ..scores import cosine_from_score
from .files import Calibration, data_digest, new_calibration
from .in_force import SCORES_EXPLAINED
from .inputs import media_files
from .stats import (count_at_or_above, count_below, most_errors_supported, threshold_at_rate,
                    trials_needed, upper_bound)

__all__ = ["calibrate_faces", "TABLE_FARS", "CLAIMED_FARS"]

TABLE_FARS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)
CLAIMED_FARS = (1e-3, 1e-4, 1e-5)  # the points the issue and Baidu's scale care about
SCORE80_FAR = 1e-4


def calibrate_faces(engine: Any, directory: Union[str, Path],
                    progress: Optional[bool] = None) -> Calibration:
    """Measure genuine and impostor cosines on ``directory`` (``<person>/<photos>``).

    Args:
        engine: the :class:`~faceedge.FaceEngine` whose models are calibrated.
        directory: one sub-folder per person, holding that person's photos (jpg, png, bmp, webp).
        progress: draw a progress bar (None: only on a terminal).

    Returns:
        the :class:`Calibration` (kind ``faces``), not yet written: see ``write_calibration``.

    Raises:
        CalibrationError: 229032 fewer than 2 people with a face, or no genuine pair.
        InvalidParameterError: 229014 ``directory`` is not a folder.
    """
    root = Path(directory)
    if not root.is_dir():
        raise error(229014, f"calibrate faces: {str(root)!r} is not a folder")
    people = [(d.name, media_files(d)) for d in sorted(root.iterdir()) if d.is_dir()]
    files = [f for _, fs in people for f in fs]
    rows: List[np.ndarray] = []
    labels: List[int] = []
    skipped: List[Dict[str, str]] = []
    with Progress(len(files), "calibrate faces", enabled=progress) as bar:
        for k, (_, person_files) in enumerate(people):
            for f in person_files:
                try:
                    rows.append(engine.embed(str(f), max_face_num=1)[0])
                    labels.append(k)
                except FaceEdgeError as exc:
                    if exc.error_code not in (222202, 216200, 216201, 216202):
                        raise
                    skipped.append({"file": f.relative_to(root).as_posix(),
                                    "reason": exc.error_msg})
                bar.advance()
    lab = np.asarray(labels)
    with_faces = len(set(labels))
    if with_faces < 2:
        raise error(229032, f"calibrate faces: {str(root)!r} gives faces of {with_faces} "
                            "people; it takes at least 2 (one sub-folder per person)")
    genuine, impostor = _pair_cosines(np.asarray(rows, dtype=np.float32), lab)
    if len(genuine) == 0:
        raise error(229032, f"calibrate faces: no person in {str(root)!r} has 2 photos with a "
                            "face, so there is no same-person pair")

    table = [_far_row(far, genuine, impostor) for far in TABLE_FARS]
    by_far = {row["far_target"]: row for row in table}
    s80 = by_far[SCORE80_FAR]
    score80 = _score80(s80, genuine, impostor)
    scores = [_score_row(s, float(score80["cosine"]), genuine, impostor)
              for s in SCORES_EXPLAINED]
    refused = [_refusal(by_far[far]) for far in CLAIMED_FARS if not by_far[far]["supported"]]
    models = {"embedder": {"id": engine.embedder_id, "sha256": _sha(engine, "embedder"),
                           "embedding_space": _space(engine)},
              "detector": {"id": engine.detector_id, "sha256": _sha(engine, "detector")}}
    data = {"dir": str(root), "sha256": data_digest(root, files), "files": len(files),
            "people": len(people), "people_with_faces": with_faces, "faces": len(labels),
            "skipped": skipped}
    counts = {"genuine_pairs": int(len(genuine)), "impostor_pairs": int(len(impostor))}
    figures = {"score80": score80, "points": {f"{far:g}": by_far[far] for far in CLAIMED_FARS},
               "table": table, "scores": scores,
               "genuine": _summary(genuine), "impostor": _summary(impostor),
               "det": _det_curve(genuine, impostor)}
    return new_calibration("faces", models, data, counts, figures, refused)


def _pair_cosines(emb: np.ndarray, lab: np.ndarray) -> "tuple[np.ndarray, np.ndarray]":
    """Cosines of every same-person and every different-person pair, each sorted; one row at a
    time (a full n x n matrix and its index arrays would not fit for tens of thousands of
    faces)."""
    n = len(lab)
    per_person = np.bincount(lab)
    n_gen = int((per_person * (per_person - 1) // 2).sum())
    genuine = np.empty(n_gen, dtype=np.float32)
    impostor = np.empty(n * (n - 1) // 2 - n_gen, dtype=np.float32)
    g = i = 0
    for row in range(n - 1):
        cos = np.clip(emb[row + 1:] @ emb[row], -1.0, 1.0)
        same = lab[row + 1:] == lab[row]
        k, m = int(same.sum()), len(cos) - int(same.sum())
        genuine[g:g + k], impostor[i:i + m] = cos[same], cos[~same]
        g, i = g + k, i + m
    return np.sort(genuine.astype(np.float64)), np.sort(impostor.astype(np.float64))


def _far_row(far: float, genuine: np.ndarray, impostor: np.ndarray) -> Dict[str, Any]:
    """One target FAR: the observed and the supported point (``genuine`` and ``impostor`` are
    sorted)."""
    n, ng = len(impostor), len(genuine)
    c = threshold_at_rate(impostor, far, accept_above=True, presorted=True)
    fa = count_at_or_above(impostor, c, presorted=True)
    fr = count_below(genuine, c, presorted=True)
    # The supported point: the most false accepts k whose 95 % bound is still <= far, then the
    # observed point of k / n.
    k = most_errors_supported(n, far)
    c_sup = (threshold_at_rate(impostor, k / n, accept_above=True, presorted=True)
             if k >= 0 else None)
    row = {"far_target": far, "cosine": c, "false_accepts": fa, "impostor_pairs": n,
           "far_observed": fa / n, "far_upper_95": upper_bound(fa, n),
           "false_rejects": fr, "genuine_pairs": ng, "frr": fr / ng, "tar": 1.0 - fr / ng,
           "supported": c_sup is not None, "cosine_supported": c_sup,
           "impostor_pairs_needed": None if c_sup is not None else trials_needed(far)}
    if c_sup is not None:
        fa_sup = count_at_or_above(impostor, c_sup, presorted=True)
        fr_sup = count_below(genuine, c_sup, presorted=True)
        row.update(false_accepts_supported=fa_sup, far_upper_95_supported=upper_bound(fa_sup, n),
                   tar_supported=1.0 - fr_sup / ng)
    return row


def _score80(row: Dict[str, Any], genuine: np.ndarray, impostor: np.ndarray) -> Dict[str, Any]:
    """Score 80: the FAR 1e-4 supported point when there is one, else the observed point."""
    supported = row["cosine_supported"] is not None
    c = row["cosine_supported"] if supported else row["cosine"]
    n, ng = len(impostor), len(genuine)
    fa = count_at_or_above(impostor, c, presorted=True)
    fr = count_below(genuine, c, presorted=True)
    return {"far": SCORE80_FAR, "cosine": c,
            "basis": "95 % upper bound <= far" if supported else "observed (not supported)",
            "supported": supported, "false_accepts": fa, "impostor_pairs": n,
            "far_observed": fa / n, "far_upper_95": upper_bound(fa, n),
            "tar": 1.0 - fr / ng, "impostor_pairs_needed": row["impostor_pairs_needed"]}


def _score_row(score: float, t: float, genuine: np.ndarray, impostor: np.ndarray
               ) -> Dict[str, Any]:
    c = cosine_from_score(score, t)
    fa = count_at_or_above(impostor, c, presorted=True)
    fr = count_below(genuine, c, presorted=True)
    n, ng = len(impostor), len(genuine)
    return {"score": score, "cosine": round(c, 4), "false_accepts": fa, "impostor_pairs": n,
            "far_observed": fa / n, "far_upper_95": upper_bound(fa, n),
            "false_rejects": fr, "genuine_pairs": ng, "frr": fr / ng}


def _refusal(row: Dict[str, Any]) -> str:
    n = row["impostor_pairs"]
    return (f"FAR {row['far_target']:g}: {n} different-person pairs cannot support it (even with "
            f"no false accept they bound the FAR only below {upper_bound(0, n):.1e} at 95 %; "
            f"observed: {row['false_accepts']} at cosine {row['cosine']:.4f}); a claim of "
            f"{row['far_target']:g} takes at least {row['impostor_pairs_needed']} "
            "different-person pairs")


def _summary(values: np.ndarray) -> Dict[str, Any]:
    top = values[::-1][:5]  # sorted
    return {"n": int(len(values)), "min": float(values.min()), "max": float(values.max()),
            "mean": float(values.mean()), "highest": [round(float(v), 4) for v in top]}


def _det_curve(genuine: np.ndarray, impostor: np.ndarray) -> Dict[str, List[float]]:
    """FAR and FRR on a 0.005 cosine grid across the observed range (for the DET plot)."""
    lo = float(min(genuine.min(), impostor.min()))
    hi = float(max(genuine.max(), impostor.max()))
    grid = np.arange(np.floor(lo * 200) / 200, hi + 0.005, 0.005)
    imp, gen = impostor, genuine  # sorted
    far = 1.0 - np.searchsorted(imp, grid, side="left") / len(imp)
    frr = np.searchsorted(gen, grid, side="left") / len(gen)
    return {"threshold": [round(float(v), 4) for v in grid],
            "far": [float(v) for v in far], "frr": [float(v) for v in frr]}


def _sha(engine: Any, role: str) -> str:
    return str(engine.info()["models"][role]["sha256"])


def _space(engine: Any) -> str:
    from ..models import load_manifest

    return load_manifest().get(engine.embedder_id).embedding_space

