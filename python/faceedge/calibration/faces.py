"""``calibrate faces``: a site's own photos of known people -> the cosine for each false-accept rate.

``DIR/<person>/*.jpg``: every photo's largest face is embedded with the engine's own pipeline
(detector, alignment, embedder). Every pair of faces of one person is a genuine pair, every pair
of two people an impostor pair. For each target FAR the file gives the empirical cosine (at most
floor(FAR x pairs) impostor pairs at or above it), the TAR there, and whether the pair count
supports the claim (95 % upper bound <= target, :mod:`.stats`); a claim it does not support is
listed under ``refused`` with the pair count it would take. Score 80 of the file's scale is the
FAR 1e-4 point, as the manifest's.
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
from .stats import count_at_or_above, count_below, threshold_at_rate, trials_needed, upper_bound

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
    emb = np.asarray(rows, dtype=np.float64)
    sims = np.clip(emb @ emb.T, -1.0, 1.0)
    iu, ju = np.triu_indices(len(lab), k=1)
    same = lab[iu] == lab[ju]
    genuine, impostor = sims[iu, ju][same], sims[iu, ju][~same]
    if len(genuine) == 0:
        raise error(229032, f"calibrate faces: no person in {str(root)!r} has 2 photos with a "
                            "face, so there is no same-person pair")

    table = [_far_row(far, genuine, impostor) for far in TABLE_FARS]
    by_far = {row["far_target"]: row for row in table}
    s80 = by_far[SCORE80_FAR]
    score80 = {"far": SCORE80_FAR, **{k: s80[k] for k in (
        "cosine", "false_accepts", "impostor_pairs", "far_observed", "far_upper_95", "supported",
        "tar", "cosine_supported", "impostor_pairs_needed")}}
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


def _far_row(far: float, genuine: np.ndarray, impostor: np.ndarray) -> Dict[str, Any]:
    n, ng = len(impostor), len(genuine)
    c = threshold_at_rate(impostor, far, accept_above=True)
    fa = count_at_or_above(impostor, c)
    fr = count_below(genuine, c)
    ub = upper_bound(fa, n)
    # The lowest cosine whose 95 % bound still meets the target: the most false accepts k whose
    # bound is <= far, then the empirical point of k / n.
    k = -1
    while upper_bound(k + 1, n) <= far and k + 1 < n:
        k += 1
    c_sup = threshold_at_rate(impostor, k / n, accept_above=True) if k >= 0 else None
    supported = ub <= far
    return {"far_target": far, "cosine": c, "false_accepts": fa, "impostor_pairs": n,
            "far_observed": fa / n, "far_upper_95": ub, "supported": supported,
            "false_rejects": fr, "genuine_pairs": ng, "frr": fr / ng, "tar": 1.0 - fr / ng,
            "frr_upper_95": upper_bound(fr, ng),
            "cosine_supported": c_sup,
            "tar_at_cosine_supported": (1.0 - count_below(genuine, c_sup) / ng
                                        if c_sup is not None else None),
            "impostor_pairs_needed": None if supported else trials_needed(far)}


def _score_row(score: float, t: float, genuine: np.ndarray, impostor: np.ndarray
               ) -> Dict[str, Any]:
    c = cosine_from_score(score, t)
    fa, fr = count_at_or_above(impostor, c), count_below(genuine, c)
    n, ng = len(impostor), len(genuine)
    return {"score": score, "cosine": round(c, 4), "false_accepts": fa, "impostor_pairs": n,
            "far_observed": fa / n, "far_upper_95": upper_bound(fa, n),
            "false_rejects": fr, "genuine_pairs": ng, "frr": fr / ng}


def _refusal(row: Dict[str, Any]) -> str:
    return (f"FAR {row['far_target']:g}: {row['impostor_pairs']} different-person pairs cannot "
            f"support it ({row['false_accepts']} false accepts at cosine {row['cosine']:.4f}, "
            f"95 % upper bound {row['far_upper_95']:.1e}); a claim of {row['far_target']:g} "
            f"takes at least {row['impostor_pairs_needed']} different-person pairs with no "
            "false accept")


def _summary(values: np.ndarray) -> Dict[str, Any]:
    top = np.sort(values)[::-1][:5]
    return {"n": int(len(values)), "min": float(values.min()), "max": float(values.max()),
            "mean": float(values.mean()), "highest": [round(float(v), 4) for v in top]}


def _det_curve(genuine: np.ndarray, impostor: np.ndarray) -> Dict[str, List[float]]:
    """FAR and FRR on a 0.005 cosine grid across the observed range (for the DET plot)."""
    lo = float(min(genuine.min(), impostor.min()))
    hi = float(max(genuine.max(), impostor.max()))
    grid = np.arange(np.floor(lo * 200) / 200, hi + 0.005, 0.005)
    imp, gen = np.sort(impostor), np.sort(genuine)
    far = 1.0 - np.searchsorted(imp, grid, side="left") / len(imp)
    frr = np.searchsorted(gen, grid, side="left") / len(gen)
    return {"threshold": [round(float(v), 4) for v in grid],
            "far": [float(v) for v in far], "frr": [float(v) for v in frr]}


def _sha(engine: Any, role: str) -> str:
    return str(engine.info()["models"][role]["sha256"])


def _space(engine: Any) -> str:
    from ..models import load_manifest

    return load_manifest().get(engine.embedder_id).embedding_space

