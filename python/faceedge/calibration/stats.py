"""Error rates and how far a count of trials supports them (no SciPy needed).

A measured rate is k errors in n trials. What it supports is its one-sided 95 % upper bound
(Clopper-Pearson: the largest p for which seeing k or fewer errors still has probability 5 %). With
k = 0 that bound is 1 - 0.05**(1/n), about 3/n: the "rule of three". A claim "rate <= r" is
supported only when the upper bound is <= r, so it needs at least :func:`trials_needed` trials.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["CONFIDENCE", "upper_bound", "trials_needed", "supported", "threshold_at_rate",
           "count_at_or_above", "count_below", "most_errors_supported"]

CONFIDENCE = 0.95  # one-sided


def _beta_cf(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            step = d * c
            h *= step
        if abs(step - 1.0) < eps:
            break
    return h


def _beta_inc(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
                     + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1.0 - x) / b


def _binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p) = I_{1-p}(n - k, k + 1), for 0 <= k < n."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    return _beta_inc(n - k, k + 1, 1.0 - p)


def upper_bound(errors: int, trials: int, confidence: float = CONFIDENCE) -> float:
    """One-sided Clopper-Pearson upper bound of a rate seen as ``errors`` in ``trials``."""
    k, n = int(errors), int(trials)
    if n <= 0:
        return 1.0
    if k >= n:
        return 1.0
    alpha = 1.0 - confidence
    if k == 0:
        return 1.0 - alpha ** (1.0 / n)
    lo, hi = k / n, 1.0
    for _ in range(200):  # bisection: the CDF falls as p grows
        mid = 0.5 * (lo + hi)
        if _binom_cdf(k, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return hi


def trials_needed(rate: float, confidence: float = CONFIDENCE) -> int:
    """The fewest error-free trials whose upper bound is <= ``rate`` (about 3 / rate)."""
    return int(math.ceil(math.log(1.0 - confidence) / math.log1p(-float(rate))))


def supported(errors: int, trials: int, rate: float, confidence: float = CONFIDENCE) -> bool:
    """Whether ``errors`` in ``trials`` supports the claim "rate <= ``rate``" at ``confidence``."""
    return trials > 0 and upper_bound(errors, trials, confidence) <= rate


def threshold_at_rate(scores: Sequence[float], rate: float, accept_above: bool = True,
                      presorted: bool = False) -> float:
    """The observed operating point: the threshold t whose observed rate is at most ``rate``.

    ``accept_above``: the errors are the ``scores`` >= t (false accepts among impostor scores);
    t is the smallest value on a 1e-4 grid leaving at most floor(rate * n) of them at or above it.
    Otherwise the errors are the scores < t (false rejects among genuine scores); t is the
    largest grid value leaving at most floor(rate * n) of them below it. ``presorted``: the
    scores are sorted already (ascending).
    """
    s = np.asarray(scores, dtype=np.float64)
    if not presorted:
        s = np.sort(s)
    n = len(s)
    allowed = int(math.floor(rate * n + 1e-9))
    if accept_above:
        if allowed >= n:
            return round(math.floor(s[0] * 1e4) / 1e4, 4)
        worst_kept = s[n - 1 - allowed]  # the highest score that must be rejected
        return round(math.floor(worst_kept * 1e4) / 1e4 + 1e-4, 4)
    if allowed >= n:
        return round(math.ceil(s[-1] * 1e4) / 1e4 + 1e-4, 4)
    lowest_kept = s[allowed]  # the lowest score that must be accepted
    return round(math.floor(lowest_kept * 1e4) / 1e4, 4)


def count_at_or_above(scores: np.ndarray, t: float, presorted: bool = False) -> int:
    """How many ``scores`` are >= t (a binary search when they are sorted)."""
    if presorted:
        return int(len(scores) - np.searchsorted(scores, t, side="left"))
    return int(np.count_nonzero(np.asarray(scores) >= t))


def count_below(scores: np.ndarray, t: float, presorted: bool = False) -> int:
    """How many ``scores`` are < t."""
    if presorted:
        return int(np.searchsorted(scores, t, side="left"))
    return int(np.count_nonzero(np.asarray(scores) < t))


def most_errors_supported(trials: int, rate: float, confidence: float = CONFIDENCE) -> int:
    """The most errors in ``trials`` whose upper bound is still <= ``rate``; -1 when even none
    is enough (fewer than :func:`trials_needed` trials). The bound grows with the errors, so a
    bisection over them."""
    if upper_bound(0, trials, confidence) > rate:
        return -1
    lo, hi = 0, max(0, trials - 1)  # bound(lo) <= rate; find the largest such lo
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if upper_bound(mid, trials, confidence) <= rate:
            lo = mid
        else:
            hi = mid - 1
    return lo
