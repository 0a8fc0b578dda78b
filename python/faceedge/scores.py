"""Baidu's 0..100 match score, and back: a monotone, piecewise-linear map of a cosine.

``score`` maps the cosine of two L2-normalised embeddings, anchored at the embedder's calibrated
cosine ``t`` (manifest: the FAR 1e-4 point)::

    cosine <= 0      -> 0
    0 < cosine <= t  -> 80 * cosine / t
    t < cosine <= 1  -> 80 + 20 * (cosine - t) / (1 - t)

so 80 means "as similar as the false-accept-1e-4 threshold", the convention of Baidu's match
(score >= 80 is Baidu's recommended same-person threshold at FAR 1e-4). ``t`` is a measurement:
the manifest's (SFace: 0.443 on 24,307 different-person pairs) or a site's ``faces`` calibration
file (:mod:`faceedge.calibration`); the map itself never changes, so stored embeddings stay valid
when ``t`` does.
"""
from __future__ import annotations

import math

from .errors import error

__all__ = ["score_from_cosine", "cosine_from_score"]


def score_from_cosine(cosine: float, threshold: float) -> float:
    """Map a cosine to Baidu's 0..100 score, 80 at ``threshold`` (see the module docstring)."""
    t = _calibrated(threshold)
    c = float(cosine)
    if not math.isfinite(c):
        raise error(229013, f"the embeddings gave a non-finite cosine ({c})")
    if c <= 0.0:
        return 0.0
    if c <= t:
        return 80.0 * c / t
    return min(100.0, 80.0 + 20.0 * (c - t) / (1.0 - t))


def cosine_from_score(score: float, threshold: float) -> float:
    """The smallest cosine whose :func:`score_from_cosine` is ``score`` (its inverse on 0..100).

    Score 0 maps to -1: every cosine <= 0 scores 0, so a 0 threshold admits everything.
    """
    t = _calibrated(threshold)
    s = float(score)
    if s <= 0.0:
        return -1.0
    if s <= 80.0:
        return s * t / 80.0
    return min(1.0, t + (s - 80.0) * (1.0 - t) / 20.0)


def _calibrated(threshold: float) -> float:
    """``threshold`` as a float; 229003 unless it is a calibrated cosine in (0, 1)."""
    t = float(threshold)
    if not 0.0 < t < 1.0:
        raise error(229003, f"calibrated cosine must be in (0, 1), got {threshold!r}")
    return t
